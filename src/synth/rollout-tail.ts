import type { OwnerGraph } from '../graph/owner-graph.js';
import type { SlimObject } from '../graph/slim.js';
import { type SynthContext, refineTime } from './context.js';
import type { ReplicaSetTracker } from './replicaset-tracker.js';
import type { WorkloadTracker } from './workload-tracker.js';

/**
 * A pod first seen terminating (initial lists: `run` installed mid-rollout, a relist) whose
 * ReplicaSet is an old one of its Deployment (an older deployment.kubernetes.io/revision) at 0
 * replicas: the lists show the rollout complete, but the pod is its last step's, still going. Its
 * rollout's tail opens — the Deployment's rollout and the ReplicaSet's scale-down, from the pod's
 * deletion request (the step that deleted it), ended at this first sight — so the termination
 * nests under them as the whole story would nest it. Nothing opens when either owner has an
 * operation already; a pod seen before its owners is tried again at their first sight (up to
 * MAX_EARLY pods), its termination waiting for an owner meanwhile (adoption window).
 */
export function openRolloutTail(
  ctx: SynthContext,
  graph: OwnerGraph,
  trackers: { readonly replicaSets: ReplicaSetTracker; readonly workloads: ReadonlyMap<string, WorkloadTracker> },
): RolloutTail {
  // Pods first seen terminating before their ReplicaSet or Deployment (lists of children's kinds
  // first): tried again when an owner is first seen; their terminations wait for an owner meanwhile.
  const early = new Set<string>();
  // True when done with the pod (opened, or nothing to open); false while an owner is unknown.
  const tryOpen = (pod: SlimObject, recordMs: number): boolean => {
    const owners = tailOwners(graph, pod);
    if (owners === 'unknown') return false;
    if (owners === undefined || pod.deletionMs === undefined) return true;
    const { rs, dep } = owners;
    if (ctx.ops.current(rs.uid) !== undefined || ctx.ops.current(dep.uid) !== undefined) return true;
    const startMs = refineTime(pod.deletionMs - (pod.deletionGraceS ?? 0) * 1000, recordMs);
    if (startMs > recordMs) return true;
    const rollout = trackers.workloads.get('Deployment')?.rolloutTail(dep, startMs, recordMs);
    if (rollout !== undefined) trackers.replicaSets.tailStep(rs, startMs, recordMs);
    return true;
  };
  return {
    podFirstSeen(pod, recordMs) {
      if (tryOpen(pod, recordMs)) return;
      if (early.size >= MAX_EARLY) early.delete(early.values().next().value ?? '');
      early.add(pod.uid);
    },
    ownerFirstSeen(recordMs) {
      if (early.size === 0) return;
      for (const uid of [...early]) {
        const pod = graph.get(uid);
        if (pod === undefined || tryOpen(pod, recordMs)) early.delete(uid);
      }
    },
  };
}

const MAX_EARLY = 1000;

export interface RolloutTail {
  /** A pod's first sight (before PodTracker sees it). */
  podFirstSeen(pod: SlimObject, recordMs: number): void;
  /** A ReplicaSet's or Deployment's first sight (after its tracker saw it). */
  ownerFirstSeen(recordMs: number): void;
}

// An old ReplicaSet of the Deployment (an older revision) at 0 replicas, spec and status.
function isTail(rs: SlimObject, dep: SlimObject): boolean {
  if (rs.specReplicas !== 0 || (rs.counts['replicas'] ?? 0) !== 0) return false;
  return Number(rs.revision) < Number(dep.revision);
}

// The terminating pod's old ReplicaSet at 0 and its Deployment; 'unknown' while either is not seen.
function tailOwners(graph: OwnerGraph, pod: SlimObject): { rs: SlimObject; dep: SlimObject } | 'unknown' | undefined {
  const link = pod.controller;
  if (pod.kind !== 'Pod' || link?.kind !== 'ReplicaSet' || pod.deletionMs === undefined) return undefined;
  const rs = graph.get(link.uid);
  if (rs === undefined) return 'unknown';
  const depLink = rs.controller;
  if (depLink?.kind !== 'Deployment') return undefined;
  const dep = graph.get(depLink.uid);
  if (dep === undefined) return 'unknown';
  return isTail(rs, dep) ? { rs, dep } : undefined;
}
