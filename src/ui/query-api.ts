/**
 * The HTTP query API over the embedded trace store: the Jaeger query-service JSON endpoints that
 * Grafana's Jaeger data source and jaeger-ui call (v1 JSON here, v3 OTLP/JSON in jaeger-v3.ts),
 * plus kubestitch's object search and trace summaries for the viewer. Pure request → response; the server (ui-server.ts) does the I/O.
 */
import type { TraceStore } from '../../storage/index.js';
import { toJaegerTrace } from './jaeger-model.js';
import { handleV3Request } from './jaeger-v3.js';
import type { JaegerTrace } from './jaeger-model.js';
import { BadParamError, parseTraceId, parseTraceQuery } from './query-params.js';
import type { OpenOperationsSource } from './open-operations.js';
import { withOpenSpans } from './open-spans.js';

export interface ApiResponse {
  readonly status: number;
  readonly body: unknown;
}

/** Jaeger's response envelope. */
function ok(data: unknown, total = Array.isArray(data) ? data.length : 0): ApiResponse {
  return { status: 200, body: { data, total, limit: 0, offset: 0, errors: null } };
}

function fail(status: number, msg: string): ApiResponse {
  return { status, body: { data: null, total: 0, limit: 0, offset: 0, errors: [{ code: status, msg }] } };
}

/** What every route reads: the store, the request's time and (live only) the open operations. */
export interface ApiContext {
  readonly store: TraceStore;
  readonly nowMs: number;
  readonly openOperations?: OpenOperationsSource;
}

/** The traces by id, each with its still-open spans merged in (a trace only open is found too). */
async function traces(ctx: ApiContext, ids: readonly string[]): Promise<JaegerTrace[]> {
  const out: JaegerTrace[] = [];
  for (const id of ids) {
    const stored = await ctx.store.getTrace(id);
    const open = ctx.openOperations?.openSpans(id, ctx.nowMs) ?? [];
    const spans = withOpenSpans(stored ?? [], open);
    if (spans.length > 0) out.push(toJaegerTrace(spans));
  }
  return out;
}

function intParam(params: URLSearchParams, name: string, fallback: number, max: number): number {
  const text = params.get(name) ?? '';
  if (text === '') return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0)
    throw new BadParamError(`cannot parse ${name} ${JSON.stringify(text)}: expected a non-negative integer`);
  return Math.min(n, max);
}

type Route = (ctx: ApiContext, params: URLSearchParams, match: readonly string[]) => Promise<ApiResponse>;

const ROUTES: readonly (readonly [RegExp, Route])[] = [
  [/^\/api\/services\/?$/, async ({ store }) => ok((await store.services()).sort())],
  [
    /^\/api\/services\/([^/]+)\/operations\/?$/,
    async ({ store }, _p, m) => {
      const names = (await store.operations(decodeURIComponent(m[1] ?? ''))).map((o) => o.name);
      return ok([...new Set(names)].sort());
    },
  ],
  [
    /^\/api\/operations\/?$/,
    async ({ store }, params) => {
      const service = params.get('service') ?? '';
      if (service === '') throw new BadParamError('parameter service is required');
      const kind = params.get('spanKind') ?? '';
      const ops = (await store.operations(service)).filter((o) => kind === '' || o.spanKind === kind);
      return ok(ops.map((o) => ({ name: o.name, spanKind: o.spanKind })));
    },
  ],
  [
    /^\/api\/traces\/?$/,
    async (ctx, params) => {
      const ids = params.getAll('traceID');
      if (ids.length > 0) return ok(await traces(ctx, ids.map(parseTraceId)));
      const query = parseTraceQuery(params, ctx.nowMs * 1000);
      const found = await ctx.store.findTraces(query);
      return ok(await traces(ctx, found.traceIds));
    },
  ],
  [
    /^\/api\/traces\/([^/]+)\/?$/,
    async (ctx, _p, m) => {
      const id = parseTraceId(decodeURIComponent(m[1] ?? ''));
      const found = await traces(ctx, [id]);
      return found.length === 0 ? fail(404, `trace ${id} not found`) : ok(found);
    },
  ],
  [
    /^\/api\/dependencies\/?$/,
    async ({ store, nowMs }, params) => {
      const endMs = intParam(params, 'endTs', nowMs, Number.MAX_SAFE_INTEGER);
      const lookbackMs = intParam(params, 'lookback', 86_400_000, Number.MAX_SAFE_INTEGER);
      return ok(await store.dependencies(endMs * 1000, lookbackMs * 1000));
    },
  ],
  [
    /^\/api\/objects\/?$/,
    async ({ store }, params) => {
      const limit = intParam(params, 'limit', 20, 200);
      const tracesPerObject = intParam(params, 'traces', 20, 500);
      return ok(await store.searchObjects(params.get('q') ?? '', { limit, tracesPerObject }));
    },
  ],
  [
    /^\/api\/summaries\/?$/,
    async ({ store }, params) => {
      const ids = params.getAll('traceID').map(parseTraceId);
      if (ids.length === 0) return ok(await store.listTraces({ limit: intParam(params, 'limit', 50, 1000) }));
      const found = await Promise.all(ids.map((id) => store.getSummary(id)));
      return ok(found.filter((s) => s !== undefined));
    },
  ],
  // Live only: without a source (replay, serve, demo) nothing is open.
  [
    /^\/api\/open-operations\/?$/,
    ({ openOperations, nowMs }) => Promise.resolve(ok(openOperations?.list(nowMs) ?? [])),
  ],
];

/**
 * Answers one API request. Never rejects: bad parameters are 400, unknown paths 404, other
 * methods 405, and a store failure 500 — each with Jaeger's `errors: [{code, msg}]` envelope.
 */
export async function handleApiRequest(ctx: ApiContext, method: string, url: URL): Promise<ApiResponse> {
  if (url.pathname.startsWith('/api/v3/')) {
    return handleV3Request(ctx.store, method, url, (id) => ctx.openOperations?.openSpans(id, ctx.nowMs) ?? []);
  }
  const route = ROUTES.map(([re, fn]) => [re.exec(url.pathname), fn] as const).find(([m]) => m !== null);
  if (route === undefined) return fail(404, `no API endpoint ${url.pathname}`);
  if (method !== 'GET' && method !== 'HEAD') return fail(405, `${method} is not allowed; the query API is read-only`);
  const [match, fn] = route;
  try {
    return await fn(ctx, url.searchParams, match ?? []);
  } catch (error: unknown) {
    if (error instanceof BadParamError) return fail(400, error.message);
    if (error instanceof URIError) return fail(400, 'malformed percent-encoding in the path');
    return fail(500, `trace store error: ${error instanceof Error ? error.message : String(error)}`);
  }
}
