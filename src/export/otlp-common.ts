/**
 * OTLP-level primitives shared by the OTLP/JSON codec and the OTel SDK adapter, so that a span
 * written to `spans.jsonl` and the same span sent over gRPC carry identical ids, nanos, kinds and
 * attribute order.
 */
import type { AttrValue, Attributes, SpanData, SpanKind, SpanStatus } from '../model/span.js';

/** Instrumentation scope name on every span kubestitch exports. */
export const INSTRUMENTATION_SCOPE_NAME = 'kubestitch';

/**
 * The attributes that carry a received span's instrumentation scope through SpanData, which has no
 * scope of its own (otlp-to-span-data writes them; the store and the Jaeger API show them, as
 * Jaeger does). The OTLP encoders turn them back into the span's scope (carriedScope).
 */
export const SCOPE_ATTR = { name: 'otel.scope.name', version: 'otel.scope.version' } as const;

/** A received span's own instrumentation scope. */
export interface CarriedScope {
  readonly name: string;
  readonly version?: string;
}

/** The scope `attributes` carry (SCOPE_ATTR); undefined for kubestitch's own spans. */
export function carriedScope(attributes: Attributes): CarriedScope | undefined {
  const name = attributes[SCOPE_ATTR.name];
  if (typeof name !== 'string' || name === '') return undefined;
  const version = attributes[SCOPE_ATTR.version];
  return typeof version === 'string' && version !== '' ? { name, version } : { name };
}

/** `attributes` without the SCOPE_ATTR pair, for a span whose scope is written as its scope. */
export function withoutCarriedScope(attributes: Attributes): Attributes {
  const { [SCOPE_ATTR.name]: _name, [SCOPE_ATTR.version]: _version, ...rest } = attributes;
  return rest;
}

/**
 * OTLP `Span.flags`: W3C `sampled` plus SPAN_FLAGS_CONTEXT_HAS_IS_REMOTE (parents are never
 * remote: we synthesize both ends). This is what the OTel JS SDK puts on the wire for our
 * ReadableSpans, so the file and gRPC outputs agree.
 */
export const OTLP_SPAN_FLAGS = 0x101;

/** OTLP `Span.SpanKind` numbers (the OTel API enum is the same list shifted down by one). */
export const OTLP_SPAN_KIND: Readonly<Record<SpanKind, number>> = {
  internal: 1,
  server: 2,
  client: 3,
  producer: 4,
  consumer: 5,
};

/** OTLP `Status.StatusCode` numbers (identical to the OTel API's SpanStatusCode). */
export const OTLP_STATUS_CODE: Readonly<Record<SpanStatus['code'], number>> = {
  unset: 0,
  ok: 1,
  error: 2,
};

const TRACE_ID = /^[0-9a-f]{32}$/;
const SPAN_ID = /^[0-9a-f]{16}$/;
const ZERO_TRACE_ID = '0'.repeat(32);
const ZERO_SPAN_ID = '0'.repeat(16);

/** True for 32 lower-case hex chars that are not all zero (an all-zero id is invalid in OTLP). */
export function isTraceId(id: string): boolean {
  return TRACE_ID.test(id) && id !== ZERO_TRACE_ID;
}

/** True for 16 lower-case hex chars that are not all zero. */
export function isSpanId(id: string): boolean {
  return SPAN_ID.test(id) && id !== ZERO_SPAN_ID;
}

/**
 * Epoch ms (fraction allowed) → integer epoch µs. Rounding to µs first is what makes the result
 * exact: a double near 1.7e12 carries ~0.24 µs of noise, far below half a µs.
 * Throws a RangeError for a negative or non-finite time (a synth bug, not data to encode).
 */
export function msToEpochMicros(ms: number): number {
  const micros = Math.round(ms * 1000);
  if (!Number.isSafeInteger(micros) || micros < 0) {
    throw new RangeError(`span time ${ms} ms is not a valid epoch time`);
  }
  return micros;
}

/** Epoch ms → epoch ns as a BigInt, exact to the µs (never computed via float ns). Throws as msToEpochMicros. */
export function msToUnixNanos(ms: number): bigint {
  return BigInt(msToEpochMicros(ms)) * 1000n;
}

/**
 * Epoch ns → epoch ms, rounded to the µs, so that msToUnixNanos(unixNanosToMs(n)) === n for every
 * µs-aligned n and unixNanosToMs(msToUnixNanos(ms)) === ms for every µs-aligned ms.
 */
export function unixNanosToMs(nanos: bigint): number {
  const micros = (nanos + 500n) / 1000n;
  return Number(micros) / 1000;
}

/**
 * Attribute entries in code-unit key order. Output order must not depend on the order in which
 * synth happened to set keys, or equal spans would encode to different bytes.
 */
export function sortedAttributeEntries(attributes: Attributes): [string, AttrValue][] {
  const entries = Object.entries(attributes);
  // Synth sets its keys in that order already: one pass that finds them so saves the sort, per
  // span and per event, for every encoder (OTLP/JSON, the SDK export, resource keys).
  for (let i = 1; i < entries.length; i++) {
    if ((entries[i - 1]?.[0] ?? '') >= (entries[i]?.[0] ?? '')) {
      return entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    }
  }
  return entries;
}

/**
 * A string equal for two attribute sets iff they hold the same keys and values (types included:
 * `1` and `"1"` differ). Used to group spans by resource.
 */
export function canonicalAttributesKey(attributes: Attributes): string {
  return JSON.stringify(sortedAttributeEntries(attributes));
}

/**
 * Checks what the OTLP encoders rely on: valid ids and times. Throws a RangeError naming the span
 * and the problem; encoders let it propagate and sinks turn it into a `failed` result.
 */
export function assertEncodable(span: SpanData): void {
  if (!isTraceId(span.traceId)) throw unencodable(span, `invalid traceId ${span.traceId}`);
  if (!isSpanId(span.spanId)) throw unencodable(span, 'invalid spanId');
  if (span.parentSpanId !== undefined && !isSpanId(span.parentSpanId)) {
    throw unencodable(span, `invalid parentSpanId ${span.parentSpanId}`);
  }
  for (const link of span.links) {
    if (!isTraceId(link.traceId) || !isSpanId(link.spanId)) {
      throw unencodable(span, `invalid link ${link.traceId}/${link.spanId}`);
    }
  }
  msToEpochMicros(span.startMs);
  msToEpochMicros(span.endMs);
  for (const event of span.events) msToEpochMicros(event.timeMs);
}

// Named only on failure: every encoded span passes assertEncodable, and a message built up front
// (a JSON.stringify and a template) was garbage for each of them.
function unencodable(span: SpanData, problem: string): RangeError {
  return new RangeError(`span ${JSON.stringify(span.name)} (${span.spanId}): ${problem}`);
}
