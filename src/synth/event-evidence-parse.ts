import type { OwnerLink, SlimObject } from '../graph/slim.js';
import { OPERATION } from '../model/attributes.js';
import type { KubeEvent } from '../model/records.js';
import { kindInfo } from '../model/object-ref.js';

/** What a ScalingReplicaSet Event says: which ReplicaSet, which way, from (since v1.30) and to. */
export interface ScalingStep {
  readonly kind: 'scaled';
  readonly up: boolean;
  readonly rs: string;
  readonly from?: number;
  readonly to: number;
}

/** What an Event is evidence of, for the operations Events may open (event-evidence). */
export type EventEvidenceNote =
  | ScalingStep
  | { readonly kind: 'pod-created' | 'pod-deleted'; readonly pod: string }
  | { readonly kind: 'job-created'; readonly job: string }
  | { readonly kind: 'node-ready'; readonly ready: boolean }
  | { readonly kind: 'pod-starting' | 'pod-killed' };

// "Scaled up replica set web-7c94cc59d to 3" (before v1.30) or "… from 0 to 3" (since).
const SCALED = /^Scaled (up|down) replica set (\S+) (?:from (\d+) )?to (\d+)/;
// ReplicaSet, Job and DaemonSet controllers: "Created pod: web-7c94-x2"; StatefulSet: "create Pod
// web-1 in StatefulSet web successful" (newer releases say "Create Pod …", as test/fixtures/real/sts).
const CREATED = /^(?:Created pod: (\S+)|[cC]reate Pod (\S+) in StatefulSet \S+ successful)/;
const DELETED = /^(?:Deleted pod: (\S+)|[dD]elete Pod (\S+) in StatefulSet \S+ successful)/;
const POD_OWNERS: ReadonlySet<string> = new Set(['ReplicaSet', 'Job', 'StatefulSet', 'DaemonSet']);
/** The scheduler's and kubelet's Events of a pod coming up. */
const STARTING: ReadonlySet<string> = new Set(['Scheduled', 'Pulling', 'Pulled', 'Created', 'Started']);

/** Reads one Event reason's note; undefined when the Event is not about the kind it expects. */
type NoteParser = (ev: KubeEvent) => EventEvidenceNote | undefined;

// The Deployment controller's step of a rollout or scale; a note of another shape opens nothing.
function parseScaled(ev: KubeEvent): EventEvidenceNote | undefined {
  if (ev.regarding.kind !== 'Deployment') return undefined;
  const m = SCALED.exec(ev.note);
  if (m === null) return undefined;
  const [, direction, rs = '', from, to] = m;
  return {
    kind: 'scaled',
    up: direction === 'up',
    rs,
    ...(from !== undefined ? { from: Number(from) } : {}),
    to: Number(to),
  };
}

// The pod name is in the first group (ReplicaSet, Job, DaemonSet wording) or the second (StatefulSet).
function podNamed(ev: KubeEvent, pattern: RegExp): string | undefined {
  if (!POD_OWNERS.has(ev.regarding.kind)) return undefined;
  const m = pattern.exec(ev.note);
  return m?.[1] ?? m?.[2];
}

// SuccessfulCreate is a pod owner creating a pod, or the CronJob controller creating a Job.
function parseCreated(ev: KubeEvent): EventEvidenceNote | undefined {
  if (POD_OWNERS.has(ev.regarding.kind)) {
    const pod = podNamed(ev, CREATED);
    return pod === undefined ? undefined : { kind: 'pod-created', pod };
  }
  // The CronJob controller: "Created job report-29539320".
  const job = ev.regarding.kind === 'CronJob' ? /^Created job (\S+)/.exec(ev.note)?.[1] : undefined;
  return job === undefined ? undefined : { kind: 'job-created', job };
}

function parseDeleted(ev: KubeEvent): EventEvidenceNote | undefined {
  const pod = podNamed(ev, DELETED);
  return pod === undefined ? undefined : { kind: 'pod-deleted', pod };
}

// NodeReady and NodeNotReady differ only in which way the node went.
function nodeReadiness(ready: boolean): NoteParser {
  return (ev) => (ev.regarding.kind === 'Node' ? { kind: 'node-ready', ready } : undefined);
}

function parsePodStarting(ev: KubeEvent): EventEvidenceNote | undefined {
  return ev.regarding.kind === 'Pod' ? { kind: 'pod-starting' } : undefined;
}

// A container killed to be restarted (failed liveness probe, changed definition) is no termination.
function parseKilling(ev: KubeEvent): EventEvidenceNote | undefined {
  if (ev.regarding.kind !== 'Pod' || ev.note.includes('will be restarted')) return undefined;
  return { kind: 'pod-killed' };
}

/**
 * Event reason → its note's parser. Each reason means one thing whatever else the Event says, so
 * the reason picks the parser and the parser checks the kind it is about; a new kind of evidence
 * is one row here.
 */
const PARSERS: ReadonlyMap<string, NoteParser> = new Map<string, NoteParser>([
  ['ScalingReplicaSet', parseScaled],
  ['SuccessfulCreate', parseCreated],
  ['SuccessfulDelete', parseDeleted],
  ['NodeNotReady', nodeReadiness(false)],
  ['NodeReady', nodeReadiness(true)],
  ...[...STARTING].map((reason): [string, NoteParser] => [reason, parsePodStarting]),
  ['Killing', parseKilling],
]);

/** What `ev` is evidence of, or undefined when it opens nothing (an unknown reason, kind or note). */
export function parseEventNote(ev: KubeEvent): EventEvidenceNote | undefined {
  return PARSERS.get(ev.reason)?.(ev);
}

// The job-controller's Events of a Job's end: "Job completed", or the failed condition's reason.
const JOB_FAILED: ReadonlySet<string> = new Set([
  'BackoffLimitExceeded',
  'DeadlineExceeded',
  'PodFailurePolicy',
  'MaxFailedIndexesExceeded',
  'FailedIndexes',
]);

export type Evidence = EventEvidenceNote | { readonly kind: 'job-finished'; readonly failed: boolean };

/** What `ev` is evidence of: parseEventNote's notes, and a Job's end. */
export function evidenceNote(ev: KubeEvent): Evidence | undefined {
  if (ev.regarding.kind === 'Job' && ev.reason === 'Completed') return { kind: 'job-finished', failed: false };
  if (ev.regarding.kind === 'Job' && ev.type === 'Warning' && JOB_FAILED.has(ev.reason)) {
    return { kind: 'job-finished', failed: true };
  }
  return parseEventNote(ev);
}

/**
 * Whether `pod`, the one the graph holds by the name a delete Event gives, is the replacement of
 * the pod deleted: a StatefulSet's pod comes back under its name as soon as its predecessor is
 * gone, before the Event is applied. The deleted pod was created no later than the Event (both
 * times to the second), and one still running while an older one of its name is known came after.
 * (Taken for the deleted one, the replacement got a termination that never ended, holding its
 * rollout open for as long as live ran.)
 */
export function isReplacement(
  pod: SlimObject,
  seen: readonly { uid: string; firstMs: number }[],
  atMs: number,
): boolean {
  if (pod.deletionMs !== undefined) return false;
  const createdMs = pod.creationMs ?? -Infinity;
  return createdMs > atMs || seen.some((u) => u.uid !== pod.uid && u.firstMs <= createdMs);
}

// A ReplicaSet created this shortly before a scale-up is the new one of a rollout.
const NEW_REPLICASET_MS = 10_000;

/**
 * Whether a ScalingReplicaSet step belongs to a rollout (a ReplicaSet other than the one the
 * Deployment had as current: created for it, brought up from 0, or older than the Deployment's
 * revision and drained — `othersRunning`: another of its ReplicaSets still has replicas) rather
 * than to a scale of the current one.
 */
export function isRolloutStep(
  dep: SlimObject,
  rs: SlimObject,
  step: ScalingStep,
  atMs: number,
  othersRunning = false,
): boolean {
  if (step.up) {
    if (step.from === 0) return true;
    return rs.creationMs !== undefined && atMs - rs.creationMs <= NEW_REPLICASET_MS && atMs >= rs.creationMs - 1000;
  }
  const depRevision = Number(dep.revision);
  const rsRevision = Number(rs.revision);
  if (Number.isFinite(depRevision) && Number.isFinite(rsRevision) && rsRevision < depRevision) return true;
  // Another ReplicaSet of the Deployment running while this one goes down (ReplicaSetCounts): the
  // Deployment's record, late or from before, does not show the revision yet.
  return othersRunning || (step.to === 0 && dep.specReplicas !== 0);
}

/** What ScalingReplicaSet Events showed of an operation they opened (event-evidence's EvidenceOp). */
export interface StepsSeen {
  /** Its kubestitch.operation and replica range. */
  readonly operation: string;
  readonly from: number | undefined;
  readonly to: number | undefined;
  /** A rollout's new ReplicaSet (brought up from 0). */
  readonly newReplicaSet: string | undefined;
  /** The count each other ReplicaSet a rollout scaled down was last taken to, by uid. */
  readonly drained: ReadonlyMap<string, number>;
}

/**
 * Whether a step of `rsUid` that is no rollout step (isRolloutStep) comes after the operation
 * Events opened, so a new Deployment scale begins: a rollout that brought its new ReplicaSet up
 * and took every older one it scaled down to 0 is done (without records nothing else ends it, and
 * the scale after it was folded in), and a scale is done once a step to other replicas comes (the
 * controller takes the current ReplicaSet to a new count in one step). A step during a rollout
 * stays part of it, as with records.
 */
export function scaleFollows(op: StepsSeen, rsUid: string, step: ScalingStep): boolean {
  if (op.operation === OPERATION.deploymentScale) {
    return step.to !== op.to || (step.from !== undefined && op.from !== undefined && step.from !== op.from);
  }
  if (op.operation !== OPERATION.deploymentRollout || op.newReplicaSet !== rsUid || op.drained.size === 0) return false;
  return [...op.drained.values()].every((n) => n === 0);
}

/**
 * An object known only from Events (its snapshot comes later, or never): identity and owner,
 * everything else unknown.
 */
export function evidenceSlim(
  kind: string,
  namespace: string,
  name: string,
  uid: string,
  controller: OwnerLink | undefined,
): SlimObject {
  const info = kindInfo(kind);
  return {
    kind,
    group: info.group,
    resource: info.resource,
    namespace,
    name,
    uid,
    resourceVersion: '',
    generation: undefined,
    observedGeneration: undefined,
    controller,
    creationMs: undefined,
    deletionMs: undefined,
    deletionGraceS: undefined,
    templateHash: undefined,
    revision: undefined,
    specReplicas: undefined,
    counts: {},
    currentRevision: undefined,
    updateRevision: undefined,
    conditions: {},
    nodeName: undefined,
    phase: undefined,
    containers: [],
    containerStatuses: [],
  };
}
