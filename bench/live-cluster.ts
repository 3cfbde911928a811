/**
 * Child process of the live-memory phase: a fake apiserver holding a settled cluster of
 * `--pods` pods (Deployments, ReplicaSets, pods and Nodes cloned from one simulated Deployment,
 * as the heap phase uses), so its memory is not the measured process's. Started with `fork` and
 * driven over IPC:
 *
 *   → parent  { type: 'ready', url, kubeconfig, objects, pods, loadSeconds }
 *   ← parent  { type: 'churn', changes, seed }    → { type: 'churned', applied, restarts, deletes, creates, seconds }
 *   ← parent  { type: 'storm', pods }             → { type: 'stormed', applied, seconds }
 *
 * Arguments: --pods N [--pods-per-deployment N] --kubeconfig PATH (written there). It exits when
 * the parent disconnects or sends SIGTERM. A failure to start is written to stderr
 * with exit status 1.
 */
import { parseArgs } from 'node:util';
import type { FakeApiserver } from '../tools/sim/apiserver/index.js';
import { startFakeApiserver } from '../tools/sim/apiserver/index.js';
import { clusterTemplates, cloneDeployment, cloneNode } from './cluster-templates.js';

type Json = Record<string, unknown>;

/** Pods per simulated node, as the workload generator packs them (the heap phase's figure). */
const PODS_PER_NODE = 90;

/** A request from the parent. */
export interface ChurnRequest {
  readonly type: 'churn';
  readonly changes: number;
  readonly seed: number;
}

/** A storm: `pods` new pods at once that no node can take (Pending, Unschedulable). */
export interface StormRequest {
  readonly type: 'storm';
  readonly pods: number;
}

/** The storm, applied: one watch event per pod. */
export interface StormDone {
  readonly type: 'stormed';
  readonly applied: number;
  readonly seconds: number;
}

/** What the child reports once its cluster is loaded. */
export interface ClusterReady {
  readonly type: 'ready';
  readonly url: string;
  readonly kubeconfig: string;
  /** Objects of the kinds `run` watches by default (Deployments, ReplicaSets, Pods, Nodes): what it lists. */
  readonly objects: number;
  readonly pods: number;
  readonly loadSeconds: number;
}

/** One churn round, applied: every change is one watch event. */
export interface ChurnDone {
  readonly type: 'churned';
  readonly applied: number;
  readonly restarts: number;
  readonly deletes: number;
  readonly creates: number;
  readonly seconds: number;
}

interface PodRef {
  readonly namespace: string;
  readonly name: string;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      pods: { type: 'string' },
      'pods-per-deployment': { type: 'string', default: '20' },
      kubeconfig: { type: 'string' },
    },
    strict: true,
  });
  const pods = Number(values.pods);
  const perDeployment = Number(values['pods-per-deployment']);
  if (!(pods > 0) || !(perDeployment > 0)) throw new Error('--pods and --pods-per-deployment must be positive');
  if (values.kubeconfig === undefined) throw new Error('--kubeconfig PATH (where to write it) is required');
  const send = (m: ClusterReady | ChurnDone | StormDone): void => void process.send?.(m);
  const t0 = performance.now();
  // Bookmarks every 10 s: often enough to keep resume points fresh, rare enough not to be load.
  const server = await startFakeApiserver({ bookmarkIntervalMs: 10_000 });
  const refs = await load(server, pods, perDeployment);
  const kubeconfig = await server.kubeconfig(values.kubeconfig);
  const objects = ['Node', 'Pod']
    .map((k) => server.count('v1', k))
    .concat(['Deployment', 'ReplicaSet'].map((k) => server.count('apps/v1', k)))
    .reduce((a, b) => a + b, 0);
  send({
    type: 'ready',
    url: server.url,
    kubeconfig,
    objects,
    pods: refs.length,
    loadSeconds: (performance.now() - t0) / 1000,
  });
  let created = 0;
  process.on('message', (m: ChurnRequest | StormRequest) => {
    if (m.type === 'storm') {
      void storm(server, refs, m.pods).then(send);
      return;
    }
    if (m.type !== 'churn') return;
    void churn(server, refs, m, created).then((done) => {
      created += done.creates;
      send(done);
    });
  });
  const stop = (): void => void server.close().then(() => process.exit(0));
  process.on('disconnect', stop);
  process.on('SIGTERM', stop);
}

// Deployment by Deployment, each first-owner-first, nodes as pods need them; yields now and then
// so the server stays responsive (nothing is watching yet, but it keeps the load incremental).
async function load(server: FakeApiserver, pods: number, perDeployment: number): Promise<PodRef[]> {
  const t = clusterTemplates(perDeployment, 'settled');
  const refs: PodRef[] = [];
  let nodes = 0;
  for (let d = 0; refs.length < pods; d++) {
    const first = refs.length;
    const nodeOf = (p: number): string => `node-${Math.floor((first + p) / PODS_PER_NODE) + 1}`;
    const needed = Math.floor((first + t.pods.length - 1) / PODS_PER_NODE) + 1;
    for (; nodes < needed; nodes++) server.applyQuiet('ADDED', JSON.parse(cloneNode(t, `node-${nodes + 1}`, nodes)));
    for (const text of cloneDeployment(t, d, nodeOf)) {
      const object = JSON.parse(text) as Json;
      server.applyQuiet('ADDED', object);
      const meta = object['metadata'] as { namespace: string; name: string };
      if (object['kind'] === 'Pod') refs.push({ namespace: meta.namespace, name: meta.name });
    }
    if (d % 50 === 49) await new Promise((resolve) => setImmediate(resolve));
  }
  return refs;
}

/**
 * `changes` writes to random pods: 60% container restarts (status update), 20% deletions and 20%
 * replacement pods created Running in the deleted one's place, so the cluster size stays put.
 * Yields every 500 writes so open watches stream what is queued, as playRecording does.
 */
async function churn(
  server: FakeApiserver,
  refs: PodRef[],
  m: ChurnRequest,
  createdBefore: number,
): Promise<ChurnDone> {
  const random = mulberry32(m.seed);
  const t0 = performance.now();
  const counts = { restarts: 0, deletes: 0, creates: 0 };
  const now = (): string => new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  let applied = 0;
  while (applied < m.changes) {
    const i = Math.floor(random() * refs.length);
    const ref = refs[i];
    const pod = ref === undefined ? undefined : server.get('v1', 'Pod', ref.namespace, ref.name);
    if (ref === undefined || pod === undefined) continue;
    if (random() < 0.6 || m.changes - applied < 2) {
      server.applyQuiet('MODIFIED', restarted(pod, now()));
      counts.restarts++;
      applied++;
    } else {
      server.applyQuiet('DELETED', {
        ...pod,
        metadata: { ...(pod['metadata'] as Json), deletionTimestamp: now(), deletionGracePeriodSeconds: 0 },
      });
      const n = createdBefore + counts.creates;
      const replacement = renamed(pod, `${ref.name.replace(/-[^-]+$/, '')}-r${n.toString(36)}`, n, now());
      server.applyQuiet('ADDED', replacement);
      refs[i] = { namespace: ref.namespace, name: String((replacement['metadata'] as Json)['name']) };
      counts.deletes++;
      counts.creates++;
      applied += 2;
    }
    if (applied % 500 < 2) await new Promise((resolve) => setImmediate(resolve));
  }
  return { type: 'churned', applied, ...counts, seconds: (performance.now() - t0) / 1000 };
}

/**
 * `pods` pods created now under the cluster's ReplicaSets (a scale-up everywhere at once) that no
 * node can take: Pending, PodScheduled False/Unschedulable, no node, no container started. Their
 * startups stay open (until the operation bound or max age ends them). Yields every 500 pods.
 */
async function storm(server: FakeApiserver, refs: readonly PodRef[], pods: number): Promise<StormDone> {
  const t0 = performance.now();
  const at = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  let applied = 0;
  for (let n = 0; applied < pods; n++) {
    const ref = refs[(n * 7919) % refs.length];
    const pod = ref === undefined ? undefined : server.get('v1', 'Pod', ref.namespace, ref.name);
    if (ref === undefined || pod === undefined) continue;
    server.applyQuiet('ADDED', pending(pod, `${ref.name.replace(/-[^-]+$/, '')}-s${n.toString(36)}`, n, at));
    applied++;
    if (applied % 500 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  return { type: 'stormed', applied, seconds: (performance.now() - t0) / 1000 };
}

// A pod of the same owner and shape as `pod`, just created and unschedulable.
function pending(pod: Json, name: string, n: number, at: string): Json {
  const meta = pod['metadata'] as Json;
  const { resourceVersion: _rv, deletionTimestamp: _dt, ...rest } = meta;
  const { nodeName: _node, ...spec } = pod['spec'] as Json;
  const uid = `00000000-0000-4000-a000-${n.toString(16).padStart(12, '0')}`;
  return {
    ...pod,
    metadata: { ...rest, name, uid, creationTimestamp: at },
    spec,
    status: {
      phase: 'Pending',
      qosClass: (pod['status'] as Json)['qosClass'],
      conditions: [
        {
          type: 'PodScheduled',
          status: 'False',
          reason: 'Unschedulable',
          message: '0/1112 nodes are available: 1112 Insufficient cpu.',
          lastProbeTime: null,
          lastTransitionTime: at,
        },
      ],
    },
  };
}

// The first container restarted (OOMKilled) and running again: what the kubelet reports.
function restarted(pod: Json, at: string): Json {
  const status = pod['status'] as Json;
  const [first, ...rest] = (status['containerStatuses'] ?? []) as Json[];
  if (first === undefined) return pod;
  const previous = (first['state'] as { running?: { startedAt?: string } } | undefined)?.running?.startedAt ?? at;
  const container = {
    ...first,
    restartCount: Number(first['restartCount'] ?? 0) + 1,
    lastState: { terminated: { exitCode: 137, reason: 'OOMKilled', startedAt: previous, finishedAt: at } },
    state: { running: { startedAt: at } },
  };
  return { ...pod, status: { ...status, containerStatuses: [container, ...rest] } };
}

// A replacement pod: same owner, node and shape, its own name and uid, created now and Running.
function renamed(pod: Json, name: string, n: number, at: string): Json {
  const meta = pod['metadata'] as Json;
  const uid = `00000000-0000-4000-9000-${n.toString(16).padStart(12, '0')}`;
  const { resourceVersion: _rv, deletionTimestamp: _dt, ...rest } = meta;
  return { ...pod, metadata: { ...rest, name, uid, creationTimestamp: at } };
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

main().catch((err: unknown) => {
  process.stderr.write(`live-cluster: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
