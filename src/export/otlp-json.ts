/**
 * OTLP/JSON encoding of one batch as one line: an ExportTraceServiceRequest exactly as the
 * OpenTelemetry Collector's file exporter writes it (proto3 JSON mapping as amended by the OTLP
 * spec: lowerCamelCase names, hex ids, int64 as decimal strings, enums as integers, fields in
 * .proto declaration order, zero values omitted, `status` always present).
 *
 * Why not otlp-transformer's JsonTraceSerializer: it writes `intValue` as a JSON number, emits
 * zero-valued counters, and works from SDK ReadableSpans keyed by Resource identity. This encoder
 * is small and byte-deterministic.
 */
import type { AttrValue, Attributes, SpanData, SpanEventData, SpanLinkData } from '../model/span.js';
import {
  INSTRUMENTATION_SCOPE_NAME,
  OTLP_SPAN_FLAGS,
  OTLP_SPAN_KIND,
  OTLP_STATUS_CODE,
  assertEncodable,
  type CarriedScope,
  canonicalAttributesKey,
  carriedScope,
  msToEpochMicros,
  sortedAttributeEntries,
  withoutCarriedScope,
} from './otlp-common.js';

/** Options for encodeOtlpJson. */
export interface OtlpJsonOptions {
  /** kubestitch's version, written as the instrumentation scope version; omitted when absent. */
  readonly scopeVersion?: string;
}

type JsonAnyValue =
  | { stringValue: string }
  | { boolValue: boolean }
  | { intValue: string }
  | { doubleValue: number | string }
  | { arrayValue: { values?: JsonAnyValue[] } };

interface JsonKeyValue {
  key: string;
  value: JsonAnyValue;
}

interface ResourceGroup {
  readonly attributes: Attributes;
  readonly spans: SpanData[];
}

/**
 * Encodes a batch as ONE line (no trailing newline) of OTLP/JSON. Spans are grouped into
 * resourceSpans by identical resource attributes, in order of first appearance, with one
 * scopeSpans per instrumentation scope (see groupByScope); span order within a group is kept.
 * Attributes are written in key order, so the output is byte-identical for equal input. An empty batch encodes as `{"resourceSpans":[]}`.
 * Throws a RangeError if a span has an invalid id or time (see assertEncodable).
 */
export function encodeOtlpJson(spans: readonly SpanData[], options: OtlpJsonOptions = {}): string {
  return JSON.stringify(exportRequest(spans, options));
}

/**
 * The same line as encodeOtlpJson, as its UTF-8 bytes (what a file or an HTTP body holds):
 * exactly `Buffer.from(encodeOtlpJson(spans, options), 'utf8')`. JSON.stringify of a whole batch
 * returns a tree of string pieces that must be flattened into one string (a copy as long as the
 * line, up to MBs, UTF-16 once a single non-ASCII character such as a diff's `→` is in it) before
 * its bytes can be counted or written; here each span is stringified on its own (small strings,
 * flat, short-lived) and written straight into the buffer. The pieces join to the same text:
 * JSON.stringify without indentation is the concatenation of its members' encodings. `end` (a
 * line's newline) is written after the line. Throws as encodeOtlpJson.
 */
export function encodeOtlpJsonBytes(spans: readonly SpanData[], options: OtlpJsonOptions = {}, end = ''): Buffer {
  const parts: string[] = ['{"resourceSpans":['];
  for (const [g, group] of exportRequest(spans, options).resourceSpans.entries()) {
    parts.push(`${g > 0 ? ',' : ''}{"resource":${JSON.stringify(group.resource)},"scopeSpans":[`);
    for (const [s, scoped] of group.scopeSpans.entries()) {
      parts.push(`${s > 0 ? ',' : ''}{"scope":${JSON.stringify(scoped.scope)},"spans":[`);
      for (const [i, span] of scoped.spans.entries())
        parts.push(i > 0 ? `,${JSON.stringify(span)}` : JSON.stringify(span));
      parts.push(']}');
    }
    parts.push(']}');
  }
  parts.push(`]}${end}`);
  let size = 0;
  for (const part of parts) size += Buffer.byteLength(part);
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for (const part of parts) at += out.write(part, at);
  return out;
}

interface ExportRequest {
  readonly resourceSpans: readonly {
    readonly resource: object;
    readonly scopeSpans: readonly { readonly scope: CarriedScope; readonly spans: readonly object[] }[];
  }[];
}

function exportRequest(spans: readonly SpanData[], options: OtlpJsonOptions): ExportRequest {
  const ownScope =
    options.scopeVersion === undefined
      ? { name: INSTRUMENTATION_SCOPE_NAME }
      : { name: INSTRUMENTATION_SCOPE_NAME, version: options.scopeVersion };
  const resourceSpans = groupByResource(spans).map((group) => ({
    resource: withOptional({}, 'attributes', encodeAttributes(group.attributes)),
    scopeSpans: groupByScope(group.spans).map(({ scope, spans: scoped }) => ({
      scope: scope ?? ownScope,
      spans: scoped.map((span) =>
        encodeSpan(scope === undefined ? span : { ...span, attributes: withoutCarriedScope(span.attributes) }),
      ),
    })),
  }));
  return { resourceSpans };
}

// Spans of one batch mostly share a handful of resource objects (synth interns one per actor):
// each object finds its group by identity, and only a new object is keyed by content.
function groupByResource(spans: readonly SpanData[]): ResourceGroup[] {
  const groups = new Map<string, ResourceGroup>();
  const byObject = new Map<Attributes, ResourceGroup>();
  for (const span of spans) {
    assertEncodable(span);
    const attributes = span.resource.attributes;
    let group = byObject.get(attributes);
    if (group === undefined) {
      const key = canonicalAttributesKey(attributes);
      group = groups.get(key);
      if (group === undefined) {
        group = { attributes, spans: [] };
        groups.set(key, group);
      }
      byObject.set(attributes, group);
    }
    group.spans.push(span);
  }
  return [...groups.values()];
}

interface ScopeGroup {
  /** A received span's own scope; undefined for kubestitch's. */
  readonly scope: CarriedScope | undefined;
  readonly spans: SpanData[];
}

/**
 * A received span's scope (carried through SpanData, see SCOPE_ATTR) is written back as its
 * scopeSpans' scope, as the Collector would have written it; kubestitch's own spans share one
 * scopeSpans, so their bytes are as before.
 */
function groupByScope(spans: readonly SpanData[]): ScopeGroup[] {
  const groups = new Map<string, ScopeGroup>();
  for (const span of spans) {
    const scope = carriedScope(span.attributes);
    const key = scope === undefined ? '' : `${scope.name}@${scope.version ?? ''}`;
    const group = groups.get(key);
    if (group === undefined) groups.set(key, { scope, spans: [span] });
    else group.spans.push(span);
  }
  return [...groups.values()];
}

function encodeSpan(span: SpanData): object {
  const out: Record<string, unknown> = {
    traceId: span.traceId,
    spanId: span.spanId,
  };
  if (span.parentSpanId !== undefined) out['parentSpanId'] = span.parentSpanId;
  out['flags'] = OTLP_SPAN_FLAGS;
  out['name'] = span.name;
  out['kind'] = OTLP_SPAN_KIND[span.kind];
  out['startTimeUnixNano'] = unixNanos(span.startMs);
  out['endTimeUnixNano'] = unixNanos(span.endMs);
  withOptional(out, 'attributes', encodeAttributes(span.attributes));
  withOptional(out, 'events', span.events.map(encodeEvent));
  withOptional(out, 'links', span.links.map(encodeLink));
  const status: Record<string, unknown> = {};
  if (span.status.code === 'error' && span.status.message !== '') {
    status['message'] = span.status.message;
  }
  if (span.status.code !== 'unset') status['code'] = OTLP_STATUS_CODE[span.status.code];
  out['status'] = status;
  return out;
}

function encodeEvent(event: SpanEventData): object {
  const out = {
    timeUnixNano: unixNanos(event.timeMs),
    name: event.name,
  };
  return withOptional(out, 'attributes', encodeAttributes(event.attributes));
}

function encodeLink(link: SpanLinkData): object {
  const out: Record<string, unknown> = {
    traceId: link.traceId,
    spanId: link.spanId,
  };
  withOptional(out, 'attributes', encodeAttributes(link.attributes));
  out['flags'] = OTLP_SPAN_FLAGS;
  return out;
}

function encodeAttributes(attributes: Attributes): JsonKeyValue[] {
  return sortedAttributeEntries(attributes).map(([key, value]) => ({ key, value: encodeAnyValue(value) }));
}

/** Integral numbers within int64's exact JS range become intValue; everything else doubleValue. */
function encodeAnyValue(value: AttrValue): JsonAnyValue {
  if (typeof value === 'string') return { stringValue: value };
  if (typeof value === 'boolean') return { boolValue: value };
  if (typeof value === 'number') {
    if (Number.isSafeInteger(value)) return { intValue: String(value) };
    // proto3 JSON spells non-finite doubles as strings; JSON.stringify would write null.
    return { doubleValue: Number.isFinite(value) ? value : String(value) };
  }
  const values = value.map((item): JsonAnyValue => ({ stringValue: item }));
  return { arrayValue: values.length === 0 ? {} : { values } };
}

/** Sets `key` only for a non-empty list: proto3 JSON omits empty repeated fields. */
function withOptional<T extends object>(target: T, key: string, list: readonly unknown[]): T {
  if (list.length > 0) Object.assign(target, { [key]: list });
  return target;
}

/** Epoch ms → decimal epoch ns, exact to the µs: msToUnixNanos's digits without a BigInt per time. */
function unixNanos(ms: number): string {
  const micros = msToEpochMicros(ms);
  return micros === 0 ? '0' : `${micros}000`;
}
