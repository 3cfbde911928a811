/**
 * Decoder for one OTLP/JSON ExportTraceServiceRequest line into SpanData (the inverse of
 * encodeOtlpJson), for tests and e2e to read what the file sink wrote. Not the product's reader:
 * replay reads `spans.jsonl` losslessly (sources/otlp/otlp-json-request.ts). It accepts what proto3 JSON parsers must accept for the
 * fields it reads (int64 as string or number, enums as number or name, upper-case hex) and ignores
 * fields SpanData has no room for (scope, flags, traceState, dropped counts, schemaUrl).
 */
import type {
  AttrValue,
  Attributes,
  SpanData,
  SpanEventData,
  SpanKind,
  SpanLinkData,
  SpanStatus,
} from '../../src/model/span.js';
import { isSpanId, isTraceId, unixNanosToMs } from '../../src/export/otlp-common.js';

/**
 * Thrown by decodeOtlpJsonLine for input that is not a valid OTLP/JSON trace request, or that
 * holds values SpanData cannot represent (bytes/kvlist attributes, non-string arrays, zero ids).
 * `path` locates the offending field, e.g. `resourceSpans[0].scopeSpans[0].spans[2].traceId`.
 */
export class OtlpJsonDecodeError extends Error {
  override readonly name = 'OtlpJsonDecodeError';
  readonly path: string;

  constructor(path: string, problem: string, options?: ErrorOptions) {
    super(`${path === '' ? 'line' : path}: ${problem}`, options);
    this.path = path;
  }
}

type JsonObject = Record<string, unknown>;

const KINDS: readonly SpanKind[] = ['internal', 'internal', 'server', 'client', 'producer', 'consumer'];
const KIND_NAMES = ['UNSPECIFIED', 'INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'];
const STATUS_NAMES = ['UNSET', 'OK', 'ERROR'];

/**
 * Decodes one line into spans, in document order. Unspecified kind (0) decodes as `internal`;
 * times are rounded to the µs (the precision SpanData round-trips). Throws OtlpJsonDecodeError
 * on any malformed or unsupported content; it never returns a partial batch.
 */
export function decodeOtlpJsonLine(line: string): SpanData[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch (error: unknown) {
    throw new OtlpJsonDecodeError('', 'not valid JSON', { cause: error });
  }
  const request = asObject(parsed, '');
  const spans: SpanData[] = [];
  asArray(request['resourceSpans'], 'resourceSpans').forEach((rs, i) => {
    const rsPath = `resourceSpans[${i}]`;
    const resourceSpans = asObject(rs, rsPath);
    const resource = asObject(resourceSpans['resource'] ?? {}, `${rsPath}.resource`);
    const resourceAttributes = decodeAttributes(resource['attributes'], `${rsPath}.resource.attributes`);
    asArray(resourceSpans['scopeSpans'], `${rsPath}.scopeSpans`).forEach((ss, j) => {
      const ssPath = `${rsPath}.scopeSpans[${j}]`;
      asArray(asObject(ss, ssPath)['spans'], `${ssPath}.spans`).forEach((s, k) => {
        spans.push(decodeSpan(s, `${ssPath}.spans[${k}]`, resourceAttributes));
      });
    });
  });
  return spans;
}

function decodeSpan(value: unknown, path: string, resourceAttributes: Attributes): SpanData {
  const span = asObject(value, path);
  const traceId = decodeId(span['traceId'], `${path}.traceId`, 'trace');
  const spanId = decodeId(span['spanId'], `${path}.spanId`, 'span');
  const parentRaw = span['parentSpanId'];
  // Old Collectors write "" for a root span.
  const parentSpanId =
    parentRaw === undefined || parentRaw === '' ? undefined : decodeId(parentRaw, `${path}.parentSpanId`, 'span');
  const data: SpanData = {
    traceId,
    spanId,
    name: asString(span['name'] ?? '', `${path}.name`),
    kind: decodeKind(span['kind'], `${path}.kind`),
    startMs: decodeTime(span['startTimeUnixNano'], `${path}.startTimeUnixNano`),
    endMs: decodeTime(span['endTimeUnixNano'], `${path}.endTimeUnixNano`),
    resource: { attributes: resourceAttributes },
    attributes: decodeAttributes(span['attributes'], `${path}.attributes`),
    events: asArray(span['events'], `${path}.events`).map((e, i) => decodeEvent(e, `${path}.events[${i}]`)),
    links: asArray(span['links'], `${path}.links`).map((l, i) => decodeLink(l, `${path}.links[${i}]`)),
    status: decodeStatus(span['status'], `${path}.status`),
  };
  return parentSpanId === undefined ? data : { ...data, parentSpanId };
}

function decodeEvent(value: unknown, path: string): SpanEventData {
  const event = asObject(value, path);
  return {
    name: asString(event['name'] ?? '', `${path}.name`),
    timeMs: decodeTime(event['timeUnixNano'], `${path}.timeUnixNano`),
    attributes: decodeAttributes(event['attributes'], `${path}.attributes`),
  };
}

function decodeLink(value: unknown, path: string): SpanLinkData {
  const link = asObject(value, path);
  return {
    traceId: decodeId(link['traceId'], `${path}.traceId`, 'trace'),
    spanId: decodeId(link['spanId'], `${path}.spanId`, 'span'),
    attributes: decodeAttributes(link['attributes'], `${path}.attributes`),
  };
}

function decodeStatus(value: unknown, path: string): SpanStatus {
  const status = asObject(value ?? {}, path);
  const code = decodeEnum(status['code'], `${path}.code`, STATUS_NAMES, 'STATUS_CODE_');
  if (code === 1) return { code: 'ok' };
  if (code === 2)
    return {
      code: 'error',
      message: asString(status['message'] ?? '', `${path}.message`),
    };
  return { code: 'unset' };
}

function decodeKind(value: unknown, path: string): SpanKind {
  const kind = KINDS[decodeEnum(value, path, KIND_NAMES, 'SPAN_KIND_')];
  if (kind === undefined) throw new OtlpJsonDecodeError(path, 'unknown span kind');
  return kind;
}

function decodeEnum(value: unknown, path: string, names: readonly string[], prefix: string): number {
  if (value === undefined) return 0;
  if (typeof value === 'string') {
    const index = names.indexOf(value.startsWith(prefix) ? value.slice(prefix.length) : '');
    if (index >= 0) return index;
  } else if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value < names.length) {
    return value;
  }
  throw new OtlpJsonDecodeError(path, `unknown enum value ${JSON.stringify(value)}`);
}

function decodeId(value: unknown, path: string, kind: 'trace' | 'span'): string {
  const id = asString(value, path).toLowerCase();
  if (!(kind === 'trace' ? isTraceId(id) : isSpanId(id))) {
    const chars = kind === 'trace' ? 32 : 16;
    throw new OtlpJsonDecodeError(path, `expected ${chars} hex chars, not all zero; got ${JSON.stringify(value)}`);
  }
  return id;
}

function decodeTime(value: unknown, path: string): number {
  return unixNanosToMs(decodeUint64(value, path));
}

function decodeUint64(value: unknown, path: string): bigint {
  if (typeof value === 'string' && /^\d+$/.test(value)) return BigInt(value);
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return BigInt(value);
  throw new OtlpJsonDecodeError(path, `expected a non-negative int64 (decimal string), got ${JSON.stringify(value)}`);
}

function decodeAttributes(value: unknown, path: string): Attributes {
  const out: Record<string, AttrValue> = {};
  asArray(value, path).forEach((kv, i) => {
    const entry = asObject(kv, `${path}[${i}]`);
    const key = asString(entry['key'], `${path}[${i}].key`);
    out[key] = decodeAnyValue(entry['value'], `${path}[${i}].value`);
  });
  return out;
}

function decodeAnyValue(value: unknown, path: string): AttrValue {
  const any = asObject(value, path);
  if ('stringValue' in any) return asString(any['stringValue'], `${path}.stringValue`);
  if ('boolValue' in any) {
    if (typeof any['boolValue'] !== 'boolean') throw new OtlpJsonDecodeError(`${path}.boolValue`, 'expected a boolean');
    return any['boolValue'];
  }
  if ('intValue' in any) return decodeInt64(any['intValue'], `${path}.intValue`);
  if ('doubleValue' in any) return decodeDouble(any['doubleValue'], `${path}.doubleValue`);
  if ('arrayValue' in any) {
    const array = asObject(any['arrayValue'], `${path}.arrayValue`);
    return asArray(array['values'], `${path}.arrayValue.values`).map((item, i) => {
      const decoded = decodeAnyValue(item, `${path}.arrayValue.values[${i}]`);
      if (typeof decoded !== 'string') {
        throw new OtlpJsonDecodeError(`${path}.arrayValue.values[${i}]`, 'only string arrays are supported');
      }
      return decoded;
    });
  }
  throw new OtlpJsonDecodeError(path, `unsupported AnyValue ${JSON.stringify(Object.keys(any))}`);
}

function decodeInt64(value: unknown, path: string): number {
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'string' && /^-?\d+$/.test(value)) return Number(value);
  throw new OtlpJsonDecodeError(path, `expected an int64, got ${JSON.stringify(value)}`);
}

function decodeDouble(value: unknown, path: string): number {
  if (typeof value === 'number') return value;
  if (value === 'NaN' || value === 'Infinity' || value === '-Infinity') return Number(value);
  throw new OtlpJsonDecodeError(path, `expected a double, got ${JSON.stringify(value)}`);
}

function asObject(value: unknown, path: string): JsonObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new OtlpJsonDecodeError(path, 'expected an object');
  }
  // Narrowed to a non-null, non-array object: indexing it by string is sound.
  return value as JsonObject;
}

/** A missing repeated field is an empty list in proto3 JSON. */
function asArray(value: unknown, path: string): readonly unknown[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new OtlpJsonDecodeError(path, 'expected an array');
  return value;
}

function asString(value: unknown, path: string): string {
  if (typeof value !== 'string') throw new OtlpJsonDecodeError(path, 'expected a string');
  return value;
}
