import type { WriteCtx } from '../engine/api-server.js';
import { CoreEventRecorder } from '../engine/core-event-recorder.js';
import { controllerActor } from '../engine/identities.js';
import type { Node, Pod, Taint } from '../engine/k8s-types.js';
import { referenceTo } from '../engine/object-ref.js';
import { idOf } from '../engine/object-table.js';
import type { Rng } from '../engine/rng.js';
import { streamOf, type SimContext } from '../engine/sim-context.js';
import { rfc3339Seconds, US_PER_MS, US_PER_S } from '../engine/time-format.js';

const NAME = 'node-controller';
const MONITOR_PERIOD_US = 5 * US_PER_S;
const GRACE_US = 40 * US_PER_S;
const UNREACHABLE = 'node.kubernetes.io/unreachable';
const NOT_READY = 'node.kubernetes.io/not-ready';
const UNKNOWN_MSG = 'Kubelet stopped posting node status.';

/**
 * pkg/controller/nodelifecycle (+ node-ipam): watches kubelet heartbeats; after 40 s without one it
 * sets every condition Unknown (NodeStatusUnknown), taints the node unreachable (NoSchedule and
 * NoExecute), marks its pods not Ready and records NodeNotReady. When the node is Ready again the
 * taints come off. New nodes get a pod CIDR and a RegisteredNode event.
 */
export class NodeLifecycleController {
  readonly #c: SimContext;
  readonly #rng: Rng;
  readonly #ctx: WriteCtx;
  readonly #events: CoreEventRecorder;
  readonly #probeUs = new Map<string, { heartbeat: string; seenUs: number }>();
  readonly #cidrs: ReadonlyMap<string, string>;

  constructor(c: SimContext, cidrs: ReadonlyMap<string, string>) {
    this.#c = c;
    this.#cidrs = cidrs;
    this.#rng = streamOf(c, NAME);
    this.#ctx = { actor: controllerActor(NAME, this.#rng) };
    this.#events = new CoreEventRecorder(c.api, c.loop, this.#rng, this.#ctx, { component: NAME });
    c.hub.subscribe((type, obj, atUs) => {
      if (obj.kind !== 'Node' || type === 'DELETED') return;
      const node = obj as Node;
      this.#observe(node, atUs);
      if (type === 'ADDED') this.#c.loop.at(atUs + this.#rng.int(3, 40) * US_PER_MS, () => this.#registered(node));
      else
        this.#c.loop.at(atUs + this.#rng.int(5, 60) * US_PER_MS, () => this.#untaintIfReady(node.metadata.name ?? ''));
    });
  }

  /** Starts the 5-second monitor loop. */
  start(): void {
    const tick = (): void => {
      this.#monitor();
      this.#c.loop.after(MONITOR_PERIOD_US, tick);
    };
    this.#c.loop.after(this.#rng.int(0, 4_999) * US_PER_MS, tick);
  }

  #observe(node: Node, atUs: number): void {
    const name = node.metadata.name ?? '';
    const hb = node.status.conditions.find((c) => c.type === 'Ready')?.lastHeartbeatTime ?? '';
    const prev = this.#probeUs.get(name);
    if (prev === undefined || prev.heartbeat !== hb) this.#probeUs.set(name, { heartbeat: hb, seenUs: atUs });
  }

  #registered(node: Node): void {
    const name = node.metadata.name ?? '';
    this.#events.record(
      referenceTo(node),
      'Normal',
      'RegisteredNode',
      `Node ${name} event: Registered Node ${name} in Controller`,
    );
    const cidr = this.#cidrs.get(name);
    if (cidr === undefined || node.spec.podCIDR !== undefined) return;
    const body = { spec: { podCIDR: cidr, podCIDRs: [cidr] } };
    this.#c.api.patch<Node>(
      idOf(node),
      body,
      (d) => ({ ...d, spec: { podCIDR: cidr, podCIDRs: [cidr], ...d.spec } }),
      this.#ctx,
    );
  }

  #monitor(): void {
    const now = this.#c.loop.nowUs;
    for (const node of this.#c.api.table.list<Node>('v1', 'Node')) {
      const probe = this.#probeUs.get(node.metadata.name ?? '');
      const ready = node.status.conditions.find((c) => c.type === 'Ready');
      if (probe === undefined || ready === undefined || ready.status === 'Unknown') continue;
      if (now - probe.seenUs > GRACE_US) this.#markUnknown(node);
    }
  }

  #markUnknown(node: Node): void {
    const now = rfc3339Seconds(this.#c.loop.nowUs);
    const conditions = node.status.conditions.map((c) => ({
      ...c,
      status: 'Unknown' as const,
      lastTransitionTime: now,
      reason: 'NodeStatusUnknown',
      message: UNKNOWN_MSG,
    }));
    const stored = this.#c.api.update({ ...node, status: { ...node.status, conditions } }, this.#ctx, 'status');
    if (stored === undefined) return;
    this.#events.record(
      referenceTo(stored),
      'Normal',
      'NodeNotReady',
      `Node ${node.metadata.name ?? ''} status is now: NodeNotReady`,
    );
    this.#markPodsNotReady(node.metadata.name ?? '');
    this.#c.loop.after(this.#rng.int(20, 300) * US_PER_MS, () =>
      this.#setTaints(stored, [...(stored.spec.taints ?? []), { key: UNREACHABLE, effect: 'NoSchedule' }]),
    );
    this.#c.loop.after(this.#rng.int(400, 2_500) * US_PER_MS, () => {
      const cur = this.#c.api.get<Node>(idOf(stored));
      if (cur !== undefined)
        this.#setTaints(cur, [
          ...(cur.spec.taints ?? []),
          { key: UNREACHABLE, effect: 'NoExecute', timeAdded: rfc3339Seconds(this.#c.loop.nowUs) },
        ]);
    });
  }

  #markPodsNotReady(nodeName: string): void {
    for (const pod of this.#c.api.table.podsOnNode(nodeName) as Pod[]) {
      const ready = pod.status.conditions?.find((c) => c.type === 'Ready');
      if (ready === undefined || ready.status === 'False') continue;
      const now = rfc3339Seconds(this.#c.loop.nowUs);
      const conditions = (pod.status.conditions ?? []).map((c) =>
        c.type === 'Ready' ? { ...c, status: 'False' as const, lastTransitionTime: now } : c,
      );
      if (this.#c.api.update({ ...pod, status: { ...pod.status, conditions } }, this.#ctx, 'status') === undefined)
        continue;
      this.#events.record(referenceTo(pod), 'Warning', 'NodeNotReady', 'Node is not ready');
    }
  }

  #untaintIfReady(name: string): void {
    const node = this.#c.api.get<Node>({ apiVersion: 'v1', kind: 'Node', name });
    const ready = node?.status.conditions.find((c) => c.type === 'Ready');
    if (node === undefined || ready?.status !== 'True') return;
    const kept = (node.spec.taints ?? []).filter((t) => t.key !== UNREACHABLE && t.key !== NOT_READY);
    if (kept.length !== (node.spec.taints ?? []).length) this.#setTaints(node, kept);
  }

  /** PatchNodeTaints: the whole taint list, with a resourceVersion precondition. */
  #setTaints(node: Node, taints: Taint[]): void {
    const body = {
      metadata: { resourceVersion: node.metadata.resourceVersion ?? '' },
      spec: { taints: taints.length === 0 ? null : taints },
    };
    this.#c.api.patch<Node>(
      idOf(node),
      body,
      (d) => {
        const { taints: _old, ...rest } = d.spec;
        void _old;
        return { ...d, spec: taints.length === 0 ? rest : { ...rest, taints } };
      },
      this.#ctx,
    );
  }
}
