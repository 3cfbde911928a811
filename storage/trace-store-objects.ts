import type { KvStore } from './kv-store.js';
import { END, KEY, dec } from './trace-store-keys.js';
import type { ObjectRefLite } from './trace-store-keys.js';
import { readSummary } from './trace-store-query.js';
import type { TraceSummary } from './trace-store-summary.js';

/** An object catalog entry: a Kubernetes object some stored span is about. */
export interface StoredObject extends ObjectRefLite {
  /** Start (µs) of the newest span that named it. */
  readonly lastUs: number;
}

/** An object search hit with its newest traces. */
export interface ObjectMatch extends StoredObject {
  /** How many stored traces touch the object (counted up to `maxTracesCounted`). */
  readonly traceCount: number;
  /** Its newest traces, newest first. */
  readonly traces: readonly TraceSummary[];
}

export interface ObjectSearchOptions {
  /** Most objects returned. Default 20. */
  readonly limit?: number;
  /** Most trace summaries per object. Default 20. */
  readonly tracesPerObject?: number;
  /** Most catalog entries read per search (bounds the cost in huge stores). Default 200,000. */
  readonly maxScan?: number;
}

// Workloads first: they are what people look for; pods and nodes are many.
const KIND_RANK: Readonly<Record<string, number>> = {
  Deployment: 0,
  StatefulSet: 1,
  DaemonSet: 1,
  CronJob: 1,
  Job: 2,
  ReplicaSet: 3,
  Pod: 4,
  Node: 5,
};

function decodeObject(text: string): StoredObject | undefined {
  try {
    const v = JSON.parse(text) as StoredObject;
    return typeof v.kind === 'string' && typeof v.name === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}

function keyMayMatch(objKey: string, terms: readonly string[]): boolean {
  const [, kind = '', ns = '', name = ''] = objKey.split('/').map(dec);
  const hay = `${kind} ${ns}/${name} ${kind}/${name} ${ns}/${kind}/${name}`.toLowerCase();
  return terms.every((t) => hay.includes(t));
}

/** 0 = exact name, 1 = name prefix, 2 = anything else that matched; lower ranks first. */
function score(o: StoredObject, terms: readonly string[]): number | undefined {
  const hay = `${o.kind} ${o.namespace}/${o.name} ${o.kind}/${o.name} ${o.namespace}/${o.kind}/${o.name}`.toLowerCase();
  if (!terms.every((t) => hay.includes(t))) return undefined;
  const name = o.name.toLowerCase();
  if (terms.some((t) => t === name || t.endsWith(`/${name}`))) return 0;
  return terms.some((t) => name.startsWith(t.slice(t.lastIndexOf('/') + 1))) ? 1 : 2;
}

/**
 * Finds objects whose kind, namespace or name contain every whitespace-separated term of `q`
 * (case-insensitive; `shop/web`, `deployment web`, `web-7c9` all work), best match first:
 * exact name, then name prefix, then workloads before pods and nodes, then most recent.
 * An empty `q` lists the most recently seen objects. Rejects only with the store's read error.
 */
export async function searchObjects(kv: KvStore, q: string, options: ObjectSearchOptions = {}): Promise<ObjectMatch[]> {
  const limit = options.limit ?? 20;
  const terms = q
    .toLowerCase()
    .split(/\s+/)
    .filter((t) => t !== '');
  const hits: { o: StoredObject; key: string; score: number }[] = [];
  let scanned = 0;
  for await (const [key, value] of kv.iterate({ gte: KEY.objectCatalog, lt: KEY.objectCatalog + END })) {
    if (++scanned > (options.maxScan ?? 200_000)) break;
    // Match on the key (cluster/kind/namespace/name) first: parsing every entry costs more.
    if (!keyMayMatch(key.slice(KEY.objectCatalog.length), terms)) continue;
    const o = typeof value === 'string' ? decodeObject(value) : undefined;
    if (o === undefined) continue;
    const s = score(o, terms);
    if (s !== undefined) hits.push({ o, key: key.slice(KEY.objectCatalog.length), score: s });
  }
  hits.sort(
    (a, b) =>
      a.score - b.score ||
      (KIND_RANK[a.o.kind] ?? 4) - (KIND_RANK[b.o.kind] ?? 4) ||
      b.o.lastUs - a.o.lastUs ||
      (a.key < b.key ? -1 : 1),
  );
  const out: ObjectMatch[] = [];
  for (const hit of hits.slice(0, limit)) out.push(await withTraces(kv, hit.o, hit.key, options.tracesPerObject ?? 20));
  return out;
}

async function withTraces(kv: KvStore, o: StoredObject, objKey: string, max: number): Promise<ObjectMatch> {
  const prefix = `${KEY.objectTraces}${objKey}/`;
  const refs: { traceId: string; startUs: number }[] = [];
  for await (const [key, value] of kv.iterate({ gte: prefix, lt: prefix + END, limit: 10_000 })) {
    refs.push({ traceId: key.slice(prefix.length), startUs: Number(value) });
  }
  refs.sort((a, b) => b.startUs - a.startUs);
  const traces: TraceSummary[] = [];
  for (const ref of refs.slice(0, max)) {
    const summary = await readSummary(kv, ref.traceId);
    if (summary !== undefined) traces.push(summary);
  }
  traces.sort((a, b) => b.startUs - a.startUs);
  return { ...o, traceCount: refs.length, traces };
}
