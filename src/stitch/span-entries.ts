/**
 * Spans taken out of their OTLP request envelope and put back: the stitch stage holds, rewrites
 * and releases single spans, but every span keeps the very resource and scope objects it came
 * with, so a released batch carries them unchanged.
 */
import type {
  OtlpAnyValue,
  OtlpKeyValue,
  OtlpResourceSpans,
  OtlpScopeSpans,
  OtlpSpan,
  TraceRequest,
} from '../otlp/otlp-message.js';

/** One span with the envelope it arrived in. */
export interface SpanEntry {
  readonly span: OtlpSpan;
  readonly resourceSpans: OtlpResourceSpans;
  readonly scopeSpans: OtlpScopeSpans;
}

/** OTLP SpanKind SERVER. */
export const SPAN_KIND_SERVER = 2;

/** Every span of `request` with its envelope, in request order. */
export function flattenRequest(request: TraceRequest): SpanEntry[] {
  const out: SpanEntry[] = [];
  for (const resourceSpans of request.resourceSpans) {
    for (const scopeSpans of resourceSpans.scopeSpans) {
      for (const span of scopeSpans.spans) out.push({ span, resourceSpans, scopeSpans });
    }
  }
  return out;
}

/**
 * A request holding `entries`, grouped back by their original envelopes (by identity, in order of
 * first appearance). Envelope fields (resource, scope, schema URLs, dropped counts) are copied as
 * they came; only the span lists are new.
 */
export function buildRequest(entries: readonly SpanEntry[]): TraceRequest {
  const byResource = new Map<OtlpResourceSpans, Map<OtlpScopeSpans, OtlpSpan[]>>();
  for (const { span, resourceSpans, scopeSpans } of entries) {
    let scopes = byResource.get(resourceSpans);
    if (scopes === undefined) byResource.set(resourceSpans, (scopes = new Map()));
    let spans = scopes.get(scopeSpans);
    if (spans === undefined) scopes.set(scopeSpans, (spans = []));
    spans.push(span);
  }
  return {
    resourceSpans: [...byResource].map(([rs, scopes]) => ({
      ...rs,
      scopeSpans: [...scopes].map(([ss, spans]) => ({ ...ss, spans })),
    })),
  };
}

/** Lower-case hex of an id, '' when absent. */
export function hexOf(id: Buffer | undefined): string {
  return id === undefined ? '' : id.toString('hex');
}

/** A usable trace id: 16 bytes, not all zero. */
export function isValidTraceId(id: Buffer | undefined): id is Buffer {
  return id !== undefined && id.length === 16 && id.some((b) => b !== 0);
}

/** True when the span has no parent (absent or empty parent_span_id). */
export function isRootSpan(span: OtlpSpan): boolean {
  return span.parentSpanId === undefined || span.parentSpanId.length === 0;
}

/** The string value of attribute `key`, if present and a string. */
export function stringAttr(attributes: readonly OtlpKeyValue[], key: string): string | undefined {
  for (const kv of attributes) if (kv.key === key) return kv.value?.stringValue;
  return undefined;
}

/** The first of `keys` present as a string attribute. */
export function firstStringAttr(attributes: readonly OtlpKeyValue[], keys: readonly string[]): string | undefined {
  for (const key of keys) {
    const value = stringAttr(attributes, key);
    if (value !== undefined && value !== '') return value;
  }
  return undefined;
}

/** `service.name` of the span's resource, '' when absent. */
export function serviceNameOf(entry: SpanEntry): string {
  return stringAttr(entry.resourceSpans.resource?.attributes ?? [], 'service.name') ?? '';
}

/**
 * Rough in-memory size of a span, for the hold buffer's byte bound: strings and buffers by length
 * plus a fixed overhead per object. An estimate, not an encoding.
 */
export function estimateSpanBytes(span: OtlpSpan): number {
  let bytes = 96 + (span.name?.length ?? 0) + (span.traceState?.length ?? 0) + (span.status?.message?.length ?? 0);
  bytes += attributesBytes(span.attributes);
  for (const e of span.events) bytes += 32 + (e.name?.length ?? 0) + attributesBytes(e.attributes);
  for (const l of span.links) bytes += 48 + (l.traceState?.length ?? 0) + attributesBytes(l.attributes);
  return bytes;
}

function attributesBytes(attributes: readonly OtlpKeyValue[]): number {
  let bytes = 0;
  for (const kv of attributes) bytes += 16 + (kv.key?.length ?? 0) + valueBytes(kv.value);
  return bytes;
}

function valueBytes(value: OtlpAnyValue | undefined): number {
  if (value === undefined) return 0;
  if (value.stringValue !== undefined) return value.stringValue.length;
  if (value.bytesValue !== undefined) return value.bytesValue.length;
  if (value.arrayValue !== undefined) return value.arrayValue.values.reduce((n, v) => n + 8 + valueBytes(v), 0);
  if (value.kvlistValue !== undefined) return attributesBytes(value.kvlistValue.values);
  return 8;
}
