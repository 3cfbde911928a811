import type { OwnerLink, SlimObject } from '../graph/slim.js';
import { ATTR, OPERATION } from '../model/attributes.js';
import type { EventRecord, KubeEvent } from '../model/records.js';
import { type SynthContext, refineTime } from './context.js';
import {
  type Evidence,
  type ScalingStep,
  evidenceNote,
  evidenceSlim,
  isReplacement,
  isRolloutStep,
  scaleFollows,
} from './event-evidence-parse.js';
import { TIMESTAMP_SLACK_MS } from './operation-index.js';
import type { PendingSpan } from './pending-span.js';
import { rememberRecent } from './recent-map.js';
import { widenRange } from './scaling-event.js';
import { HeldScaleUps } from './held-scaling.js';
import { ReplicaSetCounts, endPreviousRollout } from './replicaset-counts.js';
import type { JobTracker } from './job-tracker.js';
import type { NodeTracker } from './node-tracker.js';
import type { PodTracker } from './pod-tracker.js';
import type { ReplicaSetTracker } from './replicaset-tracker.js';
import type { ReplicaRange, WorkloadTracker } from './workload-tracker.js';

/** The trackers Event evidence opens operations through, so their records continue them. */
export interface EvidenceTrackers {
  readonly pods: PodTracker;
  readonly replicaSets: ReplicaSetTracker;
  readonly jobs: JobTracker;
  readonly nodes: NodeTracker;
  /** Deployment, StatefulSet and DaemonSet trackers by kind. */
  readonly workloads: ReadonlyMap<string, WorkloadTracker>;
}

// Evidence waits this long (record time, at most half the adoption window) for the object records
// that would show the same step — a per-kind informer skew of up to 5 s — before it opens anything
// itself: with complete records, Events change nothing.
const DEFER_MS = 6_000;
// An Event received this long after it last happened, or from before the first record, is history
// (an initial Event list), not a running operation: Event informers deliver within seconds.
const HISTORY_MS = 10_000;
// A known pod created longer before a startup Event is restarting containers, not starting.
const RESTART_MS = 60_000;
// An operation only Events opened ends at its last evidence once none has come for this long.
const IDLE_MS = 45_000;
// Names and owners remembered from Events (regarding uids, who created or deleted a pod).
const MAX_REMEMBERED = 20_000;

interface Held {
  readonly record: EventRecord;
  readonly t: number;
  readonly dueMs: number;
  /** The Event is not placed yet: it goes where it belongs once the evidence is applied. */
  readonly place: boolean;
  /** What a ScalingReplicaSet Event says. */
  readonly step?: ScalingStep;
}

interface EvidenceOp {
  readonly uid: string;
  readonly span: PendingSpan;
  readonly tracker: WorkloadTracker;
  /** A Deployment rollout's new ReplicaSet (the one brought up from 0). */
  newReplicaSet: string | undefined;
  /** Pods a StatefulSet or DaemonSet rollout created, by name. */
  readonly created: Set<string>;
  /** The count each other ReplicaSet a Deployment rollout scaled down was last taken to, by uid. */
  readonly drained: Map<string, number>;
}

/**
 * Events as evidence of operations the object records do not show (snapshot-only input, Events
 * only, a watch that skipped versions; issue 14): ScalingReplicaSet opens the ReplicaSet's scale
 * under its Deployment's rollout or scale, SuccessfulCreate / SuccessfulDelete and the kubelet's
 * Killing open a pod's startup or termination under its owner's operation, the scheduler's and
 * kubelet's startup Events a startup. Operations nest by owner chains as if records had opened
 * them, and records that follow continue them. An Event whose operation is still to be opened
 * is placed once it is.
 */
export class EventEvidence {
  readonly #ctx: SynthContext;
  readonly #trackers: EvidenceTrackers;
  readonly #place: (record: EventRecord, t: number) => void;
  readonly #held: Held[] = [];
  #head = 0;
  /** Record time of the first record: what happened before was not observed. */
  #firstMs: number | undefined;
  readonly #open: EvidenceOp[] = [];
  /**
   * Uids of objects Events regarded, by kind/namespace/name, with the time of the first Event of
   * each (a StatefulSet's pod deleted and created again keeps its name, not its uid).
   */
  readonly #uids = new Map<string, { uid: string; firstMs: number }[]>();
  /** The owner an Event said created or deleted a pod, by namespace/name. */
  readonly #podOwners = new Map<string, OwnerLink>();
  /** Held scale-ups by ReplicaSet. */
  readonly #scaleUps = new HeldScaleUps<Held>();
  /** The ReplicaSets ScalingReplicaSet Events took above 0, by Deployment. */
  readonly #counts = new ReplicaSetCounts();

  constructor(ctx: SynthContext, trackers: EvidenceTrackers, place: (record: EventRecord, t: number) => void) {
    this.#ctx = ctx;
    this.#trackers = trackers;
    this.#place = place;
  }

  /**
   * Notes an Event. Returns true when it holds the Event's placement (`placed` false: no operation
   * took it yet) until its evidence is applied.
   */
  note(record: EventRecord, t: number, placed: boolean): boolean {
    const ev = record.event;
    this.#remember(ev);
    this.#firstMs ??= t;
    // (Event times have one-second precision.)
    const history = ev.lastMs < t - HISTORY_MS || ev.lastMs < this.#firstMs - 1000;
    const parsed = evidenceNote(ev);
    if (record.type === 'DELETED' || history || parsed === undefined) return false;
    const defer = Math.min(DEFER_MS, this.#ctx.tree.adoptionWindowMs / 2);
    const step = parsed.kind === 'scaled' ? parsed : undefined;
    const held: Held = { record, t, dueMs: t + defer, place: !placed, ...(step !== undefined ? { step } : {}) };
    this.#held.push(held);
    if (step !== undefined) {
      const entry = { held, step, atMs: refineTime(ev.firstMs, t) };
      this.#scaleUps.add(ev.regarding.namespace, entry);
    }
    if (defer <= 0) this.advance(t);
    return !placed;
  }

  /**
   * Whether `ev` waits for its evidence before it is placed at all: the kubelet's Killing of a
   * pod with no termination yet belongs to the termination it shows, not to the startup still
   * open (a pod whose Ready was never seen).
   */
  placesLater(ev: KubeEvent): boolean {
    const r = ev.regarding;
    return (
      evidenceNote(ev)?.kind === 'pod-killed' && r.uid !== '' && !this.#ctx.ops.had(r.uid, OPERATION.podTermination)
    );
  }

  /** Applies the evidence that is due and ends Events-only operations that have gone quiet. */
  advance(nowMs: number): void {
    if (Number.isFinite(nowMs)) this.#firstMs ??= nowMs;
    while (this.#head < this.#held.length) {
      const h = this.#held[this.#head];
      if (h === undefined || h.dueMs > nowMs) break;
      this.#applyNext();
    }
    if (this.#head > 1024 && this.#head * 2 > this.#held.length) {
      this.#held.splice(0, this.#head);
      this.#head = 0;
    }
    this.#closeIdle(nowMs);
  }

  /** A pod first seen (at `recordMs`): a scale-up announced before its creation is applied first. */
  podFirstSeen(pod: SlimObject, recordMs: number): void {
    const owner = pod.controller;
    if (owner?.kind === 'StatefulSet' || owner?.kind === 'DaemonSet') this.#beforeReplacing(pod, owner.uid, recordMs);
    if (owner?.kind !== 'ReplicaSet' || pod.deletionMs !== undefined) return;
    this.#beforePodStarts(pod.namespace, owner.name, owner.uid, refineTime(pod.creationMs, recordMs));
  }

  /**
   * A StatefulSet's or DaemonSet's pod first seen while the workload's operation is one only
   * Events opened: the workload's held Events creating or deleting pods by the time the pod's
   * startup (its creation) or termination (its deletion request) began are applied first, with
   * every Event held before them — deleting a pod the rollout created, they end it and open the
   * next (#replacing), which the pod's operation belongs to. Applied after, the pod's operation
   * stayed in the rollout they ended, which no later operation takes it from.
   */
  #beforeReplacing(pod: SlimObject, ownerUid: string, recordMs: number): void {
    if (!this.#open.some((o) => o.uid === ownerUid && o.span.isOpen)) return;
    const graceMs = (pod.deletionGraceS ?? 0) * 1000;
    const startMs = pod.deletionMs !== undefined ? pod.deletionMs - graceMs : refineTime(pod.creationMs, recordMs);
    let end = -1;
    for (let i = this.#head; i < this.#held.length; i++) {
      const h = this.#held[i];
      if (h !== undefined && changesPodsBy(h, ownerUid, startMs + TIMESTAMP_SLACK_MS)) end = i;
    }
    while (end >= 0 && this.#head <= end) this.#applyNext();
  }

  /**
   * A pod of ReplicaSet `rsName` created at `createdMs` is about to open its startup: a scale-up
   * of that ReplicaSet an Event announced by then, still held and not open in the ReplicaSet's
   * operations, is applied now — with every Event held before it, in their order — so the startup
   * opens in the step it belongs to, as when the pod was seen after the Event was applied. Applied
   * later, the startup stayed in the ReplicaSet's step of before (whose range the Event widened on
   * arrival, scaling-event), from which the step the Event then opened does not take it.
   */
  #beforePodStarts(
    namespace: string,
    rsName: string,
    rsUid: string | undefined,
    createdMs: number,
    byEvent = false,
  ): void {
    if (rsUid === undefined) return;
    // A pod a SuccessfulCreate names, its ReplicaSet with no operation, goes under the Deployment's
    // operation of the time (no record of the ReplicaSet will move it): the ScalingReplicaSet
    // recorded milliseconds after it by the other controller comes first. A pod's own record
    // waits for the ReplicaSet's operation in the adoption window instead.
    const isOpen = (e: { atMs: number }): boolean =>
      byEvent && this.#ctx.ops.at(rsUid, createdMs) === undefined
        ? false
        : stepOpen(this.#ctx, rsUid, e.atMs, createdMs);
    const target = this.#scaleUps.before(namespace, rsName, createdMs, isOpen);
    if (target === undefined) return;
    const end = this.#held.indexOf(target.held, this.#head);
    while (end >= 0 && this.#head <= end) this.#applyNext();
  }

  #applyNext(): void {
    const h = this.#held[this.#head++];
    if (h === undefined) return;
    if (h.step !== undefined) this.#scaleUps.forget(h.record.event.regarding.namespace, h.step, h);
    this.#apply(h);
  }

  /** End of input: applies everything held (trackers then end what is open as unfinished). */
  flush(): void {
    this.advance(Infinity);
  }

  #remember(ev: KubeEvent): void {
    const r = ev.regarding;
    if (r.uid !== '') {
      const key = `${r.kind}/${r.namespace}/${r.name}`;
      const seen = this.#uids.get(key) ?? [];
      if (!seen.some((u) => u.uid === r.uid))
        remember(this.#uids, key, [...seen.slice(-3), { uid: r.uid, firstMs: ev.firstMs }]);
    }
    const parsed = evidenceNote(ev);
    const owner = { kind: r.kind, name: r.name, uid: r.uid };
    if (parsed?.kind === 'pod-created' || parsed?.kind === 'pod-deleted') {
      remember(this.#podOwners, `${r.namespace}/${parsed.pod}`, owner);
    } else if (parsed?.kind === 'job-created') remember(this.#podOwners, `Job:${r.namespace}/${parsed.job}`, owner);
  }

  #apply(h: Held): void {
    const ev = h.record.event;
    const parsed = evidenceNote(ev);
    // An Event seen again (count > 1: "Create Pod db-1" in the next rollout) is evidence of its
    // latest occurrence.
    const atMs = refineTime(ev.count > 1 ? ev.lastMs : ev.firstMs, h.t);
    if (parsed?.kind === 'scaled') this.#scaled(ev, parsed, atMs);
    else if (parsed?.kind === 'node-ready') this.#nodeReady(ev, parsed.ready, atMs);
    else if (parsed?.kind === 'job-finished') this.#jobFinished(ev, parsed.failed, atMs);
    else if (parsed !== undefined && this.#podEvidence(h, parsed, atMs)) return;
    if (h.place) this.#place(h.record, h.t);
  }

  // An owner creating or deleting a pod, the kubelet starting or killing it. Returns true when it
  // placed the Event itself.
  #podEvidence(h: Held, parsed: Evidence, atMs: number): boolean {
    const ev = h.record.event;
    const ns = ev.regarding.namespace;
    if (parsed.kind === 'pod-created') {
      this.#replacing(ev, atMs, parsed.pod, true);
      this.#jobRun(ev, atMs, h.t);
      const r = ev.regarding;
      if (r.kind === 'ReplicaSet') this.#beforePodStarts(ns, r.name, r.uid !== '' ? r.uid : undefined, atMs, true);
      this.#startPod(this.#pod(ns, parsed.pod, '', atMs, true), atMs, h.t);
    } else if (parsed.kind === 'pod-deleted') {
      this.#replacing(ev, atMs, parsed.pod, false);
      this.#endPod(this.#pod(ns, parsed.pod, '', atMs, false), atMs);
    } else if (parsed.kind === 'pod-starting') {
      this.#startPod(this.#pod(ns, ev.regarding.name, ev.regarding.uid), atMs, h.t);
    } else if (parsed.kind === 'pod-killed') {
      this.#endPod(this.#pod(ns, ev.regarding.name, ev.regarding.uid), atMs);
      // The kubelet stopping the containers is the last we know of a termination only Events
      // show: its second-precision time refined by when it was received, as object times are.
      const refined = { ...ev, firstMs: atMs, lastMs: Math.max(atMs, refineTime(ev.lastMs, h.t)) };
      if (h.place) this.#place({ ...h.record, event: refined }, h.t);
      return true;
    }
    return false;
  }

  // ScalingReplicaSet: the ReplicaSet's step, under the Deployment's rollout (a ReplicaSet other
  // than the current one) or scale (the current one).
  #scaled(ev: KubeEvent, step: ScalingStep, atMs: number): void {
    const r = ev.regarding;
    const dep = this.#object('Deployment', r.namespace, r.name, r.uid, undefined);
    if (dep === undefined) return;
    const link = { kind: 'Deployment', name: dep.name, uid: dep.uid };
    const rs = this.#object('ReplicaSet', r.namespace, step.rs, '', link);
    if (rs === undefined) return;
    // A step the ReplicaSet's operations show is not opened again — unless it comes after what
    // Events showed of the Deployment: a new scale, though the ReplicaSet's last step, settled, is
    // still open with the operation that ends now.
    const before = this.#counts.step(dep.uid, rs.uid, step, atMs);
    const rollout = isRolloutStep(dep, rs, step, atMs, before.othersRunning);
    const range = { from: step.from ?? dep.specReplicas ?? step.to, to: step.to };
    const next = !rollout && this.#endBeforeScale(dep.uid, rs.uid, step, atMs);
    this.#noteDrained(dep.uid, rs.uid, step);
    const seen = next ? undefined : stepSeen(this.#ctx, rs.uid, step.up, atMs);
    if (seen !== undefined) {
      // Steps of one direction are one operation: it takes this one's range, as an Event placed in it
      // does (scaling-event), when it began by the Event's time (one an Event opened).
      if (seen.startMs <= atMs + TIMESTAMP_SLACK_MS) widenRange(seen, step.up, step.from, step.to);
      return;
    }
    const newReplicaSet = rollout && step.up && step.from === 0 ? rs.uid : undefined;
    const ended =
      !this.#open.some((e) => e.uid === dep.uid && e.span.isOpen) &&
      endPreviousRollout(this.#ctx, this.#trackers.workloads.get('Deployment'), dep.uid, atMs, before.previousNewMs);
    if (next) this.#openFromEvent(dep, false, atMs, range);
    else if (ended) this.#openFromEvent(dep, rollout, atMs, range, newReplicaSet);
    else this.#workloadOp(dep, rollout, atMs, range, newReplicaSet);
    const span = this.#trackers.replicaSets.stepFromEvent(rs, step.from, step.to, step.up, atMs);
    startNoLaterThan(span, atMs);
  }

  // Any ReplicaSet but the new one scaled down while the Deployment rolls out (with a Deployment
  // snapshot from before the rollout, the old one's revision is not older yet).
  #noteDrained(depUid: string, rsUid: string, step: ScalingStep): void {
    const o = this.#open.find((e) => e.uid === depUid && e.span.isOpen);
    if (!step.up && o?.newReplicaSet !== undefined && o.newReplicaSet !== rsUid) o.drained.set(rsUid, step.to);
  }

  // A scale step after the operation Events opened for the Deployment (scaleFollows) ends it at its
  // last evidence, as going quiet would; returns true when it did, for the step to open the scale.
  #endBeforeScale(uid: string, rsUid: string, step: ScalingStep, atMs: number): boolean {
    const o = this.#open.find((e) => e.uid === uid && e.span.isOpen);
    if (o === undefined) return false;
    const a = o.span.attributes;
    const count = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
    const seen = { ...o, operation: String(a[ATTR.operation]) };
    if (!scaleFollows({ ...seen, from: count(a[ATTR.replicasFrom]), to: count(a[ATTR.replicasTo]) }, rsUid, step)) {
      return false;
    }
    this.#trackers.replicaSets.endWith(rsUid, o.span, atMs);
    o.tracker.endFromEvent(uid, o.span, this.#ctx.tree.lastEvidenceMs(o.span, atMs));
    return true;
  }

  // A StatefulSet or DaemonSet controller creating and deleting pods is rolling them out. A
  // rollout replaces older pods: deleting one the rollout Events show created, the controller has
  // begun the next rollout (back-to-back template changes).
  #replacing(ev: KubeEvent, atMs: number, pod: string, created: boolean): void {
    const r = ev.regarding;
    if (r.kind !== 'StatefulSet' && r.kind !== 'DaemonSet') return;
    const workload = this.#object(r.kind, r.namespace, r.name, r.uid, undefined);
    if (workload === undefined) return;
    const open = (): EvidenceOp | undefined => this.#open.find((o) => o.uid === workload.uid && o.span.isOpen);
    if (!created && open()?.created.has(pod) === true) {
      this.#endSuperseded(workload.uid, true, undefined, true);
      this.#openFromEvent(workload, true, atMs, undefined);
    } else this.#workloadOp(workload, true, atMs, undefined);
    if (created) open()?.created.add(pod);
  }

  // The node controller's NodeNotReady (the kubelet went silent: Ready=Unknown) or the kubelet's
  // own, and NodeReady, where the node's records showed no change.
  #nodeReady(ev: KubeEvent, ready: boolean, atMs: number): void {
    const r = ev.regarding;
    const node = this.#object('Node', '', r.name, r.uid, undefined);
    if (node === undefined) return;
    const seen = this.#ctx.ops.at(node.uid, atMs, HISTORY_MS);
    if (!ready && seen?.attributes[ATTR.operation] === OPERATION.nodeCondition) return;
    const status = ev.reportingController.includes('kubelet') ? 'False' : 'Unknown';
    const condition = { status, reason: ev.reason, message: ev.note, lastTransitionMs: atMs };
    this.#trackers.nodes.readyFromEvent(node, ready, condition, atMs);
  }

  // A Job creating pods is running, once.
  #jobRun(ev: KubeEvent, atMs: number, t: number): void {
    const r = ev.regarding;
    if (r.kind !== 'Job') return;
    const job = this.#object('Job', r.namespace, r.name, r.uid, this.#podOwners.get(`Job:${r.namespace}/${r.name}`));
    if (job !== undefined && !this.#ctx.ops.had(job.uid, OPERATION.jobRun)) this.#trackers.jobs.fromEvent(job, atMs, t);
  }

  // The job-controller's Completed (or failure reason) Event, where the Job's records showed no
  // end: the run ends then, and its pods' runs — a finished Job has no pod still running.
  #jobFinished(ev: KubeEvent, failed: boolean, atMs: number): void {
    const r = ev.regarding;
    const job = this.#object('Job', r.namespace, r.name, r.uid, undefined);
    if (job === undefined) return;
    this.#trackers.jobs.finishedFromEvent(job.uid, atMs, failed ? `${ev.reason}: ${ev.note}` : undefined);
    this.#trackers.pods.endJobRuns(job.uid, atMs);
  }

  // The workload's operation at `atMs`: the one its records opened (or that ended but covers the
  // Event: its records were quicker), else one the Event opens or corrects.
  #workloadOp(
    workload: SlimObject,
    rollout: boolean,
    atMs: number,
    range: ReplicaRange | undefined,
    newReplicaSet?: string,
  ): void {
    const tracker = this.#trackers.workloads.get(workload.kind);
    if (tracker === undefined || this.#ctx.ops.at(workload.uid, atMs, HISTORY_MS)?.isOpen === false) return;
    this.#endSuperseded(workload.uid, rollout, newReplicaSet);
    this.#openFromEvent(workload, rollout, atMs, range, newReplicaSet);
  }

  #openFromEvent(
    workload: SlimObject,
    rollout: boolean,
    atMs: number,
    range: ReplicaRange | undefined,
    newReplicaSet?: string,
  ): void {
    const tracker = this.#trackers.workloads.get(workload.kind);
    const op = tracker?.fromEvent(workload, rollout, atMs, range);
    if (tracker === undefined || op === undefined) return;
    const known = this.#open.find((o) => o.span === op);
    if (known === undefined)
      this.#open.push({ uid: workload.uid, span: op, tracker, newReplicaSet, created: new Set(), drained: new Map() });
    else known.newReplicaSet ??= newReplicaSet;
  }

  // An operation only Events opened ends (at its last evidence) where they show the next one: a
  // rollout step while it is a scale, a new ReplicaSet brought up while it rolls out another. A
  // scale step during a rollout is part of the rollout, as with records.
  #endSuperseded(uid: string, rollout: boolean, newReplicaSet: string | undefined, next = false): void {
    const o = this.#open.find((e) => e.uid === uid && e.span.isOpen);
    if (o === undefined || !rollout) return;
    const isRollout = String(o.span.attributes[ATTR.operation]).endsWith('.rollout');
    const another =
      next || (newReplicaSet !== undefined && o.newReplicaSet !== undefined && o.newReplicaSet !== newReplicaSet);
    if (isRollout && !another) return;
    o.tracker.endFromEvent(uid, o.span, this.#ctx.tree.lastEvidenceMs(o.span, Infinity), true);
  }

  #startPod(pod: SlimObject | undefined, atMs: number, t: number): void {
    if (pod === undefined) return;
    if (this.#ctx.ops.had(pod.uid, OPERATION.podStartup)) return;
    // A known pod created long before is restarting its containers, not starting; so is one whose
    // containers have restarted (first seen crash-looping, its startup over or not knowable: its
    // Ready now is not its first).
    if (pod.creationMs !== undefined && atMs - pod.creationMs > RESTART_MS) return;
    if (pod.containerStatuses.some((c) => c.restartCount > 0)) return;
    const startMs = pod.creationMs !== undefined ? Math.min(refineTime(pod.creationMs, atMs), atMs) : atMs;
    this.#trackers.pods.startFromEvent(pod, startMs, t);
  }

  #endPod(pod: SlimObject | undefined, atMs: number): void {
    if (pod === undefined) return;
    if (!this.#ctx.ops.had(pod.uid, OPERATION.podTermination)) {
      if (pod.deletionMs === undefined) this.#trackers.pods.terminateFromEvent(pod, atMs);
      return;
    }
    // A pod first seen terminating dates its deletion request from second-precision times and a
    // late receive time; the Event, received sooner, bounds it earlier.
    const seen = this.#ctx.ops.at(pod.uid, atMs, HISTORY_MS);
    if (seen?.attributes[ATTR.operation] === OPERATION.podTermination && seen.state !== 'emitted') {
      startNoLaterThan(seen, atMs);
    }
  }

  // A pod an owner's Event names: the one of that name that existed then — created around a
  // SuccessfulCreate, created before a SuccessfulDelete.
  #pod(namespace: string, name: string, uid: string, atMs = 0, created = false): SlimObject | undefined {
    const owner = this.#podOwners.get(`${namespace}/${name}`);
    if (uid !== '') return this.#object('Pod', namespace, name, uid, owner);
    const fits = (createdMs: number): boolean => (created ? createdMs >= atMs - 2000 : createdMs <= atMs + 1000);
    const seen = (this.#uids.get(`Pod/${namespace}/${name}`) ?? []).filter((u) => fits(u.firstMs));
    const known = this.#ctx.graph.findByName('Pod', namespace, name);
    const replaced = !created && known !== undefined && isReplacement(known, seen, atMs);
    if (known !== undefined && !replaced && fits(known.creationMs ?? atMs)) return known;
    const rest = replaced ? seen.filter((u) => u.uid !== known.uid) : seen;
    const pick = created ? rest[0] : rest[rest.length - 1];
    return pick === undefined ? undefined : this.#object('Pod', namespace, name, pick.uid, owner);
  }

  // The object as last seen, or — not seen (yet) — what Events say of it: its uid, its owner.
  #object(
    kind: string,
    namespace: string,
    name: string,
    uid: string,
    controller: OwnerLink | undefined,
  ): SlimObject | undefined {
    const graph = this.#ctx.graph;
    const known = (uid !== '' ? graph.get(uid) : undefined) ?? graph.findByName(kind, namespace, name);
    if (known !== undefined) return known;
    const id = uid !== '' ? uid : this.#uids.get(`${kind}/${namespace}/${name}`)?.at(-1)?.uid;
    return id === undefined ? undefined : evidenceSlim(kind, namespace, name, id, controller);
  }

  #closeIdle(nowMs: number): void {
    for (let i = this.#open.length - 1; i >= 0; i--) {
      const o = this.#open[i];
      if (o === undefined) continue;
      if (!o.span.isOpen) {
        this.#open.splice(i, 1);
        continue;
      }
      if (!Number.isFinite(nowMs)) continue;
      const last = this.#ctx.tree.lastEvidenceMs(o.span, nowMs);
      if (last + IDLE_MS < nowMs) {
        o.tracker.endFromEvent(o.uid, o.span, last);
        this.#open.splice(i, 1);
      }
    }
  }
}

// Whether the ReplicaSet's step in that direction is known at `atMs`: the one covering it (though
// a later one is open by now: the Event applied after the ReplicaSet's next change), or one its
// records, delivered late, opened at their receive time seconds after the Event.
function stepSeen(ctx: SynthContext, rsUid: string, up: boolean, atMs: number): PendingSpan | undefined {
  const name = `ReplicaSet scale ${up ? 'up' : 'down'}`;
  return [ctx.ops.at(rsUid, atMs), ctx.ops.at(rsUid, atMs, HISTORY_MS)].find(
    (s) => s?.attributes[ATTR.operation] === OPERATION.replicasetScale && s.name === name,
  );
}

// Whether a held Event is the owner `ownerUid` creating or deleting a pod by `byMs`.
function changesPodsBy(h: Held, ownerUid: string, byMs: number): boolean {
  const ev = h.record.event;
  if (ev.regarding.uid !== ownerUid) return false;
  const kind = evidenceNote(ev)?.kind;
  if (kind !== 'pod-created' && kind !== 'pod-deleted') return false;
  return refineTime(ev.count > 1 ? ev.lastMs : ev.firstMs, h.t) <= byMs;
}

// Whether the ReplicaSet's operation at `createdMs` is the step an Event of `stepMs` announced: a
// scale-up its records (or the Event) opened then. One open since before is an earlier step (the
// Event widened its range on arrival, scaling-event): the Event, applied, may end it and open the
// step. With none the pod waits for one in the adoption window anyway.
function stepOpen(ctx: SynthContext, rsUid: string, stepMs: number, createdMs: number): boolean {
  const op = ctx.ops.at(rsUid, createdMs);
  if (op?.attributes[ATTR.operation] !== OPERATION.replicasetScale || op.name !== 'ReplicaSet scale up') return true;
  return op.startMs >= stepMs - TIMESTAMP_SLACK_MS;
}

// A step joined an operation first seen later than the Event: it (and what holds it) began then.
function startNoLaterThan(span: PendingSpan, atMs: number): void {
  for (let s: PendingSpan | undefined = span; s !== undefined; s = s.parent) {
    if (s.startMs > atMs) s.startMs = atMs;
  }
}

function remember<V>(map: Map<string, V>, key: string, value: V): void {
  rememberRecent(map, key, value, MAX_REMEMBERED);
}
