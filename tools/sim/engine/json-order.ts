import type { ObjectMeta } from './k8s-types.js';

/**
 * Rebuilds `obj` with the keys in `order` first (in that order), then any others as they were.
 * The apiserver serializes Go structs in field order, and audit logs show it; watch output is
 * re-sorted by kubectl anyway.
 */
export function orderKeys<T extends object>(obj: T, order: readonly string[]): T {
  const src = obj as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of order) if (src[k] !== undefined) out[k] = src[k];
  for (const [k, v] of Object.entries(src)) if (!(k in out) && v !== undefined) out[k] = v;
  return out as T;
}

const META_ORDER = [
  'name',
  'generateName',
  'namespace',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'labels',
  'annotations',
  'ownerReferences',
  'finalizers',
] as const;

/** ObjectMeta in Go field order; labels and annotations sorted, as Go marshals maps. */
export function orderMeta(meta: ObjectMeta): ObjectMeta {
  const sorted = {
    ...meta,
    ...(meta.labels === undefined ? {} : { labels: sortMap(meta.labels) }),
    ...(meta.annotations === undefined ? {} : { annotations: sortMap(meta.annotations) }),
  };
  return orderKeys(sorted, META_ORDER);
}

/** A string map with sorted keys (Go marshals maps sorted). */
export function sortMap(m: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(m).sort()) out[k] = m[k] ?? '';
  return out;
}

export const TOP_ORDER = ['kind', 'apiVersion', 'metadata'] as const;

export const POD_SPEC_ORDER = [
  'volumes',
  'initContainers',
  'containers',
  'restartPolicy',
  'terminationGracePeriodSeconds',
  'activeDeadlineSeconds',
  'dnsPolicy',
  'nodeSelector',
  'serviceAccountName',
  'serviceAccount',
  'automountServiceAccountToken',
  'nodeName',
  'hostNetwork',
  'securityContext',
  'hostname',
  'subdomain',
  'affinity',
  'schedulerName',
  'tolerations',
  'priorityClassName',
  'priority',
  'enableServiceLinks',
  'preemptionPolicy',
] as const;

export const POD_STATUS_ORDER = [
  'phase',
  'conditions',
  'message',
  'reason',
  'hostIP',
  'hostIPs',
  'podIP',
  'podIPs',
  'startTime',
  'initContainerStatuses',
  'containerStatuses',
  'qosClass',
] as const;

/** Drops keys whose value is 0, '' or undefined: Go's `omitempty` on integer and string fields. */
export function omitEmpty<T extends object>(obj: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) if (v !== 0 && v !== '' && v !== undefined) out[k] = v;
  return out as T;
}
