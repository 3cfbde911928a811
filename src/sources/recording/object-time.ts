import { arr, field, isObject, num, parseTimeMs, str } from '../../model/kube-json.js';
import type { JsonObject } from '../../model/kube-json.js';

/**
 * Best estimate of when an object version was written, from its own timestamps: the latest of
 * creation, managedFields update times, condition transitions and container state times, and the
 * start of a graceful deletion. Used only when a recording line carries no receive time (`ts`).
 * Returns undefined when the object holds no timestamp at all.
 */
export function estimateWriteTimeMs(object: JsonObject): number | undefined {
  let latest: number | undefined;
  const see = (v: unknown): void => {
    const t = parseTimeMs(v);
    if (t !== undefined && (latest === undefined || t > latest)) latest = t;
  };
  see(field(object, 'metadata', 'creationTimestamp'));
  for (const mf of arr(object, 'metadata', 'managedFields')) see(field(mf, 'time'));
  const deletion = parseTimeMs(field(object, 'metadata', 'deletionTimestamp'));
  if (deletion !== undefined) {
    // deletionTimestamp is the deadline (request time + grace), not the request time.
    const graceS = num(object, 'metadata', 'deletionGracePeriodSeconds') ?? 0;
    see(new Date(deletion - graceS * 1000).toISOString());
  }
  for (const c of arr(object, 'status', 'conditions')) {
    see(field(c, 'lastTransitionTime'));
    see(field(c, 'lastUpdateTime'));
  }
  for (const key of ['initContainerStatuses', 'containerStatuses'] as const) {
    for (const cs of arr(object, 'status', key)) seeContainerTimes(cs, see);
  }
  see(field(object, 'status', 'startTime'));
  see(field(object, 'status', 'completionTime'));
  return latest;
}

function seeContainerTimes(cs: unknown, see: (v: unknown) => void): void {
  for (const which of ['state', 'lastState'] as const) {
    const state = field(cs, which);
    if (!isObject(state)) continue;
    see(field(state, 'running', 'startedAt'));
    see(field(state, 'terminated', 'startedAt'));
    see(field(state, 'terminated', 'finishedAt'));
  }
}

/** resourceVersion as a number when it is the usual etcd revision; undefined otherwise. */
export function numericResourceVersion(object: JsonObject): number | undefined {
  const rv = str(object, 'metadata', 'resourceVersion');
  if (rv === undefined || !/^\d{1,15}$/.test(rv)) return undefined;
  return Number(rv);
}
