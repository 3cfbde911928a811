import type { Pod } from '../engine/k8s-types.js';

/** Phase Succeeded or Failed. */
export function isTerminal(p: Pod): boolean {
  return p.status.phase === 'Succeeded' || p.status.phase === 'Failed';
}

/** controller.FilterActivePods: not terminal and not being deleted. */
export function isActive(p: Pod): boolean {
  return !isTerminal(p) && p.metadata.deletionTimestamp === undefined;
}

/** The Ready condition is True. */
export function isReady(p: Pod): boolean {
  return p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/** Phase Running and Ready (what StatefulSet and DaemonSet wait for). */
export function isRunningAndReady(p: Pod): boolean {
  return p.status.phase === 'Running' && isReady(p);
}

function restarts(p: Pod): number {
  return (p.status.containerStatuses ?? []).reduce((s, c) => s + c.restartCount, 0);
}

const PHASE_RANK: Readonly<Record<string, number>> = { Pending: 0, Unknown: 1, Running: 2 };

/**
 * controller.ActivePods ordering used to pick pods to delete, most deletable first: unscheduled,
 * then pending, not ready, ready for less time, more restarts, newer.
 */
export function deletionOrder(a: Pod, b: Pod): number {
  const sa = a.spec.nodeName === undefined ? 0 : 1;
  const sb = b.spec.nodeName === undefined ? 0 : 1;
  if (sa !== sb) return sa - sb;
  const pa = PHASE_RANK[a.status.phase] ?? 3;
  const pb = PHASE_RANK[b.status.phase] ?? 3;
  if (pa !== pb) return pa - pb;
  const ra = isReady(a) ? 1 : 0;
  const rb = isReady(b) ? 1 : 0;
  if (ra !== rb) return ra - rb;
  const readyA = a.status.conditions?.find((c) => c.type === 'Ready')?.lastTransitionTime ?? '';
  const readyB = b.status.conditions?.find((c) => c.type === 'Ready')?.lastTransitionTime ?? '';
  if (readyA !== readyB) return readyA > readyB ? -1 : 1;
  if (restarts(a) !== restarts(b)) return restarts(b) - restarts(a);
  const ca = a.metadata.creationTimestamp ?? '';
  const cb = b.metadata.creationTimestamp ?? '';
  if (ca !== cb) return ca > cb ? -1 : 1;
  return (a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : 1;
}
