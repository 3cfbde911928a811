import { OwnerGraph } from '../graph/owner-graph.js';
import type { SlimObject } from '../graph/slim.js';
import { ATTR, OUTCOME } from '../model/attributes.js';
import { kindInfo, kindOfResource } from '../model/object-ref.js';
import type { JsonObject } from '../model/kube-json.js';
import { isObject, num, str } from '../model/kube-json.js';
import type { AuditEntry, EventRecord, IngestRecord, ObjectRecord, WatchType } from '../model/records.js';
import { auditWatchType } from './audit-watch-type.js';
import type { AttrValue, SpanData, SpanEventData, SpanLinkData } from '../model/span.js';
import { ObjectVersions } from './object-versions.js';
import { type StitchAnchor, anchorOf } from './stitch-anchor.js';
import type { PendingSpan } from './pending-span.js';
import { ActivityWindows, type WindowSubject } from './activity-windows.js';
import { KUBESTITCH_ACTOR, eventActor } from './actors.js';
import { AuditTracker, type AuditStats } from './audit-tracker.js';
import type { SynthContext } from './context.js';
import { DeletionTracker } from './deletion-tracker.js';
import { JobTracker } from './job-tracker.js';
import { NodeTracker } from './node-tracker.js';
import { objectAttributes } from './object-attributes.js';
import { OperationIndex } from './operation-index.js';
import { OPERATION_KINDS } from './owned-open.js';
import { PodTracker } from './pod-tracker.js';
import { ReplicaSetTracker, tellOwnersStarting } from './replicaset-tracker.js';
import { type RolloutTail, openRolloutTail } from './rollout-tail.js';
import { applyScalingEvent } from './scaling-event.js';
import { InProgress } from './in-progress.js';
import { EventEvidence } from './event-evidence.js';
import { evidenceSlim } from './event-evidence-parse.js';
import { SpanTree } from './span-tree.js';
import { WorkloadTracker } from './workload-tracker.js';
import { DAEMONSET_RULES, DEPLOYMENT_RULES, STATEFULSET_RULES } from './workload-rules.js';

export interface SynthesizerOptions {
  readonly cluster: string;
  /** Length of an object activity window (DESIGN §3.2); default 30 min. */
  readonly windowMs?: number;
  /** How long deleted objects stay resolvable for late Events; default 10 min. */
  readonly tombstoneTtlMs?: number;
  /**
   * Called for every span real spans can be stitched to, when it opens (its ids are final then).
   * Links it returns (to real spans that arrived first and were forwarded unchanged, DESIGN §4)
   * are added to that span.
   */
  readonly onAnchor?: (anchor: StitchAnchor) => readonly SpanLinkData[] | undefined;
  /**
   * Called when an anchor's span is exported, with its final end: real spans that start later
   * (kubelet's periodic syncPod after a pod is Ready) no longer belong under it.
   */
  readonly onAnchorEnd?: (anchor: StitchAnchor, endMs: number) => void;
  /** How many recent object versions are kept for field diffs; default 10 000. */
  readonly diffCacheObjects?: number;
  /**
   * A version not updated for this long (record time) leaves the diff cache at the next
   * `advance`: its object's next change gets no diff. Default: kept until the LRU evicts it
   * (replays); the live service sets it so settled objects do not hold their full version.
   */
  readonly diffCacheIdleMs?: number;
  /** An operation open longer than this ends as unfinished (close_reason max-age); default 1 h. */
  readonly maxOperationMs?: number;
  /**
   * Operations and activity windows open at once; past them the oldest end early (close_reason
   * max-open, counted in `evictions`). Defaults MAX_OPEN_OPERATIONS and MAX_OPEN_WINDOWS (50,000).
   */
  readonly maxOpenOperations?: number;
  readonly maxOpenWindows?: number;
  /**
   * CRD owners (a controller of a kind without rules seen owning something) remembered so their
   * deletion is an operation; past it the least recently seen is forgotten, counted in
   * `deletionOwnersForgotten`. Default MAX_DELETION_OWNERS (20,000).
   */
  readonly maxDeletionOwners?: number;
  /**
   * Record time an operation whose owner's operation has not been seen waits to be adopted, and
   * a closed operation waits for late evidence, before its place is final and it is emitted
   * (ADR 0004). Covers a 10 s audit webhook batch wait plus informer skew; default 15 s.
   */
  readonly adoptionWindowMs?: number;
}

/** Default adoption window (ADR 0004). */
export const DEFAULT_ADOPTION_WINDOW_MS = 15_000;

/** Identity and version of an object synth holds. */
export interface KnownVersion {
  readonly resourceVersion: string;
  readonly namespace: string;
  readonly name: string;
}

/** Counters a caller reports or exports as metrics. */
export interface SynthStats {
  objectRecords: number;
  eventRecords: number;
  auditRecords: number;
  /** Object versions seen twice (audit responseObject + watch of one write); applied once. */
  duplicateObjects: number;
  spansEmitted: number;
}

/**
 * The synth stage (DESIGN §1): records in, finished spans out. Pure — no I/O, and time comes only
 * from the records — so a recording replayed twice gives byte-identical spans. Records must be
 * fed in processing order (see readRecording). A record it cannot use is counted, never thrown.
 */
export class Synthesizer {
  readonly stats: SynthStats = {
    objectRecords: 0,
    eventRecords: 0,
    auditRecords: 0,
    duplicateObjects: 0,
    spansEmitted: 0,
  };
  readonly #ctx: SynthContext;
  readonly #workloads: ReadonlyMap<string, WorkloadTracker>;
  readonly #replicaSets: ReplicaSetTracker;
  readonly #jobs: JobTracker;
  readonly #pods: PodTracker;
  readonly #rolloutTail: RolloutTail;
  readonly #nodes: NodeTracker;
  readonly #audit: AuditTracker;
  readonly #versions: ObjectVersions;
  readonly #evidence: EventEvidence;
  readonly #deletions: DeletionTracker;
  #opBeforeChange: PendingSpan | undefined;
  #lastMs = -Infinity;
  /** What is still open, for the live service to show while it runs (issue 15). */
  readonly inProgress: InProgress;

  constructor(options: SynthesizerOptions) {
    const { onAnchor, onAnchorEnd } = options;
    const tree = new SpanTree(
      options.cluster,
      onAnchor === undefined
        ? undefined
        : (span) => {
            const anchor = anchorOf(span);
            if (anchor === undefined) return;
            for (const link of onAnchor(anchor) ?? []) tree.addLink(span, link);
          },
      onAnchorEnd === undefined
        ? undefined
        : (span, endMs) => {
            const anchor = anchorOf(span);
            if (anchor !== undefined) onAnchorEnd(anchor, endMs);
          },
      { adoptionWindowMs: options.adoptionWindowMs ?? DEFAULT_ADOPTION_WINDOW_MS },
    );
    const graph = new OwnerGraph({ tombstoneTtlMs: options.tombstoneTtlMs ?? 10 * 60_000 });
    this.#ctx = {
      cluster: options.cluster,
      tree,
      graph,
      ops: new OperationIndex(options.maxOperationMs ?? 60 * 60_000, tree, options.maxOpenOperations),
      windows: new ActivityWindows(tree, options.windowMs ?? 30 * 60_000, options.maxOpenWindows),
      attrsOf: (slim) => objectAttributes(slim, graph.ownerChain(slim)),
      deletedOutcome: OUTCOME.deleted,
    };
    this.#workloads = new Map([
      ['Deployment', new WorkloadTracker(this.#ctx, DEPLOYMENT_RULES)],
      ['StatefulSet', new WorkloadTracker(this.#ctx, STATEFULSET_RULES)],
      ['DaemonSet', new WorkloadTracker(this.#ctx, DAEMONSET_RULES)],
    ]);
    this.#replicaSets = new ReplicaSetTracker(this.#ctx);
    this.#jobs = new JobTracker(this.#ctx);
    this.#pods = new PodTracker(this.#ctx, tellOwnersStarting(graph, this.#replicaSets, this.#workloads));
    this.#rolloutTail = openRolloutTail(this.#ctx, graph, {
      replicaSets: this.#replicaSets,
      workloads: this.#workloads,
    });
    this.#nodes = new NodeTracker(this.#ctx);
    this.#audit = new AuditTracker(this.#ctx, this.#pods);
    this.#deletions = new DeletionTracker(this.#ctx, options.maxDeletionOwners);
    this.#versions = new ObjectVersions(options.diffCacheObjects ?? 10_000, options.diffCacheIdleMs);
    this.inProgress = new InProgress(this.#ctx, this.#pods, (uid) => this.#versions.latest(uid));
    const trackers = {
      pods: this.#pods,
      replicaSets: this.#replicaSets,
      jobs: this.#jobs,
      nodes: this.#nodes,
      workloads: this.#workloads,
    };
    this.#evidence = new EventEvidence(this.#ctx, trackers, (r, t) => this.#placeEvent(r.event, t));
  }

  /** Operations and activity windows ended early because more than their bound were open. */
  get evictions(): { readonly operations: number; readonly windows: number } {
    return { operations: this.#ctx.ops.evicted, windows: this.#ctx.windows.evicted };
  }

  /** CRD owners the deletion tracker forgot past its bound: their deletion, later, is no operation. */
  get deletionOwnersForgotten(): number {
    return this.#deletions.ownersForgotten;
  }

  /** Number of live objects in the graph. */
  get graphSize(): number {
    return this.#ctx.graph.size;
  }

  /**
   * Live objects of a kind with their last applied resourceVersion: what live mode's informers
   * compare a relist with. Yields nothing for kinds synth does not keep.
   */
  *knownObjects(kind: string): IterableIterator<[uid: string, known: KnownVersion]> {
    for (const slim of this.#ctx.graph.liveOfKind(kind)) {
      yield [slim.uid, { resourceVersion: slim.resourceVersion, namespace: slim.namespace, name: slim.name }];
    }
  }

  /** Processes one record; returns the spans it completed (possibly none). */
  process(record: IngestRecord): SpanData[] {
    const t = Math.max(record.timeMs, this.#lastMs);
    this.#tick(t);
    if (record.source === 'object') this.#onObject(record, t);
    else if (record.source === 'audit') this.#onAudit(record.audit, t);
    else this.#onEvent(record, t);
    this.#ctx.graph.sweep(t);
    return this.#take();
  }

  /**
   * Moves time forward without a record (live mode's ticker): closes activity windows that have
   * ended and operations past the maximum age. Returns the spans that completed.
   */
  advance(nowMs: number): SpanData[] {
    if (nowMs <= this.#lastMs) return [];
    this.#tick(nowMs);
    this.#ctx.graph.sweep(nowMs);
    this.#versions.sweep(nowMs);
    return this.#take();
  }

  // Time moved to `t`: what is due by then happens, before a record of `t` is applied.
  #tick(t: number): void {
    this.#lastMs = t;
    // Evidence due by now is applied first: what it opens may adopt roots whose wait ends now.
    this.#evidence.advance(t);
    this.#ctx.tree.advance(t);
    this.#pods.advance(t);
    this.#deletions.advance(t);
    this.#ctx.windows.advance(t);
    this.#ctx.ops.expire(t);
  }

  /**
   * Ends everything still open at `atMs` (default: the last record's time) with
   * `kubestitch.outcome=unfinished`, closes activity windows at their end, and returns the spans.
   */
  flush(atMs: number = this.#lastMs): SpanData[] {
    const t = Number.isFinite(atMs) ? atMs : 0;
    this.#evidence.flush();
    this.#pods.flush(t);
    this.#replicaSets.flush(t);
    this.#jobs.flush(t);
    for (const w of this.#workloads.values()) w.flush(t);
    this.#nodes.flush(t);
    this.#deletions.flush(t);
    this.#ctx.windows.closeAll();
    this.#ctx.tree.releaseAll();
    return this.#take();
  }

  #take(): SpanData[] {
    const batch = this.#ctx.tree.takeBatch();
    this.stats.spansEmitted += batch.length;
    return batch;
  }

  #onObject(record: ObjectRecord, t: number): void {
    this.stats.objectRecords++;
    if (record.baseline === true) {
      this.#restoreBaseline(record.object, t);
      return;
    }
    if (record.missedDelete === true) this.#ctx.deletedOutcome = OUTCOME.deletedWhileDown;
    let applied;
    try {
      applied = this.#applyObject(record.type, record.object, t, record.missedDelete === true);
    } finally {
      this.#ctx.deletedOutcome = OUTCOME.deleted;
    }
    const { slim, diff } = applied;
    if (diff !== undefined && OPERATION_KINDS.has(slim.kind)) this.#attachDiff(slim, diff);
  }

  // A baseline object (live mode's compacted history, DESIGN §6 restart) existed before the
  // retained journal: graph and diff cache learn it, no tracker sees it as a change — every
  // operation it could have been part of has ended (and was exported) before the horizon.
  #restoreBaseline(object: JsonObject, t: number): void {
    const change = this.#ctx.graph.apply('ADDED', object, t);
    if (!change.duplicate) this.#versions.update(change.next.uid, object, t, false);
  }

  // A watched update's diff goes on the object's operation (the one it just ended, too), a
  // ReplicaSet's else on its Deployment's open one (a rollback's ReplicaSet takes the next revision
  // before it scales), else on its window.
  #attachDiff(slim: SlimObject, diff: SpanEventData): void {
    const before = this.#opBeforeChange;
    const op =
      this.#ctx.ops.current(slim.uid) ??
      (before !== undefined && before.state !== 'emitted' ? before : undefined) ??
      (slim.kind === 'ReplicaSet' && slim.controller !== undefined
        ? this.#ctx.ops.current(slim.controller.uid)
        : undefined);
    if (op !== undefined) this.#ctx.tree.addEvent(op, diff);
    else this.#ctx.windows.addEvent(this.#subjectOf(slim), diff, KUBESTITCH_ACTOR);
  }

  /** Audit stats (spans, duplicates, skipped stages and reads). */
  get auditStats(): Readonly<AuditStats> {
    return this.#audit.stats;
  }

  #onAudit(entry: AuditEntry, t: number): void {
    this.stats.auditRecords++;
    if (!this.#audit.accept(entry)) return;
    // A delete request opens the deletion it starts before the body (if any) is applied; an
    // object only the request names is its subject when its deletion opened.
    const deleted = this.#deletions.onRequest(entry, () => this.#resolveAuditObject(entry));
    this.#opBeforeChange = undefined;
    const applied = this.#applyAuditBody(entry, t);
    const subject = applied?.slim ?? this.#resolveAuditObject(entry) ?? deleted;
    // The diff is joined to its request by the response's resourceVersion (DESIGN §3.4).
    this.#audit.place(entry, subject, applied?.diff, this.#opBeforeChange);
    if (subject !== undefined) this.#workloads.get(subject.kind)?.onAudited(entry, subject.uid);
    this.#ctx.tree.releaseEmission();
  }

  // With RequestResponse audit the stored object feeds the graph, so audit alone is enough.
  // Undefined when the request carries no stored object (failed, metadata-level, a Binding).
  #applyAuditBody(entry: AuditEntry, t: number): { slim: SlimObject; diff: SpanEventData | undefined } | undefined {
    const scaled = this.#scaledObject(entry);
    const body = scaled ?? entry.responseObject;
    if (body === undefined || !succeeded(entry)) return undefined;
    if (scaled === undefined && !isStoredObject(entry, body)) return undefined;
    const uid = str(body, 'metadata', 'uid');
    const known = uid !== undefined ? this.#ctx.graph.get(uid) : undefined;
    // Spans this change ends stay joinable until the request is placed: the status write
    // that completes a rollout, the kubelet's final delete, belong inside what they ended.
    this.#ctx.tree.deferEmission();
    // Dated by the write (its stageTimestamp), not by when its audit batch arrived: what it ends
    // (a startup this status write failed) ends when it happened, whatever the delivery (ADR 0004).
    return this.#applyObject(auditWatchType(entry, body, known), body, Math.min(t, entry.stageMs));
  }

  // `kubectl scale` writes the scale subresource: its response is an autoscaling/v1 Scale, not the
  // Deployment, but it says what changed (spec.replicas) and carries the object's uid and new
  // resourceVersion. Applied to the last full version we hold, with the generation the apiserver
  // gives a spec change, it is the object as stored — so audit alone sees the scale when it
  // happens, not at the controller's next status write (real control plane: a 3→5 scale was
  // otherwise taken into the rollout before it). The watch event of the same write has the same
  // resourceVersion and is applied once.
  #scaledObject(entry: AuditEntry): JsonObject | undefined {
    const scale = scaleResponse(entry);
    if (scale === undefined) return undefined;
    const uid = str(scale, 'metadata', 'uid');
    const replicas = num(scale, 'spec', 'replicas');
    const before = uid === undefined ? undefined : this.#versions.latest(uid);
    // A Scale that changed nothing (or of an object we never held in full) has nothing to apply.
    if (before === undefined || replicas === undefined || replicas === num(before, 'spec', 'replicas'))
      return undefined;
    return storedAfterScale(before, scale, replicas);
  }

  #resolveAuditObject(entry: AuditEntry): SlimObject | undefined {
    const ref = entry.objectRef;
    if (ref === undefined) return undefined;
    const byUid = ref.uid !== '' ? this.#ctx.graph.get(ref.uid) : undefined;
    if (byUid !== undefined) return byUid;
    const kind = kindOfResource(ref.apiGroup, ref.resource);
    return kind === undefined || ref.name === ''
      ? undefined
      : this.#ctx.graph.findByName(kind, ref.namespace, ref.name);
  }

  #applyObject(
    type: WatchType,
    object: JsonObject,
    t: number,
    identityOnly = false,
  ): { slim: SlimObject; diff: SpanEventData | undefined } {
    const change = this.#ctx.graph.apply(type, object, t, identityOnly);
    if (change.duplicate) {
      this.stats.duplicateObjects++;
      return { slim: change.next, diff: undefined };
    }
    // An identity-only delete has no content to diff against the last version.
    const diff = identityOnly ? undefined : this.#versions.update(change.next.uid, object, t, change.deleted);
    this.#opBeforeChange = this.#ctx.ops.current(change.next.uid);
    const kind = change.next.kind;
    const workload = this.#workloads.get(kind);
    if (workload !== undefined) workload.onChange(change, t);
    else if (kind === 'ReplicaSet') this.#replicaSets.onChange(change, t);
    else if (kind === 'Job') this.#jobs.onChange(change, t);
    else if (kind === 'Pod') {
      if (change.prev === undefined) this.#rolloutTail.podFirstSeen(change.next, t);
      if (change.prev === undefined) this.#evidence.podFirstSeen(change.next, t);
      this.#pods.onChange(change, t);
    } else if (kind === 'Node') this.#nodes.onChange(change, t);
    if (change.prev === undefined && (kind === 'ReplicaSet' || kind === 'Deployment'))
      this.#rolloutTail.ownerFirstSeen(t);
    this.#deletions.onChange(change, t);
    if (!OPERATION_KINDS.has(kind)) this.#recordActivity(change.next, type, t, change.prev === undefined, diff);
    return { slim: change.next, diff };
  }

  // Changes of kinds without operations (Services, ConfigMaps, CRDs…) land in their window.
  #recordActivity(
    slim: SlimObject,
    watchType: WatchType,
    t: number,
    firstSight: boolean,
    diff: SpanEventData | undefined,
  ): void {
    const type = watchType === 'ADDED' && !firstSight ? 'MODIFIED' : watchType;
    if (type === 'ADDED' && slim.creationMs !== undefined && slim.creationMs < t - 60_000) return; // initial list, not a change
    const name = type === 'ADDED' ? 'created' : type === 'DELETED' ? 'deleted' : 'updated';
    this.#ctx.windows.addEvent(
      this.#subjectOf(slim),
      {
        name,
        timeMs: t,
        attributes: {
          ...diff?.attributes,
          [ATTR.changeType]: type,
          'k8s.object.resource_version': slim.resourceVersion,
        },
      },
      KUBESTITCH_ACTOR,
    );
  }

  #onEvent(record: EventRecord, t: number): void {
    this.stats.eventRecords++;
    applyScalingEvent(this.#ctx, record.event);
    const placed = !this.#evidence.placesLater(record.event) && this.#placeInOperation(record.event, t);
    // Evidence of an operation no record opened holds the Event until it is applied (event-evidence).
    if (!this.#evidence.note(record, t, placed) && !placed) this.#placeEvent(record.event, t);
  }

  #placeEvent(ev: EventRecord['event'], t: number): void {
    if (this.#placeInOperation(ev, t)) return;
    const r = ev.regarding;
    const slim =
      (r.uid !== '' ? this.#ctx.graph.get(r.uid) : undefined) ??
      this.#ctx.graph.findByName(r.kind, r.namespace, r.name);
    const subject = slim !== undefined ? this.#subjectOf(slim) : regardingSubject(r);
    this.#ctx.windows.addKubeEvent(subject, ev, t, eventActor(ev));
  }

  // `t`: when the Event was received (its placement may come later, see event-evidence).
  #placeInOperation(ev: EventRecord['event'], t: number): boolean {
    const r = ev.regarding;
    // An object known only from Events may have an operation they opened (event-evidence).
    const slim =
      (r.uid !== '' ? this.#ctx.graph.get(r.uid) : undefined) ??
      this.#ctx.graph.findByName(r.kind, r.namespace, r.name) ??
      (r.uid !== '' ? evidenceSlim(r.kind, r.namespace, r.name, r.uid, undefined) : undefined);
    if (slim === undefined) return false;
    if (slim.kind === 'Pod' && this.#pods.onEvent(slim, ev, t)) return true;
    const op = this.#ctx.ops.at(slim.uid, ev.lastMs);
    if (op === undefined) return false;
    this.#ctx.tree.addKubeEvent(op, ev);
    return true;
  }

  #subjectOf(slim: SlimObject): WindowSubject {
    return { id: slim.uid, kind: slim.kind, attributes: this.#ctx.attrsOf(slim) };
  }
}

// A subresource's response is the object itself only for status; scale answers a Scale, binding
// a Status — applied as the object, they would replace it in the graph.
function isStoredObject(entry: AuditEntry, body: JsonObject): boolean {
  const ref = entry.objectRef;
  if (ref === undefined) return true;
  if (ref.subresource !== '' && ref.subresource !== 'status') return false;
  const expected = kindOfResource(ref.apiGroup, ref.resource);
  const kind = str(body, 'kind');
  return expected === undefined || kind === undefined || kind === expected;
}

// An error response (a conflict, a rejected admission) carries a Status, never the stored object.
function succeeded(entry: AuditEntry): boolean {
  return (entry.code ?? 200) < 400;
}

// The Scale a successful write of the scale subresource answered; undefined for any other request.
function scaleResponse(entry: AuditEntry): JsonObject | undefined {
  const scale = entry.responseObject;
  if (entry.objectRef?.subresource !== 'scale' || scale === undefined || str(scale, 'kind') !== 'Scale')
    return undefined;
  return (entry.code ?? 200) >= 400 ? undefined : scale;
}

// `before` as the apiserver stored it after the scale: the new replicas and resourceVersion, and
// the generation bump of a spec change. Undefined when `before` has no metadata or spec to patch.
function storedAfterScale(before: JsonObject, scale: JsonObject, replicas: number): JsonObject | undefined {
  const meta = before['metadata'];
  const spec = before['spec'];
  if (!isObject(meta) || !isObject(spec)) return undefined;
  return {
    ...before,
    metadata: {
      ...meta,
      resourceVersion: str(scale, 'metadata', 'resourceVersion') ?? str(before, 'metadata', 'resourceVersion') ?? '',
      generation: (num(before, 'metadata', 'generation') ?? 0) + 1,
    },
    spec: { ...spec, replicas },
  };
}

function regardingSubject(r: EventRecord['event']['regarding']): WindowSubject {
  const info = kindInfo(r.kind, r.apiVersion);
  const attributes: Record<string, AttrValue> = { [ATTR.objectKind]: r.kind, [ATTR.objectName]: r.name };
  if (r.namespace !== '') attributes[ATTR.namespaceName] = r.namespace;
  if (r.uid !== '') attributes[ATTR.objectUid] = r.uid;
  if (info.group !== '') attributes[ATTR.objectGroup] = info.group;
  if (r.kind === 'Pod') attributes[ATTR.podName] = r.name;
  if (r.kind === 'Node') attributes[ATTR.nodeName] = r.name;
  return {
    id: r.uid !== '' ? r.uid : `${r.kind}/${r.namespace}/${r.name}`,
    kind: r.kind === '' ? 'Object' : r.kind,
    attributes,
  };
}
