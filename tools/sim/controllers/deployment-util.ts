import { jsonEqual } from '../engine/hash.js';
import type { Deployment, PodTemplate, ReplicaSet } from '../engine/k8s-types.js';

export const REVISION = 'deployment.kubernetes.io/revision';
export const DESIRED = 'deployment.kubernetes.io/desired-replicas';
export const MAX = 'deployment.kubernetes.io/max-replicas';
export const HASH_LABEL = 'pod-template-hash';

// Deployment annotations the controller does not copy onto its ReplicaSets.
const SKIP = new Set([
  'kubectl.kubernetes.io/last-applied-configuration',
  REVISION,
  'deployment.kubernetes.io/revision-history',
  DESIRED,
  MAX,
  'deprecated.deployment.rollback.to',
]);

/** intstr resolution: percentages round up for surge, down for unavailable. */
function resolve(v: number | string | undefined, total: number, roundUp: boolean, dflt: string): number {
  const x = v ?? dflt;
  if (typeof x === 'number') return x;
  const pct = Number(x.replace('%', ''));
  const raw = (pct * total) / 100;
  return roundUp ? Math.ceil(raw) : Math.floor(raw);
}

/** deploymentutil.MaxSurge: resolved maxSurge (percentages round up). */
export function maxSurge(d: Deployment): number {
  const ru = d.spec.strategy.rollingUpdate;
  const surge = resolve(ru?.maxSurge, d.spec.replicas, true, '25%');
  const unavail = resolve(ru?.maxUnavailable, d.spec.replicas, false, '25%');
  return surge === 0 && unavail === 0 ? 0 : surge;
}

/** deploymentutil.MaxUnavailable: resolved maxUnavailable (percentages round down; 1 if both are 0). */
export function maxUnavailable(d: Deployment): number {
  const ru = d.spec.strategy.rollingUpdate;
  const surge = resolve(ru?.maxSurge, d.spec.replicas, true, '25%');
  let unavail = resolve(ru?.maxUnavailable, d.spec.replicas, false, '25%');
  if (surge === 0 && unavail === 0) unavail = 1;
  return Math.min(unavail, d.spec.replicas);
}

function withoutHash(t: PodTemplate): PodTemplate {
  const labels = { ...t.metadata.labels };
  delete labels[HASH_LABEL];
  return { ...t, metadata: { ...t.metadata, labels } };
}

/** deploymentutil.EqualIgnoreHash. */
export function equalIgnoreHash(a: PodTemplate, b: PodTemplate): boolean {
  return jsonEqual(withoutHash(a), withoutHash(b));
}

/** The ReplicaSet's deployment.kubernetes.io/revision, 0 if absent or malformed. */
export function revisionOf(rs: ReplicaSet): number {
  return Number(rs.metadata.annotations?.[REVISION] ?? '0') || 0;
}

/** Sort order: older ReplicaSets first, name as tie-break. */
export function byCreation(a: ReplicaSet, b: ReplicaSet): number {
  const ca = a.metadata.creationTimestamp ?? '';
  const cb = b.metadata.creationTimestamp ?? '';
  return ca < cb ? -1 : ca > cb ? 1 : (a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : 1;
}

/** The RS annotations SetNewReplicaSetAnnotations / SetReplicasAnnotations produce. */
export function rsAnnotations(
  d: Deployment,
  revision: number,
  existing: Record<string, string> = {},
): Record<string, string> {
  const out: Record<string, string> = { ...existing };
  for (const [k, v] of Object.entries(d.metadata.annotations ?? {})) if (!SKIP.has(k)) out[k] = v;
  out[REVISION] = String(revision);
  out[DESIRED] = String(d.spec.replicas);
  out[MAX] = String(d.spec.replicas + maxSurge(d));
  return out;
}

/** Sum of spec.replicas. */
export function sumSpec(rss: readonly ReplicaSet[]): number {
  return rss.reduce((s, r) => s + r.spec.replicas, 0);
}

/** Sum of one status counter (absent counts as 0). */
export function sumStatus(rss: readonly ReplicaSet[], f: 'replicas' | 'readyReplicas' | 'availableReplicas'): number {
  return rss.reduce((s, r) => s + (r.status[f] ?? 0), 0);
}
