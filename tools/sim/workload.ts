import { nodeFacts, SimCluster } from './cluster.js';
import { US_PER_MS, US_PER_S } from './engine/time-format.js';
import { deployment, nginx } from './objects/workloads.js';
import { DEFAULT_START_MS } from './run-scenario.js';
import type { Recording } from './types.js';

export interface WorkloadOptions {
  /** How many Deployments live and die over the run. */
  readonly deployments: number;
  readonly podsPerDeployment: number;
  /** Image rollouts per Deployment before it is deleted. */
  readonly rollouts: number;
  readonly seed?: number;
  readonly startMs?: number;
  readonly cluster?: string;
  /** Deployments alive at the same time (default 20); bounds memory and node count. */
  readonly concurrency?: number;
  /** Virtual time covered by each yielded chunk (default 60 s). */
  readonly chunkMs?: number;
}

const SETTLE_US = 40 * US_PER_S;
const ROLLOUT_GAP_US = 45 * US_PER_S;
const LINGER_US = 30 * US_PER_S;
const PODS_PER_NODE = 90;

/** The virtual length of a workload run and the nodes it needs. */
export function workloadPlan(o: WorkloadOptions): {
  lifetimeUs: number;
  spacingUs: number;
  durationUs: number;
  nodes: number;
} {
  const concurrency = Math.max(1, Math.min(o.concurrency ?? 20, o.deployments));
  const lifetimeUs = SETTLE_US + o.rollouts * ROLLOUT_GAP_US + LINGER_US;
  const spacingUs = Math.round(lifetimeUs / concurrency);
  const durationUs = 5 * US_PER_S + Math.max(0, o.deployments - 1) * spacingUs + lifetimeUs + 60 * US_PER_S;
  const peakPods = concurrency * o.podsPerDeployment * 1.5;
  return { lifetimeUs, spacingUs, durationUs, nodes: Math.max(3, Math.ceil(peakPods / PODS_PER_NODE)) };
}

/**
 * A large synthetic workload for benchmarks: Deployments `load-N/app-M` are created at a steady
 * pace, rolled `rollouts` times between nginx:1.25 and nginx:1.26, then deleted (the garbage
 * collector removes their ReplicaSets and pods), with at most `concurrency` alive at once — so
 * memory stays bounded however many Deployments the run has. Yields the recording in chunks of
 * `chunkMs` virtual time; concatenating the chunks gives the whole recording. Deterministic per
 * options. Throws on non-positive sizes.
 */
export function* generateWorkload(o: WorkloadOptions): Generator<Recording, void, undefined> {
  if (o.deployments < 1 || o.podsPerDeployment < 1 || o.rollouts < 0)
    throw new Error('generateWorkload: sizes must be positive');
  const plan = workloadPlan(o);
  const startUs = (o.startMs ?? DEFAULT_START_MS) * US_PER_MS;
  const t0 = startUs - 3 * 60 * US_PER_S;
  const cl = new SimCluster({ startUs: t0, seed: o.seed ?? 1, cluster: o.cluster ?? 'bench' });
  for (let i = 1; i <= plan.nodes; i++) cl.addExistingNode(nodeFacts(i, 16));
  cl.runUntil(startUs);
  cl.beginRecording();
  for (let d = 0; d < o.deployments; d++) scheduleDeployment(cl, o, d, startUs + 5 * US_PER_S + d * plan.spacingUs);
  const chunkUs = (o.chunkMs ?? 60_000) * US_PER_MS;
  const endUs = startUs + plan.durationUs;
  for (let t = startUs; t < endUs;) {
    t = Math.min(endUs, t + chunkUs);
    cl.runUntil(t);
    const chunk = cl.drain();
    if (chunk.watch.length + chunk.events.length + chunk.audit.length > 0) yield chunk;
  }
}

function scheduleDeployment(cl: SimCluster, o: WorkloadOptions, index: number, atUs: number): void {
  const namespace = `load-${index % 16}`;
  const name = `app-${index}`;
  const id = { apiVersion: 'apps/v1', kind: 'Deployment', namespace, name };
  const spec = deployment({ namespace, name, replicas: o.podsPerDeployment, containers: [nginx('nginx:1.25')] });
  cl.at(atUs, () => cl.kubectl.apply(spec));
  for (let r = 0; r < o.rollouts; r++) {
    const image = r % 2 === 0 ? 'nginx:1.26' : 'nginx:1.25';
    cl.at(atUs + SETTLE_US + r * ROLLOUT_GAP_US, () => cl.kubectl.setImage(id, 'nginx', image));
  }
  cl.at(atUs + SETTLE_US + o.rollouts * ROLLOUT_GAP_US + LINGER_US, () => cl.kubectl.delete(id));
}
