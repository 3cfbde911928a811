/**
 * Builders of OTLP/JSON export requests as the Collector file exporter writes them (hex ids,
 * int64 as strings, nanosecond times), for the real-shaped span fixtures of the stitch tests.
 */
import { createHash } from 'node:crypto';
import { parseTimeMs } from '../../src/model/kube-json.js';
import { traceRequestFromJson } from '../../src/sources/otlp/otlp-json-request.js';
import type { TraceRequest } from '../../src/otlp/otlp-message.js';

export type JsonValue =
  | { stringValue: string }
  | { boolValue: boolean }
  | { intValue: string }
  | { doubleValue: number }
  | { arrayValue: { values: JsonValue[] } }
  | { kvlistValue: { values: { key: string; value: JsonValue }[] } }
  | { bytesValue: string };
export type Plain = string | number | boolean | readonly string[] | JsonValue;
export type JsonRequest = { resourceSpans: object[] };

/** A deterministic id of `bytes` bytes for `label`. */
export function idOf(label: string, bytes: 8 | 16): string {
  return createHash('sha256')
    .update(label)
    .digest('hex')
    .slice(0, bytes * 2);
}

/** RFC 3339 → epoch ms, fraction kept (as the audit parser reads timestamps). */
export function ms(rfc3339: string): number {
  const time = parseTimeMs(rfc3339);
  if (time === undefined) throw new Error(`not an RFC 3339 time: ${rfc3339}`);
  return time;
}

/** Epoch ms → fixed64 nanos as OTLP/JSON writes them, with a sub-µs tail to prove nanos survive. */
export function nanos(msValue: number): string {
  return (BigInt(Math.round(msValue * 1000)) * 1000n + 7n).toString();
}

export function attrs(values: Record<string, Plain>): { key: string; value: JsonValue }[] {
  return Object.entries(values).map(([key, v]) => ({ key, value: jsonValue(v) }));
}

function jsonValue(v: Plain): JsonValue {
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  if (typeof v === 'number') return Number.isInteger(v) ? { intValue: String(v) } : { doubleValue: v };
  if (Array.isArray(v)) return { arrayValue: { values: v.map((s: string) => ({ stringValue: s })) } };
  return v as JsonValue;
}

export interface SpanSpec {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId?: string;
  readonly name: string;
  /** OTLP SpanKind number. */
  readonly kind: number;
  readonly startMs: number;
  readonly endMs: number;
  readonly attributes: Record<string, Plain>;
  readonly events?: readonly { name: string; atMs: number; attributes?: Record<string, Plain> }[];
  readonly status?: { code: number; message?: string };
}

export function span(s: SpanSpec): object {
  return {
    traceId: s.traceId,
    spanId: s.spanId,
    ...(s.parentSpanId !== undefined ? { parentSpanId: s.parentSpanId } : {}),
    flags: 0x101,
    name: s.name,
    kind: s.kind,
    startTimeUnixNano: nanos(s.startMs),
    endTimeUnixNano: nanos(s.endMs),
    attributes: attrs(s.attributes),
    ...(s.events !== undefined
      ? {
          events: s.events.map((e) => ({
            timeUnixNano: nanos(e.atMs),
            name: e.name,
            attributes: attrs(e.attributes ?? {}),
          })),
        }
      : {}),
    status: s.status ?? {},
  };
}

export function envelope(
  resource: Record<string, Plain>,
  scopes: { name: string; version: string; spans: object[] }[],
): JsonRequest {
  return {
    resourceSpans: [
      {
        resource: { attributes: attrs(resource) },
        scopeSpans: scopes.map((s) => ({ scope: { name: s.name, version: s.version }, spans: s.spans })),
        schemaUrl: 'https://opentelemetry.io/schemas/1.12.0',
      },
    ],
  };
}

export const OTELHTTP = { name: 'go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp', version: '0.42.0' };
export const OTELGRPC = {
  name: 'go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc',
  version: '0.42.0',
};

export function toRequest(json: JsonRequest): TraceRequest {
  return traceRequestFromJson(json);
}
