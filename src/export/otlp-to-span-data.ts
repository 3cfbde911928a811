/**
 * OTLP messages → kubestitch's SpanData, how real spans reach every sink (the OTLP export and the
 * forward path, the OTLP/JSON file, the embedded store, replay output). LOSSY by construction:
 * SpanData has no scope (kept as the spec's `otel.scope.name`/`otel.scope.version` attributes,
 * SCOPE_ATTR, which the OTLP encoders turn back into the span's scope on the way out),
 * no flags, trace state or dropped counts, and only string/number/boolean/string-array values —
 * kvlist values become JSON text, bytes base64, mixed or numeric arrays string arrays (int64
 * elements exact), a scalar int64 beyond 2^53 an inexact number.
 */
import { SCOPE_ATTR, isSpanId, isTraceId, unixNanosToMs } from './otlp-common.js';
import type { AttrValue, Attributes, SpanData, SpanKind, SpanLinkData, SpanStatus } from '../model/span.js';
import type { OtlpAnyValue, OtlpKeyValue, OtlpScope, OtlpSpan, TraceRequest } from '../otlp/otlp-message.js';

const KINDS: readonly SpanKind[] = ['internal', 'internal', 'server', 'client', 'producer', 'consumer'];

/** Converted spans, plus how many could not be (invalid trace or span id: SpanData needs both). */
export interface SpanDataConversion {
  readonly spans: SpanData[];
  readonly skipped: number;
}

/** Converts every span of `request` (see the module doc for what is lost). Never throws. */
export function traceRequestToSpanData(request: TraceRequest): SpanDataConversion {
  const spans: SpanData[] = [];
  let skipped = 0;
  for (const rs of request.resourceSpans) {
    const resource = { attributes: toAttributes(rs.resource?.attributes ?? []) };
    for (const ss of rs.scopeSpans) {
      const scopeAttributes = scopeAttributesOf(ss.scope);
      for (const span of ss.spans) {
        const converted = toSpanData(span, resource, scopeAttributes);
        if (converted === undefined) skipped += 1;
        else spans.push(converted);
      }
    }
  }
  return { spans, skipped };
}

function toSpanData(span: OtlpSpan, resource: SpanData['resource'], scope: Attributes): SpanData | undefined {
  const traceId = hex(span.traceId);
  const spanId = hex(span.spanId);
  if (!isTraceId(traceId) || !isSpanId(spanId)) return undefined;
  const parent = hex(span.parentSpanId);
  const data: SpanData = {
    traceId,
    spanId,
    name: span.name ?? '',
    kind: KINDS[span.kind ?? 0] ?? 'internal',
    startMs: nanosToMs(span.startTimeUnixNano),
    endMs: nanosToMs(span.endTimeUnixNano),
    resource,
    attributes: { ...toAttributes(span.attributes), ...scope },
    events: span.events.map((e) => ({
      name: e.name ?? '',
      timeMs: nanosToMs(e.timeUnixNano),
      attributes: toAttributes(e.attributes),
    })),
    links: span.links.flatMap((l): SpanLinkData[] => {
      const link = { traceId: hex(l.traceId), spanId: hex(l.spanId), attributes: toAttributes(l.attributes) };
      return isTraceId(link.traceId) && isSpanId(link.spanId) ? [link] : [];
    }),
    status: toStatus(span),
  };
  return isSpanId(parent) ? { ...data, parentSpanId: parent } : data;
}

function scopeAttributesOf(scope: OtlpScope | undefined): Attributes {
  const out: Record<string, AttrValue> = {};
  if (scope?.name !== undefined && scope.name !== '') out[SCOPE_ATTR.name] = scope.name;
  if (scope?.version !== undefined && scope.version !== '') out[SCOPE_ATTR.version] = scope.version;
  return out;
}

function toStatus(span: OtlpSpan): SpanStatus {
  if (span.status?.code === 1) return { code: 'ok' };
  if (span.status?.code === 2) return { code: 'error', message: span.status.message ?? '' };
  return { code: 'unset' };
}

function toAttributes(kvs: readonly OtlpKeyValue[]): Attributes {
  const out: Record<string, AttrValue> = {};
  for (const kv of kvs) {
    const value = toAttrValue(kv.value);
    if (kv.key !== undefined && value !== undefined) out[kv.key] = value;
  }
  return out;
}

function toAttrValue(value: OtlpAnyValue | undefined): AttrValue | undefined {
  if (value === undefined) return undefined;
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return value.doubleValue;
  if (value.bytesValue !== undefined) return value.bytesValue.toString('base64');
  if (value.arrayValue !== undefined) return value.arrayValue.values.map((v) => v.intValue ?? scalarText(toJson(v)));
  if (value.kvlistValue !== undefined) return JSON.stringify(toJson(value));
  return undefined;
}

type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

function toJson(value: OtlpAnyValue | undefined): JsonValue {
  if (value?.kvlistValue !== undefined) {
    return Object.fromEntries(value.kvlistValue.values.map((kv) => [kv.key ?? '', toJson(kv.value)]));
  }
  if (value?.arrayValue !== undefined) return value.arrayValue.values.map(toJson);
  const scalar = toAttrValue(value);
  return scalar === undefined || Array.isArray(scalar) ? null : (scalar as string | number | boolean);
}

function scalarText(value: JsonValue): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function hex(id: Buffer | undefined): string {
  return id === undefined ? '' : id.toString('hex');
}

function nanosToMs(nanos: string | undefined): number {
  return nanos !== undefined && /^\d+$/.test(nanos) ? unixNanosToMs(BigInt(nanos)) : 0;
}
