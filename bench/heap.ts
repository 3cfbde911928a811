import { ATTR, OPERATION } from '../src/model/attributes.js';
import type { JsonObject } from '../src/model/kube-json.js';
import type { ObjectRecord } from '../src/model/records.js';
import { redactObject } from '../src/sources/redact.js';
import { Synthesizer } from '../src/synth/synthesizer.js';
import { type ClusterState, clusterTemplates, cloneDeployment, cloneNode } from './cluster-templates.js';

/**
 * How long after its objects' last change a `settled` cluster is first seen (an informer's list of
 * a cluster that has been running): past FIRST_SEEN_READY_MS (pod-tracker), so pods seen Ready get
 * no startup of their own, and past the adoption window, so nothing waits to be placed. Fed 1 s
 * after, as before, every pod counted as one fresh startup still waiting, not a settled pod.
 */
const SETTLED_FOR_MS = 10 * 60_000;

/** Pods per simulated node, as the workload generator packs them. */
const PODS_PER_NODE = 90;

/** Heap after GC at one cluster size. */
export interface HeapPoint {
  readonly pods: number;
  readonly graphObjects: number;
  readonly heapBytes: number;
}

export interface HeapResult {
  readonly state: ClusterState;
  readonly points: readonly HeapPoint[];
  /** (heap at the largest size − heap at the smallest) / pods between them. */
  readonly bytesPerPod: number;
  /** Heap at the largest size minus the empty synthesizer's, per pod (includes fixed caches). */
  readonly bytesPerPodOverall: number;
  /** Operation spans still open at the end (none for a settled cluster), from synth's flush. */
  readonly openOperations: number;
}

/**
 * Retained heap per tracked pod: grows one Synthesizer, Deployment by Deployment, into a cluster
 * of `checkpoints` pods (nodes added as pods need them, owners and nodes counted in the pods'
 * share), feeding each object as a parsed watch ADDED record, and reads heapUsed after a full GC
 * at each checkpoint. The objects are renamed clones of one simulated Deployment in `state`
 * (see clusterTemplates). Throws without `--expose-gc`.
 */
export function measureHeap(
  state: ClusterState,
  checkpoints: readonly number[],
  podsPerDeployment: number,
): HeapResult {
  const t = clusterTemplates(podsPerDeployment, state);
  const synth = new Synthesizer({ cluster: 'bench' });
  const empty = settledHeap();
  const points: HeapPoint[] = [];
  let pods = 0;
  let nodes = 0;
  let seq = 0;
  const firstSeenMs = t.tsMs + (state === 'settled' ? SETTLED_FOR_MS : 0);
  const feed = (text: string): void => {
    const object = redactObject(JSON.parse(text) as JsonObject);
    synth.process(objectRecord(object, firstSeenMs + seq * 0.01, ++seq));
  };
  for (const target of checkpoints) {
    for (let d = pods / t.pods.length; pods < target; d++) {
      const nodeOf = (p: number): string => `node-${Math.floor((pods + p) / PODS_PER_NODE) + 1}`;
      const needed = Math.floor((pods + t.pods.length - 1) / PODS_PER_NODE) + 1;
      for (; nodes < needed; nodes++) feed(cloneNode(t, `node-${nodes + 1}`, nodes));
      for (const text of cloneDeployment(t, d, nodeOf)) feed(text);
      pods += t.pods.length;
    }
    points.push({ pods, graphObjects: synth.graphSize, heapBytes: settledHeap() });
  }
  const openOperations = synth.flush().filter((span) => {
    const op = span.attributes[ATTR.operation];
    return op !== undefined && op !== OPERATION.activityWindow && op !== OPERATION.podPhase;
  }).length;
  const first = points[0];
  const last = points[points.length - 1];
  if (first === undefined || last === undefined) throw new Error('measureHeap: no checkpoints');
  return {
    state,
    points,
    bytesPerPod: points.length > 1 ? (last.heapBytes - first.heapBytes) / (last.pods - first.pods) : NaN,
    bytesPerPodOverall: (last.heapBytes - empty) / last.pods,
    openOperations,
  };
}

/** heapUsed after full collections (twice: weak maps and finalizers settle on the second). */
export function settledHeap(): number {
  if (globalThis.gc === undefined) throw new Error('run node with --expose-gc');
  globalThis.gc();
  globalThis.gc();
  return process.memoryUsage().heapUsed;
}

function objectRecord(object: JsonObject, timeMs: number, line: number): ObjectRecord {
  return { source: 'object', type: 'ADDED', object, timeMs, timeEstimated: false, origin: { file: 'bench', line } };
}
