import { omitEmpty } from '../engine/json-order.js';
import type { Deployment, DeploymentCondition, ReplicaSet } from '../engine/k8s-types.js';
import { rfc3339Seconds } from '../engine/time-format.js';
import { maxUnavailable, sumSpec, sumStatus } from './deployment-util.js';

type Status = Deployment['status'];

/** A Deployment condition stamped now (lastUpdateTime = lastTransitionTime). */
export function newCondition(
  type: string,
  status: 'True' | 'False',
  reason: string,
  message: string,
  nowUs: number,
): DeploymentCondition {
  const t = rfc3339Seconds(nowUs);
  return { type, status, lastUpdateTime: t, lastTransitionTime: t, reason, message };
}

/** The condition of `type`, if present. */
export function getCondition(s: Status, type: string): DeploymentCondition | undefined {
  return s.conditions?.find((c) => c.type === type);
}

/** deploymentutil.SetDeploymentCondition: same status+reason is a no-op; the new one goes last. */
export function setCondition(s: Status, cond: DeploymentCondition): Status {
  const cur = getCondition(s, cond.type);
  if (cur !== undefined && cur.status === cond.status && cur.reason === cond.reason) return s;
  const c =
    cur !== undefined && cur.status === cond.status ? { ...cond, lastTransitionTime: cur.lastTransitionTime } : cond;
  return { ...s, conditions: [...(s.conditions ?? []).filter((x) => x.type !== cond.type), c] };
}

/** deployment controller calculateStatus. */
export function calculateStatus(
  all: readonly ReplicaSet[],
  newRS: ReplicaSet | undefined,
  d: Deployment,
  nowUs: number,
): Status {
  const available = sumStatus(all, 'availableReplicas');
  const unavailable = Math.max(0, sumSpec(all) - available);
  let s: Status = omitEmpty({
    observedGeneration: d.metadata.generation ?? 1,
    replicas: sumStatus(all, 'replicas'),
    updatedReplicas: newRS === undefined ? 0 : newRS.status.replicas,
    readyReplicas: sumStatus(all, 'readyReplicas'),
    availableReplicas: available,
    unavailableReplicas: unavailable,
  });
  s = { ...s, conditions: [...(d.status.conditions ?? [])] };
  s =
    available >= d.spec.replicas - maxUnavailable(d)
      ? setCondition(
          s,
          newCondition('Available', 'True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.', nowUs),
        )
      : setCondition(
          s,
          newCondition(
            'Available',
            'False',
            'MinimumReplicasUnavailable',
            'Deployment does not have minimum availability.',
            nowUs,
          ),
        );
  return s;
}

/** deploymentutil.DeploymentComplete: every replica updated and available, generation observed. */
export function deploymentComplete(d: Deployment, s: Status): boolean {
  const n = d.spec.replicas;
  return (
    (s.updatedReplicas ?? 0) === n &&
    (s.replicas ?? 0) === n &&
    (s.availableReplicas ?? 0) === n &&
    (s.observedGeneration ?? 0) >= (d.metadata.generation ?? 1)
  );
}

function deploymentProgressing(d: Deployment, s: Status): boolean {
  const old = d.status;
  const oldOld = (old.replicas ?? 0) - (old.updatedReplicas ?? 0);
  const newOld = (s.replicas ?? 0) - (s.updatedReplicas ?? 0);
  return (
    (s.updatedReplicas ?? 0) > (old.updatedReplicas ?? 0) ||
    newOld < oldOld ||
    (s.readyReplicas ?? 0) > (old.readyReplicas ?? 0) ||
    (s.availableReplicas ?? 0) > (old.availableReplicas ?? 0)
  );
}

/** syncRolloutStatus: calculateStatus plus the Progressing condition. */
export function rolloutStatus(
  all: readonly ReplicaSet[],
  newRS: ReplicaSet | undefined,
  d: Deployment,
  nowUs: number,
): Status {
  let s = calculateStatus(all, newRS, d, nowUs);
  const cur = getCondition(d.status, 'Progressing');
  const complete = s.replicas === s.updatedReplicas && cur?.reason === 'NewReplicaSetAvailable';
  if (complete) return s;
  const rsName = newRS?.metadata.name ?? '';
  if (deploymentComplete(d, s)) {
    const msg = `ReplicaSet "${rsName}" has successfully progressed.`;
    return setCondition(s, newCondition('Progressing', 'True', 'NewReplicaSetAvailable', msg, nowUs));
  }
  if (deploymentProgressing(d, s)) {
    const c = newCondition('Progressing', 'True', 'ReplicaSetUpdated', `ReplicaSet "${rsName}" is progressing.`, nowUs);
    const kept = cur !== undefined && cur.status === 'True' ? { ...c, lastTransitionTime: cur.lastTransitionTime } : c;
    s = { ...s, conditions: [...(s.conditions ?? []).filter((x) => x.type !== 'Progressing'), kept] };
  }
  return s;
}
