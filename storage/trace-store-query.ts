import type { SpanData } from '../src/model/span.js';
import type { KvStore } from './kv-store.js';
import {
  END,
  INDEXED_TAGS,
  KEY,
  dec,
  durationKey,
  enc,
  isErrorSpan,
  serviceOf,
  spanKey,
  tagText,
  timeKey,
} from './trace-store-keys.js';
import type { TraceSummary } from './trace-store-summary.js';
import { decodeSummary } from './trace-store-summary.js';
import { decodeSpan } from './trace-store-record.js';

/** A trace search, in the terms of Jaeger's `/api/traces` (all times and durations in µs). */
export interface TraceQuery {
  readonly service?: string;
  readonly operation?: string;
  /** Every pair must match one span's attribute, resource attribute or span-event attribute. */
  readonly tags?: Readonly<Record<string, string>>;
  /** Inclusive bounds on a matching span's start. */
  readonly startUs?: number;
  readonly endUs?: number;
  readonly minDurationUs?: number;
  readonly maxDurationUs?: number;
  /** Most traces returned (a positive integer). */
  readonly limit: number;
}

/** Trace ids, newest matching span first; `truncated` when the scan bound stopped the search. */
export interface TraceSearchResult {
  readonly traceIds: readonly string[];
  readonly truncated: boolean;
}

/** One candidate from an index: where the span is, and what the index already tells. */
interface Candidate {
  readonly traceId: string;
  readonly spanId: string;
  readonly startUs: number;
  readonly durUs: number;
}

const MAX_TIME_US = Number.MAX_SAFE_INTEGER - 1;

function text(value: unknown): string {
  return typeof value === 'string' ? value : new TextDecoder().decode(value as Uint8Array);
}

/** Parses `{start}/{tid}/{sid}` (the tail of a time-ordered index key). */
function tail(rest: string): { startUs: number; traceId: string; spanId: string } | undefined {
  const [start, traceId, spanId] = rest.split('/');
  if (start === undefined || traceId === undefined || spanId === undefined) return undefined;
  return { startUs: Number(start), traceId, spanId };
}

async function* timeRange(kv: KvStore, prefix: string, q: TraceQuery): AsyncGenerator<Candidate> {
  const gte = prefix + timeKey(q.startUs ?? 0);
  const lt = prefix + timeKey(Math.min(q.endUs ?? MAX_TIME_US, MAX_TIME_US) + 1);
  for await (const [key, value] of kv.iterate({ gte, lt, reverse: true })) {
    const t = tail(key.slice(prefix.length));
    if (t === undefined) continue;
    yield { ...t, durUs: Number.parseInt(text(value), 10) };
  }
}

/** Service + duration index: walks the duration range, then orders hits by start, newest first. */
async function* durationRange(kv: KvStore, prefix: string, q: TraceQuery, maxScan: number): AsyncGenerator<Candidate> {
  const gte = prefix + durationKey(q.minDurationUs ?? 0);
  const lt = q.maxDurationUs === undefined ? prefix + END : prefix + durationKey(q.maxDurationUs + 1);
  const hits: Candidate[] = [];
  for await (const [key] of kv.iterate({ gte, lt, limit: maxScan })) {
    const [dur, start, traceId, spanId] = key.slice(prefix.length).split('/');
    if (dur === undefined || start === undefined || traceId === undefined || spanId === undefined) continue;
    const c = { traceId, spanId, startUs: Number(start), durUs: Number(dur) };
    if (q.startUs !== undefined && c.startUs < q.startUs) continue;
    if (q.endUs !== undefined && c.startUs > q.endUs) continue;
    hits.push(c);
  }
  hits.sort((a, b) => b.startUs - a.startUs);
  yield* hits;
}

interface Plan {
  readonly candidates: AsyncGenerator<Candidate>;
  /** Filters the index does not guarantee, so the span must be read to check them. */
  readonly needService: boolean;
  readonly needOperation: boolean;
  readonly needTags: boolean;
}

function plan(kv: KvStore, q: TraceQuery, maxScan: number): Plan {
  const tags = Object.entries(q.tags ?? {});
  const indexedTag = tags.find(([k]) => (INDEXED_TAGS as readonly string[]).includes(k));
  const svc = q.service === undefined ? undefined : enc(q.service);
  if (svc !== undefined && q.operation !== undefined) {
    const prefix = `${KEY.byOperation}${svc}/${enc(q.operation)}/`;
    return {
      candidates: timeRange(kv, prefix, q),
      needService: false,
      needOperation: false,
      needTags: tags.length > 0,
    };
  }
  if (indexedTag !== undefined) {
    const prefix = `${KEY.byTag}${enc(`${indexedTag[0]}=${indexedTag[1]}`)}/`;
    return {
      candidates: timeRange(kv, prefix, q),
      needService: svc !== undefined,
      needOperation: q.operation !== undefined,
      needTags: tags.length > 1,
    };
  }
  if (svc !== undefined && q.minDurationUs !== undefined && tags.length === 0) {
    const prefix = `${KEY.byDuration}${svc}/`;
    return {
      candidates: durationRange(kv, prefix, q, maxScan),
      needService: false,
      needOperation: false,
      needTags: false,
    };
  }
  if (svc !== undefined) {
    const prefix = `${KEY.byService}${svc}/`;
    return {
      candidates: timeRange(kv, prefix, q),
      needService: false,
      needOperation: q.operation !== undefined,
      needTags: tags.length > 0,
    };
  }
  return {
    candidates: timeRange(kv, KEY.byTime, q),
    needService: false,
    needOperation: q.operation !== undefined,
    needTags: tags.length > 0,
  };
}

/** Whether one span carries `key=value` the way Jaeger matches tags (span, process, logs). */
export function spanHasTag(span: SpanData, key: string, value: string): boolean {
  if (key === 'error') return String(isErrorSpan(span)) === value;
  if (key === 'span.kind') return span.kind === value;
  if (key === 'otel.status_code') return span.status.code.toUpperCase() === value.toUpperCase();
  const direct = span.attributes[key] ?? span.resource.attributes[key];
  if (direct !== undefined && tagText(direct) === value) return true;
  return span.events.some((e) => {
    const v = e.attributes[key];
    return v !== undefined && tagText(v) === value;
  });
}

function spanMatches(span: SpanData, q: TraceQuery, p: Plan): boolean {
  if (p.needService && serviceOf(span) !== q.service) return false;
  if (p.needOperation && span.name !== q.operation) return false;
  if (p.needTags) {
    for (const [k, v] of Object.entries(q.tags ?? {})) if (!spanHasTag(span, k, v)) return false;
  }
  return true;
}

/**
 * Finds traces with at least one span matching every condition, newest first. Reads at most
 * `maxScan` index entries (then answers with what it found and `truncated: true`). Rejects only
 * with the store's read error or for a corrupt record.
 */
export async function findTraceIds(kv: KvStore, q: TraceQuery, maxScan = 200_000): Promise<TraceSearchResult> {
  const p = plan(kv, q, maxScan);
  const found: string[] = [];
  const seen = new Set<string>();
  let scanned = 0;
  for await (const c of p.candidates) {
    if (++scanned > maxScan) return { traceIds: found, truncated: true };
    if (seen.has(c.traceId)) continue;
    if (q.minDurationUs !== undefined && c.durUs < q.minDurationUs) continue;
    if (q.maxDurationUs !== undefined && c.durUs > q.maxDurationUs) continue;
    if (p.needService || p.needOperation || p.needTags) {
      const key = spanKey(c.traceId, c.spanId);
      const stored = await kv.get(key);
      if (stored === undefined || !spanMatches(decodeSpan(key, text(stored)), q, p)) continue;
    }
    seen.add(c.traceId);
    found.push(c.traceId);
    if (found.length >= q.limit) break;
  }
  return { traceIds: found, truncated: false };
}

/** Every span of a trace, by start time; `undefined` when the store has none. */
export async function readTrace(kv: KvStore, traceId: string): Promise<SpanData[] | undefined> {
  const prefix = `${KEY.span}${traceId}/`;
  const spans: SpanData[] = [];
  for await (const [key, value] of kv.iterate({ gte: prefix, lt: prefix + END })) {
    spans.push(decodeSpan(key, text(value)));
  }
  if (spans.length === 0) return undefined;
  return spans.sort((a, b) => a.startMs - b.startMs || (a.spanId < b.spanId ? -1 : 1));
}

export async function readSummary(kv: KvStore, traceId: string): Promise<TraceSummary | undefined> {
  const stored = await kv.get(`${KEY.summary}${traceId}`);
  return stored === undefined ? undefined : decodeSummary(traceId, text(stored));
}

/**
 * The distinct next components under `prefix`, one short iterator per value (a skip scan), with
 * the value of the first entry of each. Cost grows with the number of distinct values only.
 */
export async function distinctComponents(kv: KvStore, prefix: string): Promise<[string, string][]> {
  const out: [string, string][] = [];
  let gte = prefix;
  for (;;) {
    let found: readonly [string, unknown] | undefined;
    for await (const entry of kv.iterate({ gte, lt: prefix + END, limit: 1 })) found = entry;
    if (found === undefined) return out;
    const end = found[0].indexOf('/', prefix.length);
    const component = found[0].slice(prefix.length, end < 0 ? undefined : end);
    out.push([dec(component), text(found[1])]);
    // '0' is the character after '/': the first key past every key of this component.
    gte = `${prefix}${component}0`;
  }
}

/** Summaries of the newest traces (by start), at most `limit`, optionally within a start range. */
export async function listSummaries(
  kv: KvStore,
  options: { readonly limit: number; readonly startUs?: number; readonly endUs?: number },
): Promise<TraceSummary[]> {
  const out: TraceSummary[] = [];
  const gte = KEY.traceByStart + timeKey(options.startUs ?? 0);
  const lt = KEY.traceByStart + timeKey(Math.min(options.endUs ?? MAX_TIME_US, MAX_TIME_US) + 1);
  for await (const [key] of kv.iterate({ gte, lt, reverse: true, limit: options.limit })) {
    const traceId = key.slice(key.lastIndexOf('/') + 1);
    const summary = await readSummary(kv, traceId);
    if (summary !== undefined) out.push(summary);
  }
  return out;
}

/** Parent-service → child-service call counts over the traces that started in a window. */
export async function dependencyLinks(
  kv: KvStore,
  endUs: number,
  lookbackUs: number,
  maxTraces = 1000,
): Promise<{ parent: string; child: string; callCount: number }[]> {
  const counts = new Map<string, number>();
  for (const summary of await listSummaries(kv, { limit: maxTraces, startUs: endUs - lookbackUs, endUs })) {
    const spans = (await readTrace(kv, summary.traceId)) ?? [];
    const serviceById = new Map(spans.map((s) => [s.spanId, serviceOf(s)]));
    for (const s of spans) {
      const parent = s.parentSpanId === undefined ? undefined : serviceById.get(s.parentSpanId);
      const child = serviceOf(s);
      if (parent === undefined || parent === child) continue;
      const key = JSON.stringify([parent, child]);
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  return [...counts].map(([key, callCount]) => {
    const [parent = '', child = ''] = JSON.parse(key) as string[];
    return { parent, child, callCount };
  });
}
