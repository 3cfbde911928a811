import type { SlimObject } from '../graph/slim.js';
import { num, parseTimeMs, str } from '../model/kube-json.js';
import { kindOfResource } from '../model/object-ref.js';
import type { AuditEntry } from '../model/records.js';
import type { WindowSubject } from './activity-windows.js';
import type { SpanEventData } from '../model/span.js';
import { ATTR, OPERATION } from '../model/attributes.js';
import type { AttrValue } from '../model/span.js';
import { KUBESTITCH_ACTOR } from './actors.js';
import { MUTATING_VERBS, emitAuditSpan } from './audit-span.js';
import type { SynthContext } from './context.js';
import type { PendingSpan } from './pending-span.js';
import type { PodTracker } from './pod-tracker.js';
import { phaseKeyOf } from './pod-startup-plan.js';
import { DELETE_OPERATION, TIMESTAMP_SLACK_MS } from './operation-index.js';

/** Counters of what happened to audit events, for the replay summary and /metrics. */
export interface AuditStats {
  spans: number;
  duplicates: number;
  skippedStage: number;
  skippedRead: number;
  skippedEventWrites: number;
}

// Remembered auditID/stage pairs; webhook redeliveries arrive within seconds, so this is ample.
const DEDUPE_CAPACITY = 200_000;

/**
 * Audited requests as pseudo-spans (DESIGN §3.3), placed under the operation they belong to:
 * pods/binding and kubelet status writes inside the pod startup, controller pod creates under the
 * ReplicaSet (or Job, StatefulSet…) operation of the pod's owner, deployment-controller
 * ReplicaSet writes under the rollout, anything else under the object's open operation or its
 * activity window. Only ResponseComplete/Panic stages of mutating verbs; deduped by auditID+stage.
 * Writes of Event objects are not spans: the Events themselves are span events already.
 */
export class AuditTracker {
  readonly stats: AuditStats = { spans: 0, duplicates: 0, skippedStage: 0, skippedRead: 0, skippedEventWrites: 0 };
  readonly #ctx: SynthContext;
  readonly #pods: PodTracker;
  readonly #seen = new Set<string>();

  constructor(ctx: SynthContext, pods: PodTracker) {
    this.#ctx = ctx;
    this.#pods = pods;
  }

  /** True when the entry should become a span (stage, verb, not seen before); counts the rest. */
  accept(entry: AuditEntry): boolean {
    if (entry.stage !== 'ResponseComplete' && entry.stage !== 'Panic') {
      this.stats.skippedStage++;
      return false;
    }
    if (!MUTATING_VERBS.has(entry.verb)) {
      this.stats.skippedRead++;
      return false;
    }
    // Writing an Event is how a component reports; the Event itself is already a span event.
    if (entry.objectRef?.resource === 'events') {
      this.stats.skippedEventWrites++;
      return false;
    }
    const key = `${entry.auditId}/${entry.stage}`;
    if (this.#seen.has(key)) {
      this.stats.duplicates++;
      return false;
    }
    this.#seen.add(key);
    if (this.#seen.size > DEDUPE_CAPACITY) {
      const oldest = this.#seen.values().next().value;
      if (oldest !== undefined) this.#seen.delete(oldest);
    }
    return true;
  }

  /** Emits the span of an accepted entry; `subject` is the object it wrote, when known. */
  place(
    entry: AuditEntry,
    subject: SlimObject | undefined,
    diff: SpanEventData | undefined,
    endedOp: PendingSpan | undefined,
  ): void {
    this.stats.spans++;
    const ref = entry.objectRef;
    if (subject?.kind === 'Pod' && this.#pods.onAudit(subject, entry, diff)) return;
    // The request that ended an operation (the status write completing a rollout) belongs to it.
    const ended = endedOp !== undefined && endedOp.state === 'closing' ? endedOp : undefined;
    const found = this.#deletionOf(entry, subject) ?? this.#parentFor(entry, subject) ?? ended;
    const parent = isBinding(entry) ? this.#bindingParent(found, subject) : found;
    if (parent !== undefined) {
      emitAuditSpan(this.#ctx.tree, entry, parent, {}, diff);
      return;
    }
    const windowSubject: WindowSubject =
      subject !== undefined
        ? { id: subject.uid, kind: subject.kind, attributes: this.#ctx.attrsOf(subject) }
        : requestSubject(ref);
    const window = this.#ctx.windows.windowFor(windowSubject, entry.receivedMs, KUBESTITCH_ACTOR);
    emitAuditSpan(this.#ctx.tree, entry, window, {}, diff);
  }

  // A pod's binding is its scheduling, in its startup — also when the request's audit arrives after
  // the record of the pod's deletion, whose termination, open at the record's time, `at` prefers.
  #bindingParent(found: PendingSpan | undefined, subject: SlimObject | undefined): PendingSpan | undefined {
    const startup =
      subject?.kind === 'Pod' && found?.attributes[ATTR.operation] === OPERATION.podTermination
        ? this.#ctx.ops.newest(subject.uid, OPERATION.podStartup)
        : undefined;
    const op = startup ?? found;
    return op === undefined ? undefined : (schedulePhaseOf(op) ?? op);
  }

  // A delete belongs to the deletion it started (the garbage collector's delete of a ReplicaSet
  // inside that ReplicaSet's deletion, part of its owner's cascade), not to the owner's operation.
  #deletionOf(entry: AuditEntry, subject: SlimObject | undefined): PendingSpan | undefined {
    if (entry.verb !== 'delete' || subject === undefined) return undefined;
    const op = this.#ctx.ops.at(subject.uid, entry.receivedMs);
    if (op?.attributes[ATTR.operation] === DELETE_OPERATION) return op;
    // The delete that removes a pod after its grace period (the kubelet's, with the pod's
    // deletionTimestamp already set) ends its termination, however long before it the pod's own
    // records, arriving first, closed the termination at their second-precision times: looked up
    // within the adoption window, in which the termination is still held back.
    // Pods only: graceful deletion (deletionTimestamp in the future) is theirs alone; the first
    // delete of any other kind with finalizers (foreground, a CRD's) stores deletionTimestamp =
    // now (apiserver markAsDeleting), so "already being deleted" would mistake it for a final one.
    if (subject.kind !== 'Pod' || !alreadyDeleting(entry)) return undefined;
    const term = this.#ctx.ops.at(subject.uid, entry.receivedMs, Infinity);
    return term?.attributes[ATTR.operation] === OPERATION.podTermination && term.startMs <= entry.receivedMs
      ? term
      : undefined;
  }

  #parentFor(entry: AuditEntry, subject: SlimObject | undefined): PendingSpan | undefined {
    if (subject === undefined) return undefined;
    // An audit batch may arrive after the operation it belongs to closed: placed by its time.
    const atMs = entry.receivedMs;
    const ownerOp = subject.controller === undefined ? undefined : this.#ctx.ops.at(subject.controller.uid, atMs);
    // A controller creating what it owns, or the deployment controller resizing a ReplicaSet,
    // acts inside the owner's operation; status writes belong to the object's own operation.
    const specWrite = (entry.objectRef?.subresource ?? '') === '';
    // (pods/binding is a create too, but of the pod's own startup.)
    if ((entry.verb === 'create' && specWrite) || (subject.kind === 'ReplicaSet' && specWrite))
      return this.#scaleUpOf(entry, subject, ownerOp) ?? ownerOp ?? this.#ctx.ops.at(subject.uid, atMs);
    return this.#statusParent(entry, subject, atMs, ownerOp);
  }

  // A ReplicaSet creates pods only scaling up: a pod's create that `at` gives to the scale-down
  // opened after it (the scale-down's start a receive time, within slack after the request; the
  // request's audit batch arriving later) is the scale-up's that holds the request's time.
  #scaleUpOf(entry: AuditEntry, subject: SlimObject, ownerOp: PendingSpan | undefined): PendingSpan | undefined {
    const rs = subject.controller;
    if (entry.verb !== 'create' || subject.kind !== 'Pod' || rs?.kind !== 'ReplicaSet') return undefined;
    if (ownerOp?.attributes[ATTR.operation] !== OPERATION.replicasetScale || !ownerOp.name.endsWith(' down')) {
      return undefined;
    }
    const exact = this.#ctx.ops.at(rs.uid, entry.receivedMs, 0);
    return exact?.attributes[ATTR.operation] === OPERATION.replicasetScale && exact.name.endsWith(' up')
      ? exact
      : undefined;
  }

  // A status (or other) write: the object's own operation, else a ReplicaSet's owner's.
  #statusParent(
    entry: AuditEntry,
    subject: SlimObject,
    atMs: number,
    ownerOp: PendingSpan | undefined,
  ): PendingSpan | undefined {
    // Not an operation its object's change opened after the write (a webhook batch delivered after
    // `kubectl scale` brings the Deployment's status write from before it, generation 2 of 3).
    // A ReplicaSet's step settles at its target before its last pods' terminations end; the
    // controller's status write reporting them gone (terminatingReplicas back to 0) follows those
    // terminations and is the step's. Only there, by decision (test/synth/ended-children-scope):
    // a step's children are its pods' operations, each carrying its own end, so the step's extent
    // is known once they end.
    // A rollout's ended children do not carry their own children's ends, so the Deployment's
    // write reporting the old pods gone joined the rollout only when the streams were skewed
    // (real/deploy kind-skew seed 4), and a CronJob reconcile, which has no end of its own, took a
    // user's `kubectl patch` right after its run (real/cron). The cronjob-controller's sync after
    // its Job completes (SawCompletedJob, the status write, the history-limit Job delete) is that
    // run's, but placed by ended children it lands there only if the Job's record came first.
    const own = this.#ctx.ops.at(subject.uid, atMs, TIMESTAMP_SLACK_MS, {
      generation: generationOf(entry),
      withEndedChildren: subject.kind === 'ReplicaSet',
      version: str(entry.responseObject, 'metadata', 'resourceVersion'),
    });
    if (own !== undefined && isAfterPodRan(entry, subject, own)) return undefined;
    if (own !== undefined || subject.kind !== 'ReplicaSet' || ownerOp === undefined) return own;
    // A ReplicaSet with no operation of its own reports to its owner's, if that had begun by the
    // write: the owner's next operation opens at the receive time of its change, and a late batch
    // brings the old ReplicaSet's last status write from before it.
    return ownerOp.isOpen && ownerOp.startMs > atMs + TIMESTAMP_SLACK_MS ? undefined : ownerOp;
  }
}

// A metadata write to a pod whose containers had finished a whole second before it (the
// response's finishedAt has second precision) — the job-controller dropping its tracking
// finalizer — comes after the pod's startup or run, however late the pod's own records date
// their end: they arrive behind the audit or ahead of it, and the span's end follows them. (A
// status write may be the one that finished the pod; a delete belongs to its termination.)
function isAfterPodRan(entry: AuditEntry, subject: SlimObject, op: PendingSpan): boolean {
  const type = op.attributes[ATTR.operation];
  if (type !== OPERATION.podStartup && type !== OPERATION.podRun) return false;
  if (entry.verb === 'delete' || (entry.objectRef?.subresource ?? '') !== '') return false;
  if (subject.phase !== 'Succeeded' && subject.phase !== 'Failed') return false;
  const finishedMs = Math.max(...subject.containerStatuses.map((c) => c.finishedMs ?? Infinity));
  return Number.isFinite(finishedMs) && finishedMs + TIMESTAMP_SLACK_MS <= entry.receivedMs;
}

// Whether the stored object (the response) was being deleted before the request: a graceful
// delete sets deletionTimestamp to its own time plus the grace period, at least a second later.
function alreadyDeleting(entry: AuditEntry): boolean {
  const atMs = parseTimeMs(str(entry.responseObject, 'metadata', 'deletionTimestamp'));
  return atMs !== undefined && atMs <= entry.receivedMs;
}

// The generation of the object the request wrote, as stored (its response).
function generationOf(entry: AuditEntry): number | undefined {
  return entry.responseObject === undefined ? undefined : num(entry.responseObject, 'metadata', 'generation');
}

function isBinding(entry: AuditEntry): boolean {
  return entry.verb === 'create' && entry.objectRef?.subresource === 'binding';
}

// A binding delivered after its pod's startup ended (a webhook batch that arrived once the pod
// was Ready) belongs where it goes when it arrives in time: under the startup's schedule phase,
// drawn and still lingering with it (ADR 0004 late placement).
function schedulePhaseOf(op: PendingSpan): PendingSpan | undefined {
  if (op.attributes[ATTR.operation] !== OPERATION.podStartup) return undefined;
  const key = phaseKeyOf(op.key, { phase: 'schedule' });
  for (const child of op.openChildren) if (child.key === key && child.state !== 'emitted') return child;
  return undefined;
}

// The activity window of an object known only from the request (no response body): keyed by what
// the request names, so requests on the same object share one window.
function requestSubject(ref: AuditEntry['objectRef']): WindowSubject {
  const group = ref?.apiGroup ?? '';
  const resource = ref?.resource ?? '';
  return {
    id: `${group}/${resource}/${ref?.namespace ?? ''}/${ref?.name ?? ''}`,
    kind: kindOfResource(group, resource) ?? (resource || 'Request'),
    attributes: refAttributes(ref),
  };
}

// An object known only from the request (Metadata-level audit, a subresource): what the request names.
function refAttributes(ref: AuditEntry['objectRef']): Record<string, AttrValue> {
  const out: Record<string, AttrValue> = {};
  if (ref === undefined) return out;
  if (ref.name !== '') out[ATTR.objectName] = ref.name;
  if (ref.namespace !== '') out[ATTR.namespaceName] = ref.namespace;
  if (ref.uid !== '') out[ATTR.objectUid] = ref.uid;
  return out;
}
