import type { GraphChange } from '../graph/owner-graph.js';
import type { SlimObject } from '../graph/slim.js';
import type { SpecWriter } from '../model/managed-fields.js';
import type { AuditEntry } from '../model/records.js';
import { ATTR, OUTCOME, type Outcome } from '../model/attributes.js';
import { str } from '../model/kube-json.js';
import type { AttrValue } from '../model/span.js';
import { controllerActor } from './actors.js';
import { type SynthContext, firstSightStart } from './context.js';
import { isAuditedSpecWrite, managedFieldsInitiator, withdrawInitiator } from './managed-fields-initiator.js';
import { TIMESTAMP_SLACK_MS } from './operation-index.js';
import type { PendingSpan } from './pending-span.js';
import type { WorkloadRules } from './workload-rules.js';

interface WorkloadState {
  op: PendingSpan | undefined;
  opIsRollout: boolean;
  /** Opened at first sight: its kind and start are guesses an Event may correct. */
  guessed: boolean;
  /** The object's last spec write by managedFields: who started an operation, without audit. */
  writer: SpecWriter | undefined;
  /** Audit showed writes of this object: its requests name initiators, managedFields never. */
  audited: boolean;
  /**
   * The last operation managedFields named the initiator of, for an audited write to withdraw it
   * while it is not exported; weak, so an exported span is not kept for a quiet workload.
   */
  named: WeakRef<PendingSpan> | undefined;
  /**
   * First seen with its rollout complete and replicas unavailable, at this time: a crash or a
   * scale in progress, until a pod first seen starting under it (childStarting) shows which.
   */
  unavailableSinceMs: number | undefined;
  /**
   * The last operation its records ended, and the resourceVersion that ended it: its end is that
   * version's receive time, which a slow informer delivers seconds after the write (see onAudited).
   */
  endedBy: { op: WeakRef<PendingSpan>; resourceVersion: string } | undefined;
}

function newState(): WorkloadState {
  return {
    op: undefined,
    opIsRollout: false,
    guessed: false,
    writer: undefined,
    audited: false,
    named: undefined,
    unavailableSinceMs: undefined,
    endedBy: undefined,
  };
}

/** Replica counts an operation went from and to. */
export interface ReplicaRange {
  readonly from: number;
  readonly to: number;
}

/**
 * Deployment / StatefulSet / DaemonSet operations: a template change starts a rollout, any other
 * generation bump a scale (or update); each ends when the workload settles, fails, is superseded
 * by a newer change, or is deleted. ReplicaSet and pod operations nest under the open one.
 */
export class WorkloadTracker {
  readonly #ctx: SynthContext;
  readonly #rules: WorkloadRules;
  readonly #state = new Map<string, WorkloadState>();

  constructor(ctx: SynthContext, rules: WorkloadRules) {
    this.#ctx = ctx;
    this.#rules = rules;
  }

  onChange(change: GraphChange, recordMs: number): void {
    const { prev, next } = change;
    let st = this.#state.get(next.uid);
    if (st === undefined) this.#state.set(next.uid, (st = newState()));
    if (next.specWriter !== undefined) st.writer = next.specWriter;
    if (change.deleted) {
      this.#end(st, recordMs, this.#ctx.deletedOutcome, undefined);
      this.#state.delete(next.uid);
      return;
    }
    if (prev === undefined) {
      // An operation an Event opened before this first sight goes on.
      if (!this.#rules.isSettled(next) && st.op?.isOpen !== true) {
        if (!rolledOut(next)) {
          this.#open(st, next, firstSightStart(next.creationMs, recordMs), true, undefined);
          st.guessed = true;
        } else st.unavailableSinceMs = recordMs;
      }
    } else if ((next.generation ?? 0) > (prev.generation ?? 0)) {
      st.unavailableSinceMs = undefined;
      this.#onSpecChange(st, prev, next, recordMs);
    }
    if (this.#rules.isSettled(next)) st.unavailableSinceMs = undefined;
    this.#progress(st, next, recordMs);
  }

  #onSpecChange(st: WorkloadState, prev: SlimObject, next: SlimObject, recordMs: number): void {
    const rollout = next.templateHash !== prev.templateHash;
    const replicasChanged = next.specReplicas !== prev.specReplicas;
    if (!rollout && st.op !== undefined && st.opIsRollout) {
      // A scale during a rollout is part of the rollout's story, not a new trace — with the steps
      // that waited for it (their informer was quicker; owned-open's ownerBehind).
      this.#ctx.ops.adoptWaiting(next.uid, st.op);
      if (replicasChanged) {
        this.#ctx.tree.addEvent(st.op, {
          name: 'replicas changed',
          timeMs: recordMs,
          attributes: { [ATTR.replicasFrom]: prev.specReplicas ?? 0, [ATTR.replicasTo]: next.specReplicas ?? 0 },
        });
      }
      return;
    }
    this.#end(st, recordMs, OUTCOME.superseded, undefined);
    const range = replicasChanged ? { from: prev.specReplicas ?? 0, to: next.specReplicas ?? 0 } : undefined;
    this.#open(st, next, recordMs, rollout, range);
  }

  /**
   * An Event (ScalingReplicaSet) shows `s` rolling out, or scaling over `range`, at `atMs` where
   * its own records did not: the open operation — moved back to `atMs` and named by the Event
   * when first sight only guessed it — or a new one. Returns it, or undefined when the open
   * operation is one its records opened (they end it).
   */
  fromEvent(s: SlimObject, rollout: boolean, atMs: number, range: ReplicaRange | undefined): PendingSpan | undefined {
    let st = this.#state.get(s.uid);
    if (st === undefined) this.#state.set(s.uid, (st = newState()));
    const op = st.op;
    if (op === undefined || !op.isOpen) {
      return this.#open(st, s, atMs, rollout, rollout ? undefined : range);
    }
    if (!st.guessed) return undefined;
    st.guessed = false;
    if (atMs < op.startMs) op.startMs = atMs;
    if (!rollout && range !== undefined && this.#rules.scaleOperation !== undefined) {
      op.name = `${this.#rules.kind} scale`;
      op.attributes[ATTR.operation] = this.#rules.scaleOperation;
      op.attributes[ATTR.replicasFrom] = range.from;
      op.attributes[ATTR.replicasTo] = range.to;
      st.opIsRollout = false;
    }
    return op;
  }

  /**
   * A pod of `s` first seen starting, never having run (childStarting is called while it starts).
   * First seen with its rollout complete and replicas unavailable, `s` was scaling up then, not
   * crash-looping or losing a node (such a pod has restarts, or had been Ready): its scale opens
   * at that first sight, from an unknown count (a ScalingReplicaSet Event, when it comes, names
   * both).
   */
  childStarting(s: SlimObject, podStartMs: number): void {
    const st = this.#state.get(s.uid);
    const startMs = scaleStartShownBy(st?.unavailableSinceMs, podStartMs);
    if (st === undefined || startMs === undefined) return;
    st.unavailableSinceMs = undefined;
    if (st.op?.isOpen === true || this.#rules.scaleOperation === undefined || this.#rules.isSettled(s)) return;
    const want = s.specReplicas ?? 1;
    const op = this.#open(st, s, startMs, false, { from: want, to: want });
    delete op.attributes[ATTR.replicasFrom];
    st.guessed = true;
  }

  /**
   * A rollout's tail (rollout-tail.ts): `s` first seen complete while a pod of an old ReplicaSet
   * still terminates. Opened at `startMs` (that pod's deletion) and ended at `endMs` (its first
   * sight) unless an operation of `s` is open; returns it.
   */
  rolloutTail(s: SlimObject, startMs: number, endMs: number): PendingSpan | undefined {
    const st = this.#state.get(s.uid);
    if (st === undefined || st.op?.isOpen === true) return undefined;
    const op = this.#open(st, s, startMs, true, undefined);
    if (s.revision !== undefined) op.attributes[ATTR.revision] = s.revision;
    this.#end(st, endMs, OUTCOME.ok, undefined);
    return op;
  }

  /**
   * Ends the operation an Event opened, at its last evidence: superseded by the next one Events
   * show, or unfinished when none has come for a while.
   */
  endFromEvent(uid: string, op: PendingSpan, atMs: number, superseded = false): void {
    const st = this.#state.get(uid);
    if (st?.op !== op) return;
    if (!superseded) op.attributes['kubestitch.close_reason'] = 'no-further-evidence';
    this.#end(st, atMs, superseded ? OUTCOME.superseded : OUTCOME.unfinished, undefined);
  }

  #open(
    st: WorkloadState,
    s: SlimObject,
    startMs: number,
    rollout: boolean,
    range: ReplicaRange | undefined,
  ): PendingSpan {
    const r = this.#rules;
    const scale = !rollout && range !== undefined && r.scaleOperation !== undefined;
    const attributes: Record<string, AttrValue> = {
      ...this.#ctx.attrsOf(s),
      [ATTR.operation]: rollout
        ? r.rolloutOperation
        : scale
          ? (r.scaleOperation ?? '')
          : `${r.kind.toLowerCase()}.update`,
      [ATTR.generation]: s.generation ?? 0,
    };
    if (scale) {
      attributes[ATTR.replicasFrom] = range.from;
      attributes[ATTR.replicasTo] = range.to;
    }
    const verb = rollout ? 'rollout' : scale ? 'scale' : 'update';
    const op = this.#ctx.tree.open({
      key: `${s.uid}/${verb}/${s.generation ?? 0}/${startMs}`,
      name: `${r.kind} ${verb}`,
      startMs,
      resource: controllerActor(r.controller),
      attributes,
    });
    st.op = op;
    st.opIsRollout = rollout;
    st.guessed = false;
    this.#ctx.ops.register(s.uid, op, (at) => this.#end(st, at, OUTCOME.unfinished, undefined));
    return op;
  }

  #progress(st: WorkloadState, s: SlimObject, recordMs: number): void {
    const op = st.op;
    if (op === undefined || !op.isOpen) return;
    const revision = s.revision;
    if (revision !== undefined && st.opIsRollout) op.attributes[ATTR.revision] = revision;
    const failure = this.#rules.failure(s);
    if (failure !== undefined) {
      this.#end(st, recordMs, OUTCOME.progressDeadlineExceeded, failure);
    } else if (this.#rules.isSettled(s)) {
      this.#end(st, recordMs, OUTCOME.ok, undefined);
    } else return;
    if (s.resourceVersion !== '') st.endedBy = { op: new WeakRef(op), resourceVersion: s.resourceVersion };
  }

  /**
   * An audited request on object `uid`. When it wrote the object (not its status), audit tells
   * who started its operations: an initiator managedFields named on one not yet exported is
   * withdrawn, and none is named again.
   */
  onAudited(entry: AuditEntry, uid: string): void {
    // A workload is known before its audited writes are placed (their subject comes from the graph);
    // none is made up for one already deleted.
    const st = this.#state.get(uid);
    if (st === undefined) return;
    endAtWrite(st, entry);
    if (!isAuditedSpecWrite(entry)) return;
    st.audited = true;
    const named = st.named?.deref();
    if (named !== undefined && named.state !== 'emitted') withdrawInitiator(named.attributes);
    st.named = undefined;
  }

  #end(st: WorkloadState, atMs: number, outcome: Outcome, error: string | undefined): void {
    const op = st.op;
    st.op = undefined;
    if (op === undefined || !op.isOpen) return;
    // Named once its start is final (an Event may have moved it back).
    const initiator = st.audited ? undefined : managedFieldsInitiator(st.writer, op.startMs);
    if (initiator !== undefined) {
      Object.assign(op.attributes, initiator);
      st.named = new WeakRef(op);
    }
    const status =
      error !== undefined
        ? { code: 'error' as const, message: error }
        : outcome === OUTCOME.ok
          ? { code: 'ok' as const }
          : undefined;
    this.#ctx.tree.close(op, atMs, { outcome, ...(status !== undefined ? { status } : {}) });
  }

  /** Ends every open operation as unfinished (end of a replay). */
  flush(atMs: number): void {
    for (const st of this.#state.values()) {
      const at = st.op === undefined ? atMs : this.#ctx.tree.lastEvidenceMs(st.op, atMs);
      this.#end(st, at, OUTCOME.unfinished, undefined);
    }
  }
}

/**
 * The audited write of the version that ended the workload's last operation: it ended when that
 * write completed, not when the watch delivered it. A DaemonSet informer seconds behind the rest
 * (kind skew) ended rollout #0 at its receive time, so the next rollout's first pod deletion and
 * spec patch, within a second of that, went under #0. Only while the operation is not emitted;
 * what joined it meanwhile stays (its place was announced: the stitcher was given its trace id),
 * the end only moves back — a pod deletion after a completed StatefulSet or DaemonSet rollout does
 * not join it in the first place (pod-next-operation, completedBefore).
 */
function endAtWrite(st: WorkloadState, entry: AuditEntry): void {
  const ended = st.endedBy;
  const op = ended?.op.deref();
  if (ended === undefined || op === undefined || op.state !== 'closing' || op.endMs === undefined) return;
  if (str(entry.responseObject, 'metadata', 'resourceVersion') !== ended.resourceVersion) return;
  st.endedBy = undefined;
  if (entry.stageMs < op.endMs) op.endMs = Math.max(op.startMs, entry.stageMs);
}

/**
 * When a scale of an owner first seen mid-way at `firstSeenMs` (undefined: not seen so) began,
 * shown by a pod first seen starting under it at `podStartMs`: no later than that pod, when the
 * pod is new enough to be its work. Undefined when the pod is no evidence: created after that
 * first sight (to the second), it says nothing of what went on then.
 */
export function scaleStartShownBy(firstSeenMs: number | undefined, podStartMs: number): number | undefined {
  if (firstSeenMs === undefined || podStartMs > firstSeenMs + TIMESTAMP_SLACK_MS) return undefined;
  return firstSeenMs - podStartMs <= FRESH_POD_MS ? Math.min(firstSeenMs, podStartMs) : firstSeenMs;
}

// A controller's pod starts within this long of the change that made it.
const FRESH_POD_MS = 60_000;

// First seen with its last rollout complete (the deployment controller's Progressing reason
// NewReplicaSetAvailable, every replica of the current template) and pods unavailable since: a
// crash, not a rollout in progress.
function rolledOut(s: SlimObject): boolean {
  const p = s.conditions['Progressing'];
  const want = s.specReplicas ?? 1;
  return (
    s.kind === 'Deployment' &&
    p?.status === 'True' &&
    p.reason === 'NewReplicaSetAvailable' &&
    (s.observedGeneration ?? 0) >= (s.generation ?? 0) &&
    (s.counts['updatedReplicas'] ?? 0) === want &&
    (s.counts['replicas'] ?? 0) === want
  );
}
