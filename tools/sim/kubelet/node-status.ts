import type { WriteCtx } from '../engine/api-server.js';
import type { CoreEventRecorder } from '../engine/core-event-recorder.js';
import type { Node, NodeCondition, ObjectReference } from '../engine/k8s-types.js';
import type { Rng } from '../engine/rng.js';
import type { SimContext } from '../engine/sim-context.js';
import { NODE_STATUS_MERGE_KEYS, sortDeep, twoWayPatch } from '../engine/strategic-patch.js';
import { rfc3339Seconds, US_PER_MS, US_PER_S } from '../engine/time-format.js';
import {
  buildNode,
  healthyConditions,
  nodeImageEntries,
  registeringConditions,
  type NodeFacts,
} from '../objects/node-builder.js';

const TRANSITION_EVENTS: Readonly<Record<string, readonly [ok: string, bad: string]>> = {
  MemoryPressure: ['NodeHasSufficientMemory', 'NodeHasInsufficientMemory'],
  DiskPressure: ['NodeHasNoDiskPressure', 'NodeHasDiskPressure'],
  PIDPressure: ['NodeHasSufficientPID', 'NodeHasInsufficientPID'],
  Ready: ['NodeReady', 'NodeNotReady'],
};

/**
 * kubelet's node status loop (nodeStatusUpdateFrequency 10 s, reported every time, as clusters
 * that set the frequency explicitly do): a strategic-merge patch of nodes/status that moves every
 * condition's lastHeartbeatTime, carries condition transitions with their events, and the image
 * list once it changes. Also node registration for a node that joins mid-scenario.
 */
export class NodeStatusReporter {
  connected = true;
  readonly #c: SimContext;
  readonly #facts: NodeFacts;
  readonly #ctx: WriteCtx;
  readonly #events: CoreEventRecorder;
  readonly #rng: Rng;
  readonly #images: Set<string>;
  #stage: 'starting' | 'cni-pending' | 'ready' = 'ready';

  constructor(
    c: SimContext,
    facts: NodeFacts,
    ctx: WriteCtx,
    events: CoreEventRecorder,
    rng: Rng,
    images: Set<string>,
  ) {
    this.#c = c;
    this.#facts = facts;
    this.#ctx = ctx;
    this.#events = events;
    this.#rng = rng;
    this.#images = images;
  }

  /** Heartbeats every ~10 s from now on. */
  start(): void {
    const next = (): void => {
      this.#c.loop.after(US_PER_S * 10 + this.#rng.int(0, 400) * US_PER_MS, () => {
        this.heartbeat();
        next();
      });
    };
    next();
  }

  /** kubelet's own Node reference: uid is the node name, not the object's uid. */
  nodeRef(): ObjectReference {
    return { kind: 'Node', name: this.#facts.name, uid: this.#facts.name };
  }

  heartbeat(): void {
    if (!this.connected) return;
    const id = { apiVersion: 'v1', kind: 'Node', name: this.#facts.name };
    const cur = this.#c.api.get<Node>(id);
    if (cur === undefined) return;
    const now = this.#c.loop.nowUs;
    const want =
      this.#stage === 'ready' ? healthyConditions(now, now) : registeringConditions(now, this.#stage === 'cni-pending');
    const conditions: NodeCondition[] = want.map((w) => {
      const prev = cur.status.conditions.find((c) => c.type === w.type);
      const same = prev !== undefined && prev.status === w.status;
      if (!same) this.#transitionEvent(w);
      return { ...w, lastTransitionTime: same ? prev.lastTransitionTime : rfc3339Seconds(now) };
    });
    const next = { ...cur.status, conditions, images: nodeImageEntries([...this.#images]) };
    const body = sortDeep({ status: twoWayPatch(cur.status, next, NODE_STATUS_MERGE_KEYS) });
    this.#c.api.patch<Node>(
      id,
      body,
      (d) => ({ ...d, status: next }),
      { ...this.#ctx, query: 'timeout=10s' },
      'status',
    );
  }

  #transitionEvent(c: NodeCondition): void {
    const names = TRANSITION_EVENTS[c.type];
    if (names === undefined) return;
    const ok = c.type === 'Ready' ? c.status === 'True' : c.status === 'False';
    const reason = ok ? names[0] : names[1];
    this.#events.record(this.nodeRef(), 'Normal', reason, `Node ${this.#facts.name} status is now: ${reason}`);
  }

  /**
   * A new node joins: kubelet starts, registers the Node (NotReady, not-ready taint), reports its
   * conditions, and `cniReadyUs` later the network plugin is up and the node turns Ready.
   */
  register(cniReadyUs: number): void {
    this.#stage = 'starting';
    const now = this.#c.loop.nowUs;
    const ref = this.nodeRef();
    this.#events.record(ref, 'Normal', 'Starting', 'Starting kubelet.');
    const body = buildNode(this.#facts, this.#rng, now, false);
    this.#c.api.create(body, this.#ctx);
    for (const reason of ['NodeHasSufficientMemory', 'NodeHasNoDiskPressure', 'NodeHasSufficientPID']) {
      this.#events.record(ref, 'Normal', reason, `Node ${this.#facts.name} status is now: ${reason}`);
    }
    this.#events.record(ref, 'Normal', 'NodeAllocatableEnforced', 'Updated Node Allocatable limit across pods');
    // Until Ready, kubelet posts node status as soon as it changes (fast node status update).
    this.#c.loop.after(this.#rng.int(900, 1_800) * US_PER_MS, () => {
      this.#stage = 'cni-pending';
      this.heartbeat();
    });
    this.#c.loop.after(cniReadyUs, () => {
      this.#stage = 'ready';
      this.heartbeat();
    });
  }
}
