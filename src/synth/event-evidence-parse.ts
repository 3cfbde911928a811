import type { OwnerLink, SlimObject } from '../graph/slim.js';
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
// web-1 in StatefulSet web successful".
const CREATED = /^(?:Created pod: (\S+)|create Pod (\S+) in StatefulSet \S+ successful)/;
const DELETED = /^(?:Deleted pod: (\S+)|delete Pod (\S+) in StatefulSet \S+ successful)/;
const POD_OWNERS: ReadonlySet<string> = new Set(['ReplicaSet', 'Job', 'StatefulSet', 'DaemonSet']);
/** The scheduler's and kubelet's Events of a pod coming up. */
const STARTING: ReadonlySet<string> = new Set(['Scheduled', 'Pulling', 'Pulled', 'Created', 'Started']);

/** What `ev` is evidence of, or undefined when it opens nothing. */
export function parseEventNote(ev: KubeEvent): EventEvidenceNote | undefined {
  const kind = ev.regarding.kind;
  if (ev.reason === 'ScalingReplicaSet' && kind === 'Deployment') {
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
  if (POD_OWNERS.has(kind) && (ev.reason === 'SuccessfulCreate' || ev.reason === 'SuccessfulDelete')) {
    const m = (ev.reason === 'SuccessfulCreate' ? CREATED : DELETED).exec(ev.note);
    const pod = m?.[1] ?? m?.[2];
    if (pod === undefined) return undefined;
    return { kind: ev.reason === 'SuccessfulCreate' ? 'pod-created' : 'pod-deleted', pod };
  }
  // The CronJob controller: "Created job report-29539320".
  const job = kind === 'CronJob' && ev.reason === 'SuccessfulCreate' ? /^Created job (\S+)/.exec(ev.note) : null;
  if (job?.[1] !== undefined) return { kind: 'job-created', job: job[1] };
  if (kind === 'Node' && (ev.reason === 'NodeNotReady' || ev.reason === 'NodeReady')) {
    return { kind: 'node-ready', ready: ev.reason === 'NodeReady' };
  }
  if (kind !== 'Pod') return undefined;
  if (STARTING.has(ev.reason)) return { kind: 'pod-starting' };
  // A container killed to be restarted (failed liveness probe, changed definition) is no termination.
  if (ev.reason === 'Killing' && !ev.note.includes('will be restarted')) return { kind: 'pod-killed' };
  return undefined;
}

// A ReplicaSet created this shortly before a scale-up is the new one of a rollout.
const NEW_REPLICASET_MS = 10_000;

/**
 * Whether a ScalingReplicaSet step belongs to a rollout (a ReplicaSet other than the one the
 * Deployment had as current: created for it, brought up from 0, or older than the Deployment's
 * revision and drained) rather than to a scale of the current one.
 */
export function isRolloutStep(dep: SlimObject, rs: SlimObject, step: ScalingStep, atMs: number): boolean {
  if (step.up) {
    if (step.from === 0) return true;
    return rs.creationMs !== undefined && atMs - rs.creationMs <= NEW_REPLICASET_MS && atMs >= rs.creationMs - 1000;
  }
  const depRevision = Number(dep.revision);
  const rsRevision = Number(rs.revision);
  if (Number.isFinite(depRevision) && Number.isFinite(rsRevision) && rsRevision < depRevision) return true;
  return step.to === 0 && dep.specReplicas !== 0;
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
