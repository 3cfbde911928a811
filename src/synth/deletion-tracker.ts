import type { GraphChange } from '../graph/owner-graph.js';
import type { SlimObject } from '../graph/slim.js';
import { ATTR, OUTCOME } from '../model/attributes.js';
import { str } from '../model/kube-json.js';
import type { AuditEntry } from '../model/records.js';
import type { Attributes } from '../model/span.js';
import { KUBESTITCH_ACTOR, controllerActor } from './actors.js';
import { auditActor } from './audit-actor.js';
import { type SynthContext, ownerUidsOf, refineTime } from './context.js';
import { DeletionOwners, MAX_DELETION_OWNERS } from './deletion-owners.js';
import { type OpenDeletionOwner, requestedSubject } from './deletion-subject.js';
import { DELETE_OPERATION } from './operation-index.js';
import type { PendingSpan } from './pending-span.js';
import { TimerQueue } from './timer-queue.js';

/** Who deletes what a deleted owner leaves behind (kube-controller-manager's garbage collector). */
export const GC_ACTOR = controllerActor('generic-garbage-collector');

// Kinds whose deletion cascades to objects they own; any other kind's deletion is an operation
// when it was seen owning something (a CRD) or its owner's deletion is in progress.
const CASCADING_KINDS: ReadonlySet<string> = new Set([
  'Deployment',
  'ReplicaSet',
  'StatefulSet',
  'DaemonSet',
  'Job',
  'CronJob',
]);

// A deletion ends once its object is gone and nothing of the cascade has been seen for this long
// (record time) — the garbage collector deletes dependents within a second of their owner, and
// informers of other kinds deliver up to the adoption window later.
const MIN_QUIET_MS = 5_000;

interface Deletion extends OpenDeletionOwner {
  readonly span: PendingSpan;
  gone: boolean;
  /** No request named who deleted it: the actor is a guess until its place is known. */
  guessedActor: boolean;
  /**
   * The object's operation before its deletion, when no request dated the deletion (its start is
   * a receive time): its dependents' terminations placed there tentatively are this cascade.
   */
  prior: PendingSpan | undefined;
}

/**
 * "<Kind> delete" operations (#14): from an owner's deletion (delete request, deletionTimestamp or
 * DELETED) until the last of what the garbage collector deletes after it is gone. Dependents'
 * deletions nest by their owner chains — a Deployment's ReplicaSet deletions, their pods'
 * terminations — whichever arrives first (children wait in the adoption window, ADR 0004).
 */
export class DeletionTracker {
  readonly #ctx: SynthContext;
  readonly #open = new Map<string, Deletion>();
  readonly #due = new TimerQueue();
  /** Controllers of a kind outside CASCADING_KINDS (CRDs such as an Argo Rollout) seen owning. */
  readonly #owners: DeletionOwners;

  constructor(ctx: SynthContext, maxOwners = MAX_DELETION_OWNERS) {
    this.#ctx = ctx;
    this.#owners = new DeletionOwners(maxOwners);
  }

  /** CRD owners forgotten because more than the bound were remembered (their deletion is no operation). */
  get ownersForgotten(): number {
    return this.#owners.forgotten;
  }

  /** CRD owners remembered now (a gauge for memory). */
  get ownersRemembered(): number {
    return this.#owners.size;
  }

  get #quietMs(): number {
    return Math.max(MIN_QUIET_MS, this.#ctx.tree.adoptionWindowMs);
  }

  /** A watched (or audited body's) change of any object. */
  onChange(change: GraphChange, recordMs: number): void {
    const { prev, next } = change;
    this.#noteOwner(change);
    this.#takeCascade(next.controller?.uid);
    const marked = next.deletionMs !== undefined && prev?.deletionMs === undefined;
    if ((!change.deleted && !marked) || !deletable(next)) return;
    const open = this.#open.get(next.uid);
    if (open !== undefined) {
      if (change.deleted) this.#gone(open, recordMs);
      return;
    }
    if (!this.#cascades(next) || this.#ctx.ops.had(next.uid, DELETE_OPERATION)) {
      if (change.deleted) this.#owners.forget(next.uid);
      return;
    }
    const startMs =
      next.deletionMs !== undefined && next.deletionMs <= recordMs ? refineTime(next.deletionMs, recordMs) : recordMs;
    const d = this.#openDeletion(next, startMs, undefined);
    if (change.deleted) this.#gone(d, recordMs);
  }

  // A dependent's termination seen before its owner's deletion was, under the owner's operation
  // then (tentatively: a running Job's pod, owned-open), or opened since under that operation
  // because it began before the deletion's receive time: the deletion takes it.
  #takeCascade(ownerUid: string | undefined): void {
    const d = ownerUid === undefined ? undefined : this.#open.get(ownerUid);
    if (d?.prior === undefined) return;
    for (const child of [...d.prior.openChildren]) this.#ctx.tree.retake(child, d.span);
  }

  // A controller of a kind without rules seen owning something. A dependent going away is no
  // sign of its owner acting (the owner may be gone already).
  #noteOwner(change: GraphChange): void {
    const owner = change.next.controller;
    if (owner === undefined || CASCADING_KINDS.has(owner.kind)) return;
    if (!change.deleted && change.next.deletionMs === undefined) this.#owners.saw(owner.uid);
  }

  /**
   * An audited delete request, before it is placed: the best evidence of when the deletion began
   * and who asked. A response that is not the object (a Status) means it was removed at once.
   * `resolve`: the object as the graph knows it. When nothing knows it (audit-only input that began
   * after its creation, a kind nobody watches), the request's own names are used
   * (deletion-subject): returns that object when its deletion is open, for the request's placement.
   */
  onRequest(entry: AuditEntry, resolve: () => SlimObject | undefined): SlimObject | undefined {
    if (!deletes(entry)) return undefined;
    const known = resolve();
    const subject = known ?? requestedSubject(entry, () => this.#open.values());
    if (subject === undefined || !deletable(subject)) return undefined;
    this.#onRequest(entry, subject);
    return known === undefined && this.#open.has(subject.uid) ? subject : undefined;
  }

  #onRequest(entry: AuditEntry, subject: SlimObject): void {
    let d = this.#open.get(subject.uid);
    if (d === undefined) {
      if (!this.#cascades(subject) || this.#ctx.ops.had(subject.uid, DELETE_OPERATION)) return;
      d = this.#openDeletion(subject, entry.receivedMs, entry);
    } else if (d.span.state !== 'emitted') {
      d.prior = undefined;
      if (entry.receivedMs < d.span.startMs) d.span.startMs = entry.receivedMs;
      setActor(d.span, auditActor(entry));
      d.guessedActor = false;
    }
    const body = entry.responseObject;
    const stillThere = body !== undefined && str(body, 'metadata', 'uid') === subject.uid;
    if (!stillThere) this.#gone(d, entry.stageMs);
  }

  /** Ends the deletions whose object is gone and whose cascade has been quiet long enough. */
  advance(nowMs: number): void {
    for (const uid of this.#due.popDue(nowMs)) {
      const d = this.#open.get(uid);
      if (d === undefined) continue;
      const last = this.#ctx.tree.lastEvidenceMs(d.span, nowMs);
      if (nowMs < last + this.#quietMs) this.#due.push(uid, last + this.#quietMs);
      else this.#end(d, last, OUTCOME.ok);
    }
  }

  /** Ends every deletion still open (end of a replay): done if its object is gone, else unfinished. */
  flush(atMs: number): void {
    for (const d of [...this.#open.values()]) {
      this.#end(d, this.#ctx.tree.lastEvidenceMs(d.span, atMs), d.gone ? OUTCOME.ok : OUTCOME.unfinished);
    }
  }

  #cascades(slim: SlimObject): boolean {
    const owner = slim.controller;
    return (
      CASCADING_KINDS.has(slim.kind) || this.#owners.has(slim.uid) || (owner !== undefined && this.#open.has(owner.uid))
    );
  }

  #openDeletion(slim: SlimObject, startMs: number, request: AuditEntry | undefined): Deletion {
    const owner = slim.controller;
    const cascade = owner !== undefined && this.#open.has(owner.uid);
    // Not openOwned: an owner without rules (a CronJob cleaning up its Jobs) gets no generic
    // reconcile for it — the deletion joins one that covers it, else waits, then is a root.
    const span = this.#ctx.ops.openUnderOwner(ownerUidsOf(this.#ctx.graph, slim), {
      key: `${slim.uid}/delete`,
      name: `${slim.kind} delete`,
      startMs,
      resource: request !== undefined ? auditActor(request) : cascade ? GC_ACTOR : KUBESTITCH_ACTOR,
      attributes: { ...this.#ctx.attrsOf(slim), [ATTR.operation]: DELETE_OPERATION },
    });
    const d: Deletion = {
      kind: slim.kind,
      namespace: slim.namespace,
      name: slim.name,
      uid: slim.uid,
      span,
      gone: false,
      guessedActor: request === undefined && !cascade,
      prior: request === undefined ? this.#ctx.ops.at(slim.uid, startMs) : undefined,
    };
    this.#open.set(slim.uid, d);
    this.#takeCascade(slim.uid);
    this.#ctx.ops.register(slim.uid, span, (at) => {
      this.#end(d, at, OUTCOME.unfinished);
    });
    return d;
  }

  #gone(d: Deletion, atMs: number): void {
    d.gone = true;
    this.#due.push(d.uid, Math.max(atMs, d.span.startMs) + this.#quietMs);
  }

  #end(d: Deletion, atMs: number, outcome: typeof OUTCOME.ok | typeof OUTCOME.unfinished): void {
    if (this.#open.get(d.uid) !== d) return;
    this.#open.delete(d.uid);
    this.#owners.forget(d.uid);
    // Adopted by its owner's deletion meanwhile: the garbage collector deleted it.
    const parentOp = d.span.parent?.attributes[ATTR.operation];
    if (d.guessedActor && parentOp === DELETE_OPERATION) setActor(d.span, GC_ACTOR);
    const status = outcome === OUTCOME.ok ? { status: { code: 'ok' as const } } : {};
    this.#ctx.tree.close(d.span, atMs, { outcome, ...status });
  }
}

// A pod's deletion is its termination (pod-tracker); a node's is not a cascade.
function deletable(slim: SlimObject): boolean {
  return slim.kind !== 'Pod' && slim.kind !== 'Node';
}

// A successful delete of the object itself (not a subresource).
function deletes(entry: AuditEntry): boolean {
  return entry.verb === 'delete' && (entry.objectRef?.subresource ?? '') === '' && (entry.code ?? 200) < 300;
}

// The actor learned after the span opened; the cluster the tree added stays.
function setActor(span: PendingSpan, actor: Attributes): void {
  const cluster = span.resource[ATTR.clusterName];
  span.resource = cluster === undefined ? { ...actor } : { ...actor, [ATTR.clusterName]: cluster };
}
