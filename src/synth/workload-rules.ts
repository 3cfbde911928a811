import type { SlimObject } from '../graph/slim.js';

/** Per-kind rules for workloads whose operations are driven by generation (DESIGN §3.2). */
export interface WorkloadRules {
  readonly kind: 'Deployment' | 'StatefulSet' | 'DaemonSet';
  /** kube-controller-manager controller that acts on this kind. */
  readonly controller: string;
  readonly rolloutOperation: string;
  readonly scaleOperation: string | undefined;
  /** The workload has converged on its current spec. */
  isSettled(slim: SlimObject): boolean;
  /** Terminal failure of the current rollout, with a message; undefined while not failed. */
  failure(slim: SlimObject): string | undefined;
}

function caughtUp(s: SlimObject): boolean {
  return s.generation === undefined || (s.observedGeneration ?? 0) >= s.generation;
}

function count(s: SlimObject, key: string): number {
  return s.counts[key] ?? 0;
}

export const DEPLOYMENT_RULES: WorkloadRules = {
  kind: 'Deployment',
  controller: 'deployment-controller',
  rolloutOperation: 'deployment.rollout',
  scaleOperation: 'deployment.scale',
  isSettled(s) {
    const want = s.specReplicas ?? 1;
    return (
      caughtUp(s) &&
      count(s, 'updatedReplicas') === want &&
      count(s, 'replicas') === want &&
      count(s, 'availableReplicas') === want &&
      count(s, 'unavailableReplicas') === 0
    );
  },
  failure(s) {
    const p = s.conditions['Progressing'];
    if (p === undefined || p.status !== 'False' || p.reason !== 'ProgressDeadlineExceeded') return undefined;
    return p.message === '' ? 'ProgressDeadlineExceeded' : p.message;
  },
};

export const STATEFULSET_RULES: WorkloadRules = {
  kind: 'StatefulSet',
  controller: 'statefulset-controller',
  rolloutOperation: 'statefulset.rollout',
  scaleOperation: 'statefulset.scale',
  isSettled(s) {
    const want = s.specReplicas ?? 1;
    return (
      caughtUp(s) &&
      count(s, 'replicas') === want &&
      count(s, 'readyReplicas') === want &&
      count(s, 'updatedReplicas') === want &&
      (s.updateRevision === undefined || s.currentRevision === s.updateRevision)
    );
  },
  failure: () => undefined,
};

export const DAEMONSET_RULES: WorkloadRules = {
  kind: 'DaemonSet',
  controller: 'daemonset-controller',
  rolloutOperation: 'daemonset.rollout',
  scaleOperation: undefined,
  isSettled(s) {
    const want = count(s, 'desiredNumberScheduled');
    return (
      caughtUp(s) &&
      count(s, 'updatedNumberScheduled') === want &&
      count(s, 'numberAvailable') === want &&
      count(s, 'numberReady') === want &&
      count(s, 'numberUnavailable') === 0
    );
  },
  failure: () => undefined,
};
