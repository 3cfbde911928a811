/**
 * OTLP/JSON → TraceRequest (the receiver's lossless message form), for `POST /v1/traces` with
 * `application/json` and for the lines of a recording's `spans.jsonl` (Collector file exporter).
 *
 * Follows the OTLP JSON mapping: lowerCamelCase keys, trace/span ids as hex (any case), 64-bit
 * integers as decimal strings or numbers, enums as integers (names accepted too), `bytesValue`
 * base64. Unknown fields are ignored, as the spec requires of receivers. Every value type survives:
 * kvlist and bytes attributes, non-string arrays, dropped counts, flags, trace state, schema URLs.
 */
import type {
  OtlpAnyValue,
  OtlpKeyValue,
  OtlpResourceSpans,
  OtlpScope,
  OtlpScopeSpans,
  OtlpSpan,
  OtlpSpanEvent,
  OtlpSpanLink,
  TraceRequest,
} from '../../otlp/otlp-message.js';
import { checkShape } from '../input-boundary.js';
import { OtlpDecodeError } from './otlp-proto-codec.js';

type Json = Record<string, unknown>;

const KIND_NAMES = ['UNSPECIFIED', 'INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'];
const STATUS_NAMES = ['UNSET', 'OK', 'ERROR'];

/**
 * Parses one OTLP/JSON ExportTraceServiceRequest. Throws OtlpDecodeError naming the offending
 * field (e.g. `resourceSpans[0].scopeSpans[1].spans[2].traceId: …`); never returns a partial
 * request.
 */
export function parseTraceRequestJson(text: string): TraceRequest {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error: unknown) {
    throw new OtlpDecodeError('body is not valid JSON', { cause: error });
  }
  return traceRequestFromJson(parsed);
}

/** As parseTraceRequestJson, from an already parsed JSON value. */
export function traceRequestFromJson(value: unknown): TraceRequest {
  // The decoder below recurses into nested attribute values: bound the depth first.
  const shape = checkShape(value);
  if (shape !== undefined) throw new OtlpDecodeError(shape);
  const root = obj(value, '');
  return { resourceSpans: list(root, 'resourceSpans', '').map((rs, i) => resourceSpans(rs, `resourceSpans[${i}]`)) };
}

function resourceSpans(value: unknown, path: string): OtlpResourceSpans {
  const o = obj(value, path);
  const out: { -readonly [K in keyof OtlpResourceSpans]: OtlpResourceSpans[K] } = {
    scopeSpans: list(o, 'scopeSpans', path).map((ss, i) => scopeSpans(ss, `${path}.scopeSpans[${i}]`)),
  };
  if (o['resource'] !== undefined) {
    const r = obj(o['resource'], `${path}.resource`);
    out.resource = withCount({ attributes: attributes(r, `${path}.resource`) }, r, `${path}.resource`);
  }
  setString(out, o, 'schemaUrl', path);
  return out;
}

function scopeSpans(value: unknown, path: string): OtlpScopeSpans {
  const o = obj(value, path);
  const out: { -readonly [K in keyof OtlpScopeSpans]: OtlpScopeSpans[K] } = {
    spans: list(o, 'spans', path).map((s, i) => span(s, `${path}.spans[${i}]`)),
  };
  if (o['scope'] !== undefined) {
    const s = obj(o['scope'], `${path}.scope`);
    const scope: Record<string, unknown> = { attributes: attributes(s, `${path}.scope`) };
    setString(scope, s, 'name', `${path}.scope`);
    setString(scope, s, 'version', `${path}.scope`);
    out.scope = withCount(scope, s, `${path}.scope`) as unknown as OtlpScope;
  }
  setString(out, o, 'schemaUrl', path);
  return out;
}

function span(value: unknown, path: string): OtlpSpan {
  const o = obj(value, path);
  const out: Record<string, unknown> = {};
  setId(out, o, 'traceId', path);
  setId(out, o, 'spanId', path);
  setString(out, o, 'traceState', path);
  setId(out, o, 'parentSpanId', path);
  setUint(out, o, 'flags', path);
  setString(out, o, 'name', path);
  if (o['kind'] !== undefined) out['kind'] = enumValue(o['kind'], `${path}.kind`, KIND_NAMES, 'SPAN_KIND_');
  setNanos(out, o, 'startTimeUnixNano', path);
  setNanos(out, o, 'endTimeUnixNano', path);
  out['attributes'] = attributes(o, path);
  setUint(out, o, 'droppedAttributesCount', path);
  out['events'] = list(o, 'events', path).map((e, i) => spanEvent(e, `${path}.events[${i}]`));
  setUint(out, o, 'droppedEventsCount', path);
  out['links'] = list(o, 'links', path).map((l, i) => spanLink(l, `${path}.links[${i}]`));
  setUint(out, o, 'droppedLinksCount', path);
  if (o['status'] !== undefined) {
    const s = obj(o['status'], `${path}.status`);
    const status: Record<string, unknown> = {};
    setString(status, s, 'message', `${path}.status`);
    if (s['code'] !== undefined)
      status['code'] = enumValue(s['code'], `${path}.status.code`, STATUS_NAMES, 'STATUS_CODE_');
    out['status'] = status;
  }
  // Every field was checked against its proto type above.
  return out as unknown as OtlpSpan;
}

function spanEvent(value: unknown, path: string): OtlpSpanEvent {
  const o = obj(value, path);
  const out: Record<string, unknown> = {};
  setNanos(out, o, 'timeUnixNano', path);
  setString(out, o, 'name', path);
  out['attributes'] = attributes(o, path);
  return withCount(out, o, path) as unknown as OtlpSpanEvent;
}

function spanLink(value: unknown, path: string): OtlpSpanLink {
  const o = obj(value, path);
  const out: Record<string, unknown> = {};
  setId(out, o, 'traceId', path);
  setId(out, o, 'spanId', path);
  setString(out, o, 'traceState', path);
  out['attributes'] = attributes(o, path);
  withCount(out, o, path);
  setUint(out, o, 'flags', path);
  return out as unknown as OtlpSpanLink;
}

function attributes(o: Json, path: string): OtlpKeyValue[] {
  return list(o, 'attributes', path).map((kv, i) => keyValue(kv, `${path}.attributes[${i}]`));
}

function keyValue(value: unknown, path: string): OtlpKeyValue {
  const o = obj(value, path);
  const out: { key?: string; value?: OtlpAnyValue } = {};
  setString(out, o, 'key', path);
  if (o['value'] !== undefined) out.value = anyValue(o['value'], `${path}.value`);
  return out;
}

function anyValue(value: unknown, path: string): OtlpAnyValue {
  const o = obj(value, path);
  if (o['stringValue'] !== undefined) return { stringValue: str(o['stringValue'], `${path}.stringValue`) };
  if (o['boolValue'] !== undefined) {
    if (typeof o['boolValue'] !== 'boolean') throw new OtlpDecodeError(`${path}.boolValue: expected a boolean`);
    return { boolValue: o['boolValue'] };
  }
  if (o['intValue'] !== undefined) return { intValue: int64(o['intValue'], `${path}.intValue`, true) };
  if (o['doubleValue'] !== undefined) return { doubleValue: double(o['doubleValue'], `${path}.doubleValue`) };
  if (o['arrayValue'] !== undefined) {
    const a = obj(o['arrayValue'], `${path}.arrayValue`);
    return {
      arrayValue: { values: list(a, 'values', path).map((v, i) => anyValue(v, `${path}.arrayValue.values[${i}]`)) },
    };
  }
  if (o['kvlistValue'] !== undefined) {
    const k = obj(o['kvlistValue'], `${path}.kvlistValue`);
    return {
      kvlistValue: { values: list(k, 'values', path).map((v, i) => keyValue(v, `${path}.kvlistValue.values[${i}]`)) },
    };
  }
  if (o['bytesValue'] !== undefined) {
    const b64 = str(o['bytesValue'], `${path}.bytesValue`);
    if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(b64)) throw new OtlpDecodeError(`${path}.bytesValue: expected base64`);
    return { bytesValue: Buffer.from(b64, 'base64') };
  }
  return {};
}

function setId(out: Record<string, unknown>, o: Json, key: string, path: string): void {
  const v = o[key];
  if (v === undefined) return;
  const hex = str(v, `${path}.${key}`);
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(hex))
    throw new OtlpDecodeError(`${path}.${key}: expected hex, got ${JSON.stringify(v)}`);
  out[key] = Buffer.from(hex, 'hex');
}

function setString(out: object, o: Json, key: string, path: string): void {
  if (o[key] !== undefined) Object.assign(out, { [key]: str(o[key], `${path}.${key}`) });
}

function setUint(out: Record<string, unknown>, o: Json, key: string, path: string): void {
  const v = o[key];
  if (v === undefined) return;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xffffffff) {
    throw new OtlpDecodeError(`${path}.${key}: expected a uint32, got ${JSON.stringify(v)}`);
  }
  out[key] = v;
}

function setNanos(out: Record<string, unknown>, o: Json, key: string, path: string): void {
  if (o[key] !== undefined) out[key] = int64(o[key], `${path}.${key}`, false);
}

function withCount<T extends object>(out: T, o: Json, path: string): T {
  setUint(out as Record<string, unknown>, o, 'droppedAttributesCount', path);
  return out;
}

function int64(value: unknown, path: string, signed: boolean): string {
  const text = typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : value;
  if (typeof text === 'string' && (signed ? /^-?\d{1,19}$/ : /^\d{1,20}$/).test(text)) return BigInt(text).toString();
  throw new OtlpDecodeError(
    `${path}: expected a${signed ? 'n' : ' u'}int64 as a decimal string, got ${JSON.stringify(value)}`,
  );
}

function double(value: unknown, path: string): number {
  if (typeof value === 'number') return value;
  if (value === 'NaN' || value === 'Infinity' || value === '-Infinity') return Number(value);
  throw new OtlpDecodeError(`${path}: expected a double, got ${JSON.stringify(value)}`);
}

function enumValue(value: unknown, path: string, names: readonly string[], prefix: string): number {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return value;
  if (typeof value === 'string' && value.startsWith(prefix)) {
    const index = names.indexOf(value.slice(prefix.length));
    if (index >= 0) return index;
  }
  throw new OtlpDecodeError(`${path}: unknown enum value ${JSON.stringify(value)}`);
}

function obj(value: unknown, path: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new OtlpDecodeError(`${path === '' ? 'body' : path}: expected an object`);
  }
  return value as Json;
}

function list(o: Json, key: string, path: string): readonly unknown[] {
  const v = o[key];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new OtlpDecodeError(`${path === '' ? '' : `${path}.`}${key}: expected an array`);
  return v;
}

function str(value: unknown, path: string): string {
  if (typeof value !== 'string') throw new OtlpDecodeError(`${path}: expected a string`);
  return value;
}
