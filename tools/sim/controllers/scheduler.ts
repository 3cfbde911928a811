import type { WriteCtx } from '../engine/api-server.js';
import { EventsV1Recorder } from '../engine/events-v1-recorder.js';
import { canonicalJson } from '../engine/hash.js';
import { CONTROL_PLANE_HOST, schedulerActor } from '../engine/identities.js';
import type { Node, Pod, PodCondition } from '../engine/k8s-types.js';
import { idOf } from '../engine/object-table.js';
import type { Rng } from '../engine/rng.js';
import { streamOf, type SimContext } from '../engine/sim-context.js';
import { POD_STATUS_MERGE_KEYS, sortDeep, twoWayPatch } from '../engine/strategic-patch.js';
import { rfc3339Seconds, US_PER_S } from '../engine/time-format.js';
import { isTerminal } from './pod-util.js';
import { filterNode, fitErrorMessage, podRequests, cpuMillis } from './scheduler-fit.js';

interface Unschedulable {
  attempts: number;
  lastAttemptUs: number;
  retryQueued: boolean;
}

const MAX_BACKOFF_US = 10 * US_PER_S;
const MAX_UNSCHEDULABLE_US = 5 * 60 * US_PER_S;

/**
 * kube-scheduler: binds pending pods within milliseconds, spreading replicas of one owner across
 * nodes. A pod that fits nowhere gets FailedScheduling and PodScheduled=False, and waits until a
 * cluster event that could help (node added, node taints/allocatable/conditions changed, a pod
 * deleted) moves it back, subject to per-pod backoff (1 s doubling to 10 s) — or 5 minutes pass.
 */
export class Scheduler {
  readonly #c: SimContext;
  readonly #rng: Rng;
  readonly #ctx: WriteCtx;
  readonly #events: EventsV1Recorder;
  readonly #queued = new Set<string>();
  readonly #unschedulable = new Map<string, Unschedulable>();
  readonly #nodeSignature = new Map<string, string>();

  constructor(c: SimContext) {
    this.#c = c;
    this.#rng = streamOf(c, 'kube-scheduler');
    this.#ctx = { actor: schedulerActor(this.#rng) };
    this.#events = new EventsV1Recorder(
      c.api,
      c.loop,
      this.#rng,
      this.#ctx,
      'default-scheduler',
      `default-scheduler-${CONTROL_PLANE_HOST}`,
    );
    c.hub.subscribe((type, obj, atUs) => {
      if (obj.kind === 'Pod') this.#onPod(type, obj as Pod, atUs);
      if (obj.kind === 'Node') this.#onNode(type, obj as Node, atUs);
    });
  }

  #onPod(type: string, pod: Pod, atUs: number): void {
    const key = podKey(pod);
    if (pod.spec.nodeName !== undefined || type === 'DELETED') {
      this.#unschedulable.delete(key);
      if (type === 'DELETED' && pod.spec.nodeName !== undefined) this.#moveAll(atUs);
      if (type === 'MODIFIED' && isTerminal(pod)) this.#moveAll(atUs);
      return;
    }
    if (pod.spec.schedulerName !== 'default-scheduler' || pod.metadata.deletionTimestamp !== undefined) return;
    if (this.#queued.has(key) || this.#unschedulable.has(key)) return;
    this.#queued.add(key);
    this.#c.loop.at(atUs + this.#rng.int(2_000, 14_000), () => this.#attempt(key, idOf(pod)));
  }

  #onNode(type: string, node: Node, atUs: number): void {
    const sig = canonicalJson({
      taints: node.spec.taints ?? [],
      alloc: node.status.allocatable,
      labels: node.metadata.labels,
      conds: node.status.conditions.map((c) => [c.type, c.status, c.reason, c.message]),
    });
    const name = node.metadata.name ?? '';
    const prev = this.#nodeSignature.get(name);
    this.#nodeSignature.set(name, sig);
    if (type === 'ADDED' || (prev !== undefined && prev !== sig)) this.#moveAll(atUs);
  }

  /** Moves every unschedulable pod back to the active queue, honouring its backoff. */
  #moveAll(atUs: number): void {
    for (const [key, u] of this.#unschedulable) {
      if (u.retryQueued) continue;
      u.retryQueued = true;
      const backoffUs = Math.min(US_PER_S * 2 ** (u.attempts - 1), MAX_BACKOFF_US);
      const at = Math.max(atUs, u.lastAttemptUs + backoffUs) + this.#rng.int(1_000, 8_000);
      const [namespace = '', name = ''] = key.split('/');
      this.#c.loop.at(at, () => this.#attempt(key, { apiVersion: 'v1', kind: 'Pod', namespace, name }));
    }
  }

  #attempt(key: string, id: { apiVersion: string; kind: string; namespace?: string; name: string }): void {
    this.#queued.delete(key);
    const pod = this.#c.api.get<Pod>(id);
    if (pod === undefined || pod.spec.nodeName !== undefined || pod.metadata.deletionTimestamp !== undefined) return;
    const nodes = this.#c.api.table.list<Node>('v1', 'Node');
    const onNode = new Map(
      nodes.map((n) => [
        n.metadata.name ?? '',
        (this.#c.api.table.podsOnNode(n.metadata.name ?? '') as Pod[]).filter((p) => !isTerminal(p)),
      ]),
    );
    const verdicts = nodes.map((n) => filterNode(pod, n, onNode.get(n.metadata.name ?? '') ?? []));
    const feasible = nodes.filter((_, i) => verdicts[i]?.reasons.length === 0);
    // Scheduling cycle: filter + score take a couple of milliseconds.
    this.#c.loop.advanceTo(this.#c.loop.nowUs + this.#rng.int(400, 3_000));
    if (feasible.length === 0) {
      this.#fail(key, pod, fitErrorMessage(verdicts));
      return;
    }
    const node = this.#score(pod, feasible, onNode);
    this.#unschedulable.delete(key);
    const nodeName = node.metadata.name ?? '';
    if (this.#c.api.bind(pod, nodeName, this.#ctx) === undefined) return;
    const note = `Successfully assigned ${pod.metadata.namespace ?? ''}/${pod.metadata.name ?? ''} to ${nodeName}`;
    this.#events.record(pod, 'Normal', 'Scheduled', 'Binding', note);
  }

  #fail(key: string, pod: Pod, message: string): void {
    const prev = this.#unschedulable.get(key);
    this.#unschedulable.set(key, {
      attempts: (prev?.attempts ?? 0) + 1,
      lastAttemptUs: this.#c.loop.nowUs,
      retryQueued: false,
    });
    this.#events.record(pod, 'Warning', 'FailedScheduling', 'Scheduling', message);
    this.#c.loop.after(MAX_UNSCHEDULABLE_US, () => {
      const u = this.#unschedulable.get(key);
      if (u !== undefined && !u.retryQueued && this.#c.loop.nowUs - u.lastAttemptUs >= MAX_UNSCHEDULABLE_US)
        this.#moveAll(this.#c.loop.nowUs);
    });
    const old = pod.status.conditions ?? [];
    const cur = old.find((c) => c.type === 'PodScheduled');
    if (cur?.status === 'False' && cur.reason === 'Unschedulable' && cur.message === message) return;
    const cond: PodCondition = {
      type: 'PodScheduled',
      status: 'False',
      lastProbeTime: null,
      lastTransitionTime: cur?.status === 'False' ? cur.lastTransitionTime : rfc3339Seconds(this.#c.loop.nowUs),
      reason: 'Unschedulable',
      message,
    };
    const conditions = [...old.filter((c) => c.type !== 'PodScheduled'), cond];
    const body = sortDeep({ status: twoWayPatch({ conditions: old }, { conditions }, POD_STATUS_MERGE_KEYS) });
    this.#c.api.patch<Pod>(
      idOf(pod),
      body,
      (d) => ({ ...d, status: { ...d.status, conditions } }),
      this.#ctx,
      'status',
    );
  }

  /** Spread replicas of one owner, then least allocated CPU; ties broken at random. */
  #score(pod: Pod, nodes: Node[], onNode: ReadonlyMap<string, Pod[]>): Node {
    const owner = pod.metadata.ownerReferences?.[0]?.uid;
    const scored = nodes.map((n) => {
      const here = onNode.get(n.metadata.name ?? '') ?? [];
      const siblings =
        owner === undefined ? 0 : here.filter((p) => p.metadata.ownerReferences?.[0]?.uid === owner).length;
      const used =
        here.reduce((s, p) => s + podRequests(p).cpu, 0) / Math.max(1, cpuMillis(n.status.allocatable['cpu']));
      return { n, score: siblings * 10 + used + this.#rng.range(0, 0.05) };
    });
    scored.sort((a, b) => a.score - b.score);
    const best = scored[0];
    if (best === undefined) throw new Error('scheduler: no feasible node to score');
    return best.n;
  }
}

function podKey(p: Pod): string {
  return `${p.metadata.namespace ?? ''}/${p.metadata.name ?? ''}`;
}
