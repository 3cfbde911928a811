/**
 * Where `kubestitch trace` reads traces from: a trace store (a data directory, or a recording
 * replayed into memory) or a running viewer's query API over HTTP. Both answer the same two
 * questions: which stored objects match, and the spans of a trace.
 */
import type { TraceStore } from '../../storage/index.js';
import type { ObjectMatch } from '../../storage/trace-store.js';
import { fromSpanData, viewSpan } from './trace-view.js';
import type { ViewSpan } from './trace-view.js';
import type { ObjectArg } from './object-arg.js';

export interface FoundObject {
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  /** Its traces, oldest first. */
  readonly traceIds: readonly string[];
}

export interface TraceSource {
  findObjects(target: ObjectArg, namespace: string | undefined): Promise<FoundObject[]>;
  getTrace(traceId: string): Promise<ViewSpan[] | undefined>;
}

/** The store's object search terms for a target: `deployment/web`. */
function query(target: ObjectArg): string {
  return `${target.kind}/${target.name}`.toLowerCase();
}

function matches(o: ObjectMatch, target: ObjectArg, namespace: string | undefined): boolean {
  const kind = o.kind.toLowerCase();
  const want = target.kind.toLowerCase();
  return (
    (kind === want || `${kind}s` === want) &&
    o.name === target.name &&
    (namespace === undefined || o.namespace === namespace)
  );
}

function found(hits: readonly ObjectMatch[], target: ObjectArg, namespace: string | undefined): FoundObject[] {
  return hits
    .filter((o) => matches(o, target, namespace))
    .map((o) => ({
      kind: o.kind,
      namespace: o.namespace,
      name: o.name,
      traceIds: [...o.traces].sort((a, b) => a.startUs - b.startUs).map((t) => t.traceId),
    }));
}

const SEARCH = { limit: 200, tracesPerObject: 50 } as const;

export function storeSource(store: TraceStore): TraceSource {
  return {
    findObjects: async (target, namespace) =>
      found(await store.searchObjects(query(target), SEARCH), target, namespace),
    getTrace: async (id) => (await store.getTrace(id))?.map(fromSpanData),
  };
}

interface JaegerTag {
  readonly key: string;
  readonly value: unknown;
}
interface JaegerSpanJson {
  readonly traceID: string;
  readonly spanID: string;
  readonly operationName: string;
  readonly references?: readonly { refType: string; spanID: string }[];
  readonly startTime: number;
  readonly duration: number;
  readonly tags?: readonly JaegerTag[];
  readonly processID: string;
}
interface JaegerTraceJson {
  readonly spans: readonly JaegerSpanJson[];
  readonly processes: Readonly<Record<string, { serviceName: string; tags?: readonly JaegerTag[] }>>;
}

function tagMap(tags: readonly JaegerTag[] | undefined): Record<string, unknown> {
  return Object.fromEntries((tags ?? []).map((t) => [t.key, t.value]));
}

/** The spans of one Jaeger-JSON trace as view spans. */
export function fromJaegerTrace(trace: JaegerTraceJson): ViewSpan[] {
  return trace.spans.map((s) => {
    const process = trace.processes[s.processID];
    const resource = { ...tagMap(process?.tags), 'service.name': process?.serviceName };
    const tags = tagMap(s.tags);
    const parent = s.references?.find((r) => r.refType === 'CHILD_OF')?.spanID;
    const startMs = s.startTime / 1000;
    const ids = { traceId: s.traceID, spanId: s.spanID, parentSpanId: parent };
    return viewSpan(ids, s.operationName, startMs, startMs + s.duration / 1000, resource, tags, tags['error'] === true);
  });
}

/** Thrown for an answer of the query API that is not what kubestitch serves. */
export class ServerError extends Error {
  override readonly name = 'ServerError';
}

async function getJson(base: URL, path: string): Promise<unknown> {
  const url = new URL(path, base);
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(30_000) });
  } catch (err: unknown) {
    const cause = err instanceof Error && err.cause instanceof Error ? err.cause.message : String(err);
    throw new ServerError(`cannot reach ${base.origin}: ${cause}`);
  }
  if (res.status === 404) return undefined;
  if (!res.ok) throw new ServerError(`${url.pathname} answered HTTP ${res.status}`);
  try {
    return ((await res.json()) as { data?: unknown }).data;
  } catch {
    throw new ServerError(`${url.pathname} did not answer JSON: is ${base.origin} a kubestitch viewer?`);
  }
}

export function serverSource(base: URL): TraceSource {
  return {
    findObjects: async (target, namespace) => {
      const q = new URLSearchParams({ q: query(target), limit: String(SEARCH.limit), traces: '50' });
      const data = await getJson(base, `/api/objects?${q.toString()}`);
      if (!Array.isArray(data))
        throw new ServerError(`/api/objects did not answer a list: is ${base.origin} kubestitch?`);
      return found(data as ObjectMatch[], target, namespace);
    },
    getTrace: async (id) => {
      const data = await getJson(base, `/api/traces/${encodeURIComponent(id)}`);
      const [trace] = Array.isArray(data) ? (data as JaegerTraceJson[]) : [];
      return trace === undefined ? undefined : fromJaegerTrace(trace);
    },
  };
}
