import type { AttrValue, Attributes, SpanData, SpanKind, SpanStatus } from '../src/model/span.js';

/*
 * On-store format of the export spool (its own store view):
 *   b/<seq>    one batch: a one-line JSON header {"n": spanCount, "at": spooledAtMs}, a newline,
 *              then the batch payload (below)
 *   m/state    {"lastSeq", "batches", "spans", "bytes"}: written in the same atomic batch as every
 *              append and delete, so usage is known on open without reading the spool
 * <seq> is zero-padded like the intake log's, so key order = append order.
 *
 * Why not OTLP/JSON: the encoder regroups spans by resource and rounds times to the µs, so a batch
 * would not come back as it went in. The payload below round-trips SpanData exactly (span order,
 * attribute order, fractional ms, -0, NaN/±Infinity) and stores each resource once per batch.
 * JSON.stringify escapes lone surrogates, so the stored text is always well-formed for the store.
 *   {"v":1,"r":[resourceAttrs…],"s":[[traceId, spanId, parentSpanId|null, name, kind, startMs,
 *     endMs, resourceIndex, attrs, [[name, timeMs, attrs]…], [[traceId, spanId, attrs]…], status]…]}
 *   attrs = [key, value, key, value, …]; a number JSON cannot carry is {"num": "NaN"|"-0"|…};
 *   status = 0 (unset) | 1 (ok) | [2, message] (error).
 */
export const BATCH = 'b/';
export const STATE = 'm/state';
const FORMAT_VERSION = 1;
const KINDS: readonly SpanKind[] = ['internal', 'server', 'client', 'producer', 'consumer'];

/** What `m/state` holds. */
export interface SpoolState {
  readonly lastSeq: number;
  readonly batches: number;
  readonly spans: number;
  readonly bytes: number;
}

/** The header of a stored batch, readable without decoding its spans. */
export interface BatchHeader {
  readonly spans: number;
  readonly spooledAtMs: number;
}

/** Never throws for SpanData whose strings and numbers are what the type says. */
export function encodeBatch(spans: readonly SpanData[], spooledAtMs: number): string {
  const resources: unknown[] = [];
  const resourceIndex = new Map<string, number>();
  const encoded = spans.map((span) => {
    const attrs = encodeAttributes(span.resource.attributes);
    const key = JSON.stringify(attrs);
    let index = resourceIndex.get(key);
    if (index === undefined) {
      index = resources.push(attrs) - 1;
      resourceIndex.set(key, index);
    }
    return [
      span.traceId,
      span.spanId,
      span.parentSpanId ?? null,
      span.name,
      KINDS.indexOf(span.kind),
      encodeNumber(span.startMs),
      encodeNumber(span.endMs),
      index,
      encodeAttributes(span.attributes),
      span.events.map((e) => [e.name, encodeNumber(e.timeMs), encodeAttributes(e.attributes)]),
      span.links.map((l) => [l.traceId, l.spanId, encodeAttributes(l.attributes)]),
      encodeStatus(span.status),
    ];
  });
  const header = JSON.stringify({ n: spans.length, at: spooledAtMs });
  return `${header}\n${JSON.stringify({ v: FORMAT_VERSION, r: resources, s: encoded })}`;
}

/** Throws `Error` naming the key when the value is not a batch this spool wrote. */
export function decodeBatchHeader(key: string, value: unknown): BatchHeader {
  const text = typeof value === 'string' ? value : '';
  const cut = text.indexOf('\n');
  const header = cut < 0 ? undefined : parseJson(text.slice(0, cut));
  const spans = field(header, 'n');
  const at = field(header, 'at');
  if (!Number.isSafeInteger(spans) || typeof spans !== 'number' || spans < 0 || typeof at !== 'number') {
    throw new Error(`export spool: record ${JSON.stringify(key)} is corrupt or not a spooled batch`);
  }
  return { spans, spooledAtMs: at };
}

/** Throws `Error` naming the key and the broken part when the value is not a batch this spool wrote. */
export function decodeBatch(key: string, value: unknown): SpanData[] {
  const header = decodeBatchHeader(key, value);
  const text = String(value);
  const fail = (what: string): never => {
    throw new Error(`export spool: record ${JSON.stringify(key)} is corrupt (${what})`);
  };
  const payload = parseJson(text.slice(text.indexOf('\n') + 1));
  if (field(payload, 'v') !== FORMAT_VERSION) fail(`format version ${JSON.stringify(field(payload, 'v'))}`);
  const resources = list(field(payload, 'r'), 'resources', fail).map((r) => ({ attributes: attributes(r, fail) }));
  const spans = list(field(payload, 's'), 'spans', fail).map((s) => decodeSpan(s, resources, fail));
  if (spans.length !== header.spans) fail(`header says ${header.spans} spans, payload holds ${spans.length}`);
  return spans;
}

/** The stored form of the spool state. Never throws. */
export function encodeState(state: SpoolState): string {
  return JSON.stringify(state);
}

/** `undefined` when absent; throws `Error` when the record is not a spool state. */
export function decodeState(value: unknown): SpoolState | undefined {
  if (value === undefined) return undefined;
  const parsed = typeof value === 'string' ? parseJson(value) : undefined;
  const numbers = ['lastSeq', 'batches', 'spans', 'bytes'].map((name) => field(parsed, name));
  if (!numbers.every((n) => Number.isSafeInteger(n) && typeof n === 'number' && n >= 0)) {
    throw new Error(`export spool: ${STATE} holds ${JSON.stringify(value)}, not a spool state`);
  }
  const [lastSeq = 0, batches = 0, spans = 0, bytes = 0] = numbers as number[];
  return { lastSeq, batches, spans, bytes };
}

type Fail = (what: string) => never;

function decodeSpan(value: unknown, resources: readonly SpanData['resource'][], fail: Fail): SpanData {
  const t = list(value, 'span', fail);
  if (t.length !== 12) fail('span tuple length');
  const kind = KINDS[typeof t[4] === 'number' ? t[4] : -1] ?? fail('span kind');
  const resource = resources[typeof t[7] === 'number' ? t[7] : -1] ?? fail('resource index');
  const span: SpanData = {
    traceId: str(t[0], fail),
    spanId: str(t[1], fail),
    name: str(t[3], fail),
    kind,
    startMs: num(t[5], fail),
    endMs: num(t[6], fail),
    resource,
    attributes: attributes(t[8], fail),
    events: list(t[9], 'events', fail).map((e) => {
      const [name, timeMs, attrs] = list(e, 'event', fail);
      return { name: str(name, fail), timeMs: num(timeMs, fail), attributes: attributes(attrs, fail) };
    }),
    links: list(t[10], 'links', fail).map((l) => {
      const [traceId, spanId, attrs] = list(l, 'link', fail);
      return { traceId: str(traceId, fail), spanId: str(spanId, fail), attributes: attributes(attrs, fail) };
    }),
    status: decodeStatus(t[11], fail),
  };
  return t[2] === null ? span : { ...span, parentSpanId: str(t[2], fail) };
}

function encodeStatus(status: SpanStatus): unknown {
  if (status.code === 'error') return [2, status.message];
  return status.code === 'ok' ? 1 : 0;
}

function decodeStatus(value: unknown, fail: Fail): SpanStatus {
  if (value === 0) return { code: 'unset' };
  if (value === 1) return { code: 'ok' };
  const [code, message] = list(value, 'status', fail);
  if (code !== 2) fail('status');
  return { code: 'error', message: str(message, fail) };
}

function encodeAttributes(attrs: Attributes): unknown[] {
  const out: unknown[] = [];
  for (const [key, value] of Object.entries(attrs)) out.push(key, encodeValue(value));
  return out;
}

function encodeValue(value: AttrValue): unknown {
  return typeof value === 'number' ? encodeNumber(value) : value;
}

// JSON has no NaN, ±Infinity or -0; each is spelled as a tagged string so it comes back as itself.
function encodeNumber(value: number): unknown {
  return Number.isFinite(value) && !Object.is(value, -0) ? value : { num: Object.is(value, -0) ? '-0' : String(value) };
}

function num(value: unknown, fail: Fail): number {
  if (typeof value === 'number') return value;
  const tag = field(value, 'num');
  if (tag === '-0') return -0;
  if (tag === 'NaN' || tag === 'Infinity' || tag === '-Infinity') return Number(tag);
  return fail(`number ${JSON.stringify(value)}`);
}

function attributes(value: unknown, fail: Fail): Attributes {
  const flat = list(value, 'attributes', fail);
  if (flat.length % 2 !== 0) fail('attribute list length');
  const entries: [string, AttrValue][] = [];
  for (let i = 0; i < flat.length; i += 2) entries.push([str(flat[i], fail), attrValue(flat[i + 1], fail)]);
  // fromEntries defines own properties, so a key such as "__proto__" stays an ordinary attribute.
  return Object.fromEntries(entries);
}

function attrValue(value: unknown, fail: Fail): AttrValue {
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (Array.isArray(value)) return value.map((item) => str(item, fail));
  return num(value, fail);
}

function str(value: unknown, fail: Fail): string {
  return typeof value === 'string' ? value : fail(`expected a string, got ${JSON.stringify(value)}`);
}

function list(value: unknown, what: string, fail: Fail): readonly unknown[] {
  return Array.isArray(value) ? value : fail(`${what} is not a list`);
}

function field(value: unknown, name: string): unknown {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)[name]
    : undefined;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
