/**
 * The OTLP trace messages exactly as the receiver decodes them (proto-loader's object form:
 * lowerCamelCase fields, `bytes` as Buffer, 64-bit integers as decimal strings, enums as numbers,
 * repeated fields always present). Scalar fields are optional because the decoder keeps proto3
 * field *presence*: a field absent on the wire stays absent, so re-encoding a message writes the
 * same fields it was received with. Nothing here is lossy — this, not SpanData, is what the
 * stitch stage rewrites (DESIGN §4); the sinks after it take SpanData (export/span-sink-bridge.ts).
 *
 * All of it is read-only: stages that change a span build a new object around the old parts.
 */

export interface OtlpAnyValue {
  readonly stringValue?: string;
  readonly boolValue?: boolean;
  /** int64 as a decimal string. */
  readonly intValue?: string;
  readonly doubleValue?: number;
  readonly arrayValue?: { readonly values: readonly OtlpAnyValue[] };
  readonly kvlistValue?: { readonly values: readonly OtlpKeyValue[] };
  readonly bytesValue?: Buffer;
}

export interface OtlpKeyValue {
  readonly key?: string;
  readonly value?: OtlpAnyValue;
}

export interface OtlpScope {
  readonly name?: string;
  readonly version?: string;
  readonly attributes: readonly OtlpKeyValue[];
  readonly droppedAttributesCount?: number;
}

export interface OtlpResource {
  readonly attributes: readonly OtlpKeyValue[];
  readonly droppedAttributesCount?: number;
}

export interface OtlpSpanEvent {
  /** fixed64 epoch nanoseconds as a decimal string. */
  readonly timeUnixNano?: string;
  readonly name?: string;
  readonly attributes: readonly OtlpKeyValue[];
  readonly droppedAttributesCount?: number;
}

export interface OtlpSpanLink {
  readonly traceId?: Buffer;
  readonly spanId?: Buffer;
  readonly traceState?: string;
  readonly attributes: readonly OtlpKeyValue[];
  readonly droppedAttributesCount?: number;
  readonly flags?: number;
}

export interface OtlpStatus {
  readonly message?: string;
  readonly code?: number;
}

export interface OtlpSpan {
  readonly traceId?: Buffer;
  readonly spanId?: Buffer;
  readonly traceState?: string;
  /** Absent or empty for a root span. */
  readonly parentSpanId?: Buffer;
  readonly flags?: number;
  readonly name?: string;
  readonly kind?: number;
  readonly startTimeUnixNano?: string;
  readonly endTimeUnixNano?: string;
  readonly attributes: readonly OtlpKeyValue[];
  readonly droppedAttributesCount?: number;
  readonly events: readonly OtlpSpanEvent[];
  readonly droppedEventsCount?: number;
  readonly links: readonly OtlpSpanLink[];
  readonly droppedLinksCount?: number;
  readonly status?: OtlpStatus;
}

export interface OtlpScopeSpans {
  readonly scope?: OtlpScope;
  readonly spans: readonly OtlpSpan[];
  readonly schemaUrl?: string;
}

export interface OtlpResourceSpans {
  readonly resource?: OtlpResource;
  readonly scopeSpans: readonly OtlpScopeSpans[];
  readonly schemaUrl?: string;
}

/** `opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest`. */
export interface TraceRequest {
  readonly resourceSpans: readonly OtlpResourceSpans[];
}

/** `ExportTraceServiceResponse`; `partialSuccess` only when something was rejected or to warn. */
export interface TraceResponse {
  readonly partialSuccess?: { readonly rejectedSpans: number; readonly errorMessage: string };
}

/** One received export, as handed from a receiver to the pipeline. */
export interface TraceBatch {
  readonly request: TraceRequest;
  readonly spanCount: number;
}

/**
 * What the pipeline answers a receiver, as OTel's ExportResult: a value, never an exception.
 * `ok` may carry a warning for the client (OTLP partial success with `rejectedSpans` 0).
 */
export type IntakeResult =
  | { readonly status: 'ok'; readonly rejectedSpans?: number; readonly message?: string }
  | { readonly status: 'retryable'; readonly afterMs: number; readonly error: Error }
  | { readonly status: 'failed'; readonly error: Error };

/** The pipeline entry both receivers call for every decoded, authenticated request. Must not throw. */
export type TraceIntake = (batch: TraceBatch) => IntakeResult;

/** Number of spans in a request. */
export function countSpans(request: TraceRequest): number {
  let n = 0;
  for (const rs of request.resourceSpans) for (const ss of rs.scopeSpans) n += ss.spans.length;
  return n;
}

/** A fixed64 nanosecond string as epoch ms (µs precision); 0 when absent or malformed. */
export function nanosToMs(nanos: string | undefined): number {
  if (nanos === undefined || !/^\d+$/.test(nanos)) return 0;
  return Number((BigInt(nanos) + 500n) / 1000n) / 1000;
}
