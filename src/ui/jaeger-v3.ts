/**
 * Jaeger's query API v3 over HTTP (`/api/v3/...`), as Jaeger v2's api_v3 HTTP gateway answers it
 * (jaeger cmd/query/app/apiv3/http_gateway.go): jaeger-ui ≥ 2.16 lists services and operations
 * here, ≥ 2.19 searches here, and Grafana's Jaeger data source calls it in its gRPC-query mode.
 * Traces come back as OTLP/JSON `{"result": {"resourceSpans": […]}}` (ids hex, int64 as strings,
 * enums as integers), errors as the grpc-gateway envelope `{"error": {"httpCode", "message"}}`.
 * Pure request → response; ui-server.ts does the I/O.
 */
import type { TraceStore } from '../../storage/index.js';
import { encodeOtlpJson } from '../export/otlp-json.js';
import type { SpanData } from '../model/span.js';
import { traceSummaries } from './jaeger-v3-summaries.js';
import { withOpenSpans } from './open-spans.js';
import { BadParamError, DEFAULT_LIMIT, parseDurationUs, parseTraceId } from './query-params.js';
import type { ApiResponse } from './query-api.js';

const MAX_TRACES = 1500;

export function v3Error(status: number, message: string): ApiResponse {
  return { status, body: { error: { httpCode: status, message } } };
}

/**
 * RFC 3339 with up to 9 fractional digits (Go's time.RFC3339Nano, what every client sends) → µs.
 * A space where the offset sign should be is read as `+`: Grafana appends the times to the query
 * string unescaped, so a `+01:00` offset arrives as ` 01:00`.
 */
export function parseRfc3339Us(name: string, text: string): number {
  const m = /^(\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?([Zz]|[+\- ]\d{2}:\d{2})$/.exec(text);
  const offset = m?.[3]?.replace(' ', '+').replace('z', 'Z');
  const ms = m?.[1] === undefined || offset === undefined ? NaN : Date.parse(`${m[1].toUpperCase()}${offset}`);
  if (m === null || Number.isNaN(ms)) {
    throw new BadParamError(
      `malformed parameter ${name}: ${JSON.stringify(text)} is not an RFC 3339 time such as 2026-12-07T09:00:00Z`,
    );
  }
  const micros = Number((m[2] ?? '').padEnd(9, '0').slice(0, 6));
  return ms * 1000 + micros;
}

/**
 * `query.attributes`: a JSON object of string values (what Grafana and jaeger-ui send, the
 * jaeger-ui tag box already converted from logfmt), or logfmt `k=v k2=v2` typed by hand.
 */
export function parseAttributes(text: string): Record<string, string> {
  const trimmed = text.trim();
  if (trimmed === '') return {};
  if (trimmed.startsWith('{')) {
    let value: unknown;
    try {
      value = JSON.parse(trimmed);
    } catch {
      throw new BadParamError('malformed parameter query.attributes: not valid JSON');
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new BadParamError('malformed parameter query.attributes: expected a JSON object such as {"error":"true"}');
    }
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]),
    );
  }
  const out: Record<string, string> = {};
  for (const pair of trimmed.split(/\s+/)) {
    const i = pair.indexOf('=');
    if (i <= 0)
      throw new BadParamError(`malformed parameter query.attributes: ${JSON.stringify(pair)} is not key=value`);
    out[pair.slice(0, i)] = pair.slice(i + 1).replace(/^"(.*)"$/, '$1');
  }
  return out;
}

/** A `query.*` parameter by its snake_case name, or the camelCase one older grpc-gateway clients send. */
function q(params: URLSearchParams, snake: string): string {
  const camel = snake.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());
  return params.get(`query.${snake}`) ?? params.get(`query.${camel}`) ?? '';
}

function optionalUs(name: string, text: string, parse: (n: string, t: string) => number): number | undefined {
  return text === '' ? undefined : parse(name, text);
}

function boolParam(name: string, text: string): void {
  if (text !== '' && !/^(1|0|t|f|true|false|TRUE|FALSE|True|False)$/.test(text)) {
    throw new BadParamError(`malformed parameter ${name}: ${JSON.stringify(text)} is not a boolean`);
  }
}

type TraceQuery = Parameters<TraceStore['findTraces']>[0];

/** The entries of `o` that are set, as optional properties (exactOptionalPropertyTypes). */
function definedOnly<T extends Record<string, unknown>>(o: T): Partial<{ [K in keyof T]: Exclude<T[K], undefined> }> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<{
    [K in keyof T]: Exclude<T[K], undefined>;
  }>;
}

/** The time window and duration bounds of a search, checked against each other. */
function v3Bounds(params: URLSearchParams): Pick<TraceQuery, 'startUs' | 'endUs' | 'minDurationUs' | 'maxDurationUs'> {
  const startUs = optionalUs('query.start_time_min', q(params, 'start_time_min'), parseRfc3339Us);
  const endUs = optionalUs('query.start_time_max', q(params, 'start_time_max'), parseRfc3339Us);
  const minDurationUs = optionalUs('query.duration_min', q(params, 'duration_min'), parseDurationUs);
  const maxDurationUs = optionalUs('query.duration_max', q(params, 'duration_max'), parseDurationUs);
  if (startUs !== undefined && endUs !== undefined && startUs > endUs) {
    throw new BadParamError('query.start_time_min is after query.start_time_max');
  }
  if (minDurationUs !== undefined && maxDurationUs !== undefined && minDurationUs > maxDurationUs) {
    throw new BadParamError('query.duration_min is larger than query.duration_max');
  }
  return definedOnly({ startUs, endUs, minDurationUs, maxDurationUs });
}

function v3Limit(params: URLSearchParams): number {
  const text = q(params, 'num_traces') || q(params, 'search_depth');
  const limit = text === '' ? DEFAULT_LIMIT : Number(text);
  if (!Number.isInteger(limit) || limit < 0) {
    throw new BadParamError(`malformed parameter query.num_traces: ${JSON.stringify(text)} is not an integer`);
  }
  return Math.min(limit === 0 ? DEFAULT_LIMIT : limit, MAX_TRACES);
}

/** The store query behind `/api/v3/traces` and `/api/v3/trace-summaries`. Throws BadParamError. */
export function parseV3Query(params: URLSearchParams): TraceQuery {
  boolParam('query.raw_traces', q(params, 'raw_traces'));
  const tags = parseAttributes(q(params, 'attributes'));
  return {
    limit: v3Limit(params),
    ...definedOnly({
      service: q(params, 'service_name') || undefined,
      operation: q(params, 'operation_name') || q(params, 'span_name') || undefined,
      tags: Object.keys(tags).length > 0 ? tags : undefined,
    }),
    ...v3Bounds(params),
  };
}

/**
 * Traces as one OTLP TracesData, resourceSpans of each trace appended in turn like Jaeger's
 * gateway combines them; inside a trace, one resourceSpans per distinct resource.
 */
function tracesData(traces: readonly (readonly SpanData[])[]): { resourceSpans: unknown[] } {
  const resourceSpans: unknown[] = [];
  for (const spans of traces) {
    const parsed = JSON.parse(encodeOtlpJson(spans)) as { resourceSpans: unknown[] };
    resourceSpans.push(...parsed.resourceSpans);
  }
  return { resourceSpans };
}

/** A trace's spans still open (live only), merged into what is stored; see open-spans.ts. */
export type OpenSpansOf = (traceId: string) => readonly SpanData[];

const NOTHING_OPEN: OpenSpansOf = () => [];

async function loadTraces(store: TraceStore, ids: readonly string[], openSpans: OpenSpansOf): Promise<SpanData[][]> {
  const out: SpanData[][] = [];
  for (const id of ids) {
    const spans = withOpenSpans((await store.getTrace(id)) ?? [], openSpans(id));
    if (spans.length > 0) out.push(spans);
  }
  return out;
}

type V3Route = (
  store: TraceStore,
  params: URLSearchParams,
  match: readonly string[],
  openSpans: OpenSpansOf,
) => Promise<ApiResponse>;

const V3_ROUTES: readonly (readonly [RegExp, V3Route])[] = [
  [/^\/api\/v3\/services\/?$/, async (store) => ({ status: 200, body: { services: (await store.services()).sort() } })],
  [
    /^\/api\/v3\/operations\/?$/,
    async (store, params) => {
      const service = params.get('service') ?? '';
      const kind = params.get('span_kind') ?? params.get('spanKind') ?? '';
      const seen = new Set<string>();
      const operations: { name: string; spanKind: string }[] = [];
      for (const o of await store.operations(service === '' ? undefined : service)) {
        const key = `${o.name}\u0000${o.spanKind}`;
        if ((kind !== '' && o.spanKind !== kind) || seen.has(key)) continue;
        seen.add(key);
        operations.push({ name: o.name, spanKind: o.spanKind });
      }
      operations.sort((a, b) => a.name.localeCompare(b.name) || a.spanKind.localeCompare(b.spanKind));
      return { status: 200, body: { operations } };
    },
  ],
  [
    /^\/api\/v3\/traces\/?$/,
    async (store, params, _m, openSpans) => {
      const found = await store.findTraces(parseV3Query(params));
      // Jaeger answers an empty search with 404 "No traces found"; Grafana shows any non-200 as a
      // failed query, so an empty result is 200 with no resourceSpans, which every client reads.
      return { status: 200, body: { result: tracesData(await loadTraces(store, found.traceIds, openSpans)) } };
    },
  ],
  [
    /^\/api\/v3\/traces\/([^/]+)\/?$/,
    async (store, params, m, openSpans) => {
      const id = parseTraceId(decodeURIComponent(m[1] ?? ''));
      // The time window and raw_traces only narrow Jaeger's storage scan; checked, not needed here.
      optionalUs('start_time', params.get('start_time') ?? '', parseRfc3339Us);
      optionalUs('end_time', params.get('end_time') ?? '', parseRfc3339Us);
      boolParam('raw_traces', params.get('raw_traces') ?? '');
      const traces = await loadTraces(store, [id], openSpans);
      if (traces.length === 0) return v3Error(404, `trace ${id} not found`);
      return { status: 200, body: { result: tracesData(traces) } };
    },
  ],
  [
    /^\/api\/v3\/trace-summaries\/?$/,
    async (store, params) => {
      const found = await store.findTraces(parseV3Query(params));
      return { status: 200, body: { summaries: await traceSummaries(store, found.traceIds) } };
    },
  ],
];

/**
 * Answers one `/api/v3/` request; never rejects (400 bad parameter, 404 unknown, 500 store failure).
 * Live, `openSpans` gives a trace's spans still open, merged into the stored ones.
 */
export async function handleV3Request(
  store: TraceStore,
  method: string,
  url: URL,
  openSpans: OpenSpansOf = NOTHING_OPEN,
): Promise<ApiResponse> {
  const route = V3_ROUTES.map(([re, fn]) => [re.exec(url.pathname), fn] as const).find(([m]) => m !== null);
  if (route === undefined) return v3Error(404, `no API endpoint ${url.pathname}`);
  if (method !== 'GET' && method !== 'HEAD')
    return v3Error(405, `${method} is not allowed; the query API is read-only`);
  const [match, fn] = route;
  try {
    return await fn(store, url.searchParams, match ?? [], openSpans);
  } catch (error: unknown) {
    if (error instanceof BadParamError) return v3Error(400, error.message);
    if (error instanceof URIError) return v3Error(400, 'malformed percent-encoding in the path');
    return v3Error(500, `trace store error: ${error instanceof Error ? error.message : String(error)}`);
  }
}
