import type { GraphChange, OwnerGraph } from '../graph/owner-graph.js';
import type { SlimObject } from '../graph/slim.js';
import { ATTR, OPERATION, OUTCOME } from '../model/attributes.js';
import { controllerActor } from './actors.js';
import { type SynthContext, firstSightStart } from './context.js';
import { openOwned } from './owned-open.js';
import type { PendingSpan } from './pending-span.js';
import { type WorkloadTracker, scaleStartShownBy } from './workload-tracker.js';

interface ScaleOp {
  readonly span: PendingSpan;
  readonly up: boolean;
}

const ACTOR = controllerActor('replicaset-controller');
// A step's start is the receive time of the ReplicaSet's change, which another kind's informer
// may deliver seconds apart from the rollout's own records.
const RECEIVE_SKEW_MS = 10_000;

/**
 * Whether the ReplicaSet is where its spec says, as its controller has seen it: the replica count
 * at the target and, scaling up, that many ready and available (a pod created is not yet serving).
 */
function reachedTarget(rs: SlimObject, up: boolean): boolean {
  const want = rs.specReplicas ?? 1;
  const caughtUp = rs.generation === undefined || (rs.observedGeneration ?? 0) >= rs.generation;
  const c = rs.counts;
  return (
    caughtUp &&
    (c['replicas'] ?? 0) === want &&
    (!up || ((c['readyReplicas'] ?? 0) >= want && (c['availableReplicas'] ?? 0) >= want))
  );
}

/** Whether the replica range of `span` (one direction) already covers the step `from`→`to`. */
function told(span: PendingSpan, from: number, to: number): boolean {
  const spanFrom = span.attributes[ATTR.replicasFrom];
  const spanTo = Number(span.attributes[ATTR.replicasTo]);
  const lo = Math.min(from, to);
  const hi = Math.max(from, to);
  const up = to > from;
  const start = spanFrom === undefined ? (up ? -Infinity : Infinity) : Number(spanFrom);
  return up ? lo >= start && hi <= spanTo : lo >= spanTo && hi <= start;
}

/**
 * ReplicaSet scale up/down (DESIGN §3.2). Consecutive steps in one direction under an open
 * rollout are one operation ("scaled 0→3"), settled between steps and closed with the rollout;
 * a change of direction starts a new one. Pods created or deleted meanwhile nest under it.
 */
export class ReplicaSetTracker {
  readonly #ctx: SynthContext;
  readonly #ops = new Map<string, ScaleOp>();
  /**
   * ReplicaSets first seen at their replica count with some not yet ready, by when: scaling up,
   * or pods that crashed, until a pod first seen starting under one (childStarting) shows which.
   */
  readonly #unreadySince = new Map<string, number>();

  constructor(ctx: SynthContext) {
    this.#ctx = ctx;
  }

  onChange(change: GraphChange, recordMs: number): void {
    const { prev, next } = change;
    if (change.deleted) {
      this.#unreadySince.delete(next.uid);
      this.#end(next.uid, recordMs, this.#ctx.deletedOutcome);
      return;
    }
    const want = next.specReplicas ?? 1;
    if (prev === undefined) {
      const have = next.counts['replicas'] ?? 0;
      if (have !== want) this.#step(next, have, want, firstSightStart(next.creationMs, recordMs));
      else if (!reachedTarget(next, true) && this.#ops.get(next.uid)?.span.isOpen !== true) {
        this.#unreadySince.set(next.uid, recordMs);
      }
    } else if (prev.specReplicas !== next.specReplicas) {
      this.#unreadySince.delete(next.uid);
      this.#step(next, prev.specReplicas ?? 1, want, recordMs);
    }
    if (reachedTarget(next, true)) this.#unreadySince.delete(next.uid);
    this.#checkSettled(next, recordMs);
  }

  /**
   * A step an Event names (ScalingReplicaSet) that the ReplicaSet's own records did not show (a
   * snapshot, Events only, a watch that skipped versions): opened or joined like a seen step and
   * settled at the Event — records that follow take it further or end it, its owner's operation
   * closes it. Without `from` (Events before v1.30 say only the target) the range has no start.
   */
  stepFromEvent(rs: SlimObject, from: number | undefined, to: number, up: boolean, atMs: number): PendingSpan {
    const joined = this.#ops.get(rs.uid);
    const op = this.#step(rs, from ?? (up ? to - 1 : to + 1), to, atMs);
    if (op !== joined && from === undefined) delete op.span.attributes[ATTR.replicasFrom];
    this.#ctx.tree.settle(op.span, Math.max(op.span.settledAtMs ?? -Infinity, atMs));
    return op.span;
  }

  /**
   * Ends the step of `rsUid` that is part of `owner`, an operation Events showed over: at its
   * settle time, or unfinished at its last evidence up to `atMs` (a first sight after the Event
   * unsettled it, and nothing but the next scale step would end it).
   */
  endWith(rsUid: string, owner: PendingSpan, atMs: number): void {
    const op = this.#ops.get(rsUid);
    if (op?.span.parent !== owner) return;
    this.#end(rsUid, this.#ctx.tree.lastEvidenceMs(op.span, atMs), OUTCOME.unfinished);
  }

  /**
   * A pod of `rs` first seen starting, never having run, created by `podStartMs`: first seen at
   * its count with replicas not ready, `rs` was scaling up to it (from a count unknown).
   */
  childStarting(rs: SlimObject, podStartMs: number): void {
    const startMs = scaleStartShownBy(this.#unreadySince.get(rs.uid), podStartMs);
    if (startMs === undefined) return;
    this.#unreadySince.delete(rs.uid);
    if (this.#ops.get(rs.uid)?.span.isOpen === true || reachedTarget(rs, true)) return;
    const want = rs.specReplicas ?? 1;
    const op = this.#step(rs, want - 1, want, startMs);
    delete op.span.attributes[ATTR.replicasFrom];
  }

  /**
   * The last scale-down of a rollout's tail (rollout-tail.ts): from `startMs` (the deletion of a pod
   * first seen terminating) to 0, from a count unknown, ended at `endMs` (its first sight); the
   * pod's termination nests under it.
   */
  tailStep(rs: SlimObject, startMs: number, endMs: number): void {
    const op = this.#step(rs, 1, 0, startMs);
    delete op.span.attributes[ATTR.replicasFrom];
    this.#ops.delete(rs.uid);
    this.#ctx.tree.close(op.span, endMs, { outcome: OUTCOME.ok, status: { code: 'ok' } });
  }

  #step(rs: SlimObject, from: number, to: number, atMs: number): ScaleOp {
    const up = to > from;
    const current = this.#ops.get(rs.uid);
    if (current !== undefined && current.span.isOpen && current.up === up) {
      current.span.attributes[ATTR.replicasTo] = to;
      current.span.name = `ReplicaSet scale ${up ? 'up' : 'down'}`;
      this.#ctx.tree.unsettle(current.span);
      this.#ctx.ops.completedBy(current.span, undefined);
      return current;
    }
    if (current !== undefined && current.up === up && this.#goesOnClosed(current.span, rs, from, to, atMs)) {
      // Not a new step: the operation lasted until it.
      current.span.endMs = Math.max(current.span.endMs ?? atMs, atMs);
      return current;
    }
    this.#end(rs.uid, atMs, OUTCOME.superseded);
    const span = openOwned(
      this.#ctx,
      rs,
      {
        key: `${rs.uid}/scale/${atMs}`,
        name: `ReplicaSet scale ${up ? 'up' : 'down'}`,
        startMs: atMs,
        resource: ACTOR,
        attributes: {
          ...this.#ctx.attrsOf(rs),
          [ATTR.operation]: OPERATION.replicasetScale,
          [ATTR.replicasFrom]: from,
          [ATTR.replicasTo]: to,
          ...(rs.revision !== undefined ? { [ATTR.revision]: rs.revision } : {}),
        },
      },
      RECEIVE_SKEW_MS,
    );
    // Its ReplicaSet's status writes from before this step (an older generation) are not its.
    this.#ctx.ops.openedAtGeneration(span, rs.generation);
    const op = { span, up };
    this.#ops.set(rs.uid, op);
    this.#ctx.ops.register(rs.uid, span, (at) => this.#end(rs.uid, at, OUTCOME.unfinished));
    return op;
  }

  /**
   * Whether the ReplicaSet's record of a step from `from` to `to` at `atMs`, arriving after its
   * owner's operation closed `span` (the ReplicaSet informer seconds behind the Deployment's; `span`
   * still lingers, not emitted), is a step of `span`: one an Event already put in it, or — the Event
   * later still — the last one, where the owner ended with this ReplicaSet (an old one at 0, the
   * newest at the Deployment's replicas) and no newer operation of the owner has opened since.
   */
  #goesOnClosed(span: PendingSpan, rs: SlimObject, from: number, to: number, atMs: number): boolean {
    if (span.state !== 'closing') return false;
    if (told(span, from, to)) return true;
    const owner = span.parent;
    const link = rs.controller;
    if (owner?.state !== 'closing' || link?.kind !== 'Deployment') return false;
    const dep = this.#ctx.graph.get(link.uid);
    if (dep === undefined || this.#ctx.ops.at(dep.uid, atMs, RECEIVE_SKEW_MS) !== owner) return false;
    if (to !== (rs.revision !== undefined && rs.revision === dep.revision ? dep.specReplicas : 0)) return false;
    span.attributes[ATTR.replicasTo] = to;
    this.#ctx.ops.completedBy(span, undefined);
    // A pod deletion of the step seen before this record went under the Deployment's operation.
    this.#ctx.ops.adoptNearer(rs.uid, span);
    return true;
  }

  #checkSettled(rs: SlimObject, recordMs: number): void {
    const op = this.#ops.get(rs.uid);
    if (op === undefined) return;
    if (!op.span.isOpen) {
      this.#ops.delete(rs.uid); // closed with its rollout
      return;
    }
    if (!reachedTarget(rs, op.up)) return;
    // The ReplicaSet's version at its target: its status writes after it are not the step's.
    if (op.span.settledAtMs === undefined) this.#ctx.ops.completedBy(op.span, rs.resourceVersion);
    if (this.#ownerMayGoOn(op.span)) {
      // The rollout may take this ReplicaSet further in the same direction; close with it.
      if (op.span.settledAtMs === undefined) this.#ctx.tree.settle(op.span, recordMs);
    } else {
      this.#ctx.tree.close(op.span, recordMs, { outcome: OUTCOME.ok, status: { code: 'ok' } });
      this.#ops.delete(rs.uid);
    }
  }

  // A scale under an open rollout, or one still waiting for its owner to arrive, is only settled:
  // the next step of that rollout joins it.
  #ownerMayGoOn(span: PendingSpan): boolean {
    const parent = span.parent;
    return (parent !== undefined && parent.isOpen) || this.#ctx.tree.isAwaitingOwner(span);
  }

  #end(
    uid: string,
    atMs: number,
    outcome: SynthContext['deletedOutcome'] | typeof OUTCOME.superseded | typeof OUTCOME.unfinished,
  ): void {
    const op = this.#ops.get(uid);
    this.#ops.delete(uid);
    if (op === undefined || !op.span.isOpen) return;
    const settledAt = op.span.settledAtMs;
    if (settledAt !== undefined) {
      this.#ctx.tree.close(op.span, settledAt, { outcome: OUTCOME.ok, status: { code: 'ok' } });
    } else {
      this.#ctx.tree.close(op.span, atMs, { outcome });
    }
  }

  /** Ends every open scale as unfinished (end of a replay). */
  flush(atMs: number): void {
    for (const [uid, op] of [...this.#ops]) {
      this.#end(uid, this.#ctx.tree.lastEvidenceMs(op.span, atMs), OUTCOME.unfinished);
    }
  }
}

/**
 * What a pod first seen starting tells its owners first seen mid-way (PodTracker's onStarting),
 * farthest first: a Deployment's scale is open before its ReplicaSet's step opens under it.
 */
export function tellOwnersStarting(
  graph: OwnerGraph,
  replicaSets: ReplicaSetTracker,
  workloads: ReadonlyMap<string, WorkloadTracker>,
): (pod: SlimObject, startMs: number) => void {
  return (pod, startMs) => {
    for (const owner of graph.ownerChain(pod).reverse()) {
      if (owner.kind === 'ReplicaSet') replicaSets.childStarting(owner, startMs);
      else workloads.get(owner.kind)?.childStarting(owner, startMs);
    }
  };
}
