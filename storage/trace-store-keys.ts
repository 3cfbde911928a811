/*
 * Key layout of the embedded trace store (one `KvStore` namespace, `trace-store`).
 *
 * Components inside keys are `encodeURIComponent`-escaped, so `/` only ever separates them and a
 * component prefix is still a key prefix (object autocomplete relies on that). Times are µs since
 * the epoch, zero-padded to 17 digits; durations µs padded to 15 — so key order is time order.
 *
 *   S/{traceId}/{spanId}                          → span record (JSON of SpanData)
 *   T/{traceId}                                   → trace summary (JSON, see trace-store-summary)
 *   TS/{startUs}/{traceId}                        → ''   traces by start time (newest = last)
 *   TU/{updatedMs}/{traceId}                      → ''   traces by last write: retention order
 *   I/t/{startUs}/{traceId}/{spanId}              → '{durUs}'          every span by start time
 *   I/s/{service}/{startUs}/{traceId}/{spanId}    → '{durUs}'          by service
 *   I/o/{service}/{name}/{startUs}/{tid}/{sid}    → '{durUs} {kind}'   by service + operation
 *   I/d/{service}/{durUs}/{startUs}/{tid}/{sid}   → ''                 by service + duration
 *   I/g/{key}={value}/{startUs}/{tid}/{sid}       → '{durUs}'          by an indexed tag (INDEXED_TAGS)
 *   O/{objectKey}/{traceId}                       → '{startUs}'        traces touching an object
 *   C/{objectKey}                                 → object catalog entry (JSON: kind, ns, name, uid…)
 *   M/stats                                       → JSON { bytes, traces, spans }
 *
 * objectKey = {cluster}/{kind}/{namespace}/{name} (namespace '' for cluster-scoped objects); the
 * uid is kept in the catalog value, so an object seen with and without its uid is one entry.
 *
 * Every index entry of a span is derived from the span record alone (`spanIndexKeys`), so deleting
 * a trace walks only its own `S/{traceId}/` range and recomputes what to delete: retention never
 * scans the whole store.
 */
import { ATTR } from '../src/model/attributes.js';
import type { AttrValue, SpanData } from '../src/model/span.js';

export const KEY = {
  span: 'S/',
  summary: 'T/',
  traceByStart: 'TS/',
  traceByUpdate: 'TU/',
  byTime: 'I/t/',
  byService: 'I/s/',
  byOperation: 'I/o/',
  byDuration: 'I/d/',
  byTag: 'I/g/',
  objectTraces: 'O/',
  objectCatalog: 'C/',
  stats: 'M/stats',
} as const;

/** One past '/', so `prefix + END` bounds every key that extends `prefix` by a `/` component. */
export const END = '\uffff';

/**
 * Tags with their own index: the ones people filter on. `error` is derived (status ERROR or a
 * failing outcome) the way Jaeger reports it; the rest are span attributes.
 */
export const INDEXED_TAGS = [
  'error',
  ATTR.outcome,
  ATTR.operation,
  ATTR.namespaceName,
  ATTR.objectKind,
  ATTR.objectName,
  ATTR.nodeName,
  ATTR.podUid,
  ATTR.auditId,
] as const;

/** Outcomes that count as a failed operation for `error=true`. */
const FAILED_OUTCOMES = new Set(['failed', 'progress-deadline-exceeded']);

export function enc(component: string): string {
  return encodeURIComponent(component);
}

export function dec(component: string): string {
  try {
    return decodeURIComponent(component);
  } catch {
    return component;
  }
}

export function timeKey(us: number): string {
  return String(Math.max(0, Math.min(Math.trunc(us), Number.MAX_SAFE_INTEGER))).padStart(17, '0');
}

export function durationKey(us: number): string {
  return String(Math.max(0, Math.min(Math.trunc(us), 999_999_999_999_999))).padStart(15, '0');
}

export function spanKey(traceId: string, spanId: string): string {
  return `${KEY.span}${traceId}/${spanId}`;
}

export function startUs(span: SpanData): number {
  return Math.round(span.startMs * 1000);
}

export function durationUs(span: SpanData): number {
  return Math.max(0, Math.round((span.endMs - span.startMs) * 1000));
}

export function serviceOf(span: SpanData): string {
  const name = span.resource.attributes[ATTR.serviceName];
  return typeof name === 'string' && name !== '' ? name : 'unknown_service';
}

/** Jaeger's `error` tag: status ERROR, or an operation that ended in a failing outcome. */
export function isErrorSpan(span: SpanData): boolean {
  const outcome = span.attributes[ATTR.outcome];
  return span.status.code === 'error' || (typeof outcome === 'string' && FAILED_OUTCOMES.has(outcome));
}

/** The value a tag filter compares against, as text (arrays as JSON, like the Jaeger model). */
export function tagText(value: AttrValue): string {
  return Array.isArray(value) ? JSON.stringify(value) : String(value);
}

export function indexedTagValues(span: SpanData): [string, string][] {
  const out: [string, string][] = [];
  for (const key of INDEXED_TAGS) {
    if (key === 'error') {
      if (isErrorSpan(span)) out.push(['error', 'true']);
      continue;
    }
    const value = span.attributes[key];
    if (value !== undefined && !Array.isArray(value)) out.push([key, tagText(value)]);
  }
  return out;
}

/** One index entry: its key and value. */
export interface IndexEntry {
  readonly key: string;
  readonly value: string;
}

/** Every `I/…` entry a span owns (see the layout above). Pure: same span, same keys. */
export function spanIndexEntries(span: SpanData): IndexEntry[] {
  const start = timeKey(startUs(span));
  const dur = durationUs(span);
  const ids = `${span.traceId}/${span.spanId}`;
  const svc = enc(serviceOf(span));
  const entries: IndexEntry[] = [
    { key: `${KEY.byTime}${start}/${ids}`, value: String(dur) },
    { key: `${KEY.byService}${svc}/${start}/${ids}`, value: String(dur) },
    { key: `${KEY.byOperation}${svc}/${enc(span.name)}/${start}/${ids}`, value: `${dur} ${span.kind}` },
    { key: `${KEY.byDuration}${svc}/${durationKey(dur)}/${start}/${ids}`, value: '' },
  ];
  for (const [k, v] of indexedTagValues(span)) {
    entries.push({ key: `${KEY.byTag}${enc(`${k}=${v}`)}/${start}/${ids}`, value: String(dur) });
  }
  return entries;
}

/** A Kubernetes object a span is about (its own object, or an owner named by semconv keys). */
export interface ObjectRefLite {
  readonly cluster: string;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly uid?: string;
}

const SEMCONV_OBJECTS: readonly (readonly [string, string, string, boolean])[] = [
  ['Deployment', ATTR.deploymentName, ATTR.deploymentUid, true],
  ['ReplicaSet', ATTR.replicasetName, ATTR.replicasetUid, true],
  ['StatefulSet', ATTR.statefulsetName, ATTR.statefulsetUid, true],
  ['DaemonSet', ATTR.daemonsetName, ATTR.daemonsetUid, true],
  ['Job', ATTR.jobName, ATTR.jobUid, true],
  ['CronJob', ATTR.cronjobName, ATTR.cronjobUid, true],
  ['Pod', ATTR.podName, ATTR.podUid, true],
  ['Node', ATTR.nodeName, ATTR.nodeUid, false],
];

function str(value: AttrValue | undefined): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** The objects a span names: `k8s.object.*` plus the semconv `k8s.<kind>.name` keys. */
export function spanObjects(span: SpanData): ObjectRefLite[] {
  const a = span.attributes;
  const cluster = str(span.resource.attributes[ATTR.clusterName]) ?? str(a[ATTR.clusterName]) ?? '';
  const namespace = str(a[ATTR.namespaceName]) ?? '';
  const out = new Map<string, ObjectRefLite>();
  const add = (ref: ObjectRefLite): void => {
    const key = objectKey(ref);
    const seen = out.get(key);
    if (seen === undefined || (seen.uid === undefined && ref.uid !== undefined)) out.set(key, ref);
  };
  const kind = str(a[ATTR.objectKind]);
  const name = str(a[ATTR.objectName]);
  if (kind !== undefined && name !== undefined) {
    const uid = str(a[ATTR.objectUid]);
    const ns = kind === 'Node' || kind === 'Namespace' ? '' : namespace;
    add({ cluster, kind, namespace: ns, name, ...(uid !== undefined ? { uid } : {}) });
  }
  for (const [k, nameKey, uidKey, namespaced] of SEMCONV_OBJECTS) {
    const n = str(a[nameKey]);
    if (n === undefined) continue;
    const uid = str(a[uidKey]);
    add({ cluster, kind: k, namespace: namespaced ? namespace : '', name: n, ...(uid !== undefined ? { uid } : {}) });
  }
  return [...out.values()];
}

export function objectKey(ref: ObjectRefLite): string {
  return `${enc(ref.cluster)}/${enc(ref.kind)}/${enc(ref.namespace)}/${enc(ref.name)}`;
}
