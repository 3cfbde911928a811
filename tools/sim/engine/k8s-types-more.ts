import type { ObjectMeta, PodTemplate, RollingUpdate, StringMap, Job, KObject } from './k8s-types.js';

/** Object shapes of the workload kinds beyond Deployment/ReplicaSet/Job. */
export type ObjectReference = {
  kind: string;
  namespace?: string;
  name: string;
  uid: string;
  apiVersion?: string;
  resourceVersion?: string;
  fieldPath?: string;
};

export type CronJob = KObject & {
  spec: {
    schedule: string;
    concurrencyPolicy: string;
    suspend: boolean;
    jobTemplate: { metadata: ObjectMeta; spec: Omit<Job['spec'], 'selector' | 'manualSelector'> };
    successfulJobsHistoryLimit: number;
    failedJobsHistoryLimit: number;
  };
  status: { active?: ObjectReference[]; lastScheduleTime?: string; lastSuccessfulTime?: string };
};

export type StatefulSet = KObject & {
  spec: {
    replicas: number;
    selector: { matchLabels: StringMap };
    template: PodTemplate;
    volumeClaimTemplates?: Record<string, unknown>[];
    serviceName: string;
    podManagementPolicy: string;
    updateStrategy: { type: string; rollingUpdate?: { partition: number } };
    revisionHistoryLimit: number;
    persistentVolumeClaimRetentionPolicy?: StringMap;
  };
  status: {
    observedGeneration?: number;
    replicas: number;
    readyReplicas?: number;
    currentReplicas?: number;
    updatedReplicas?: number;
    currentRevision?: string;
    updateRevision?: string;
    collisionCount?: number;
    availableReplicas: number;
  };
};

export type DaemonSet = KObject & {
  spec: {
    selector: { matchLabels: StringMap };
    template: PodTemplate;
    updateStrategy: { type: string; rollingUpdate?: RollingUpdate };
    revisionHistoryLimit: number;
  };
  status: {
    currentNumberScheduled: number;
    numberMisscheduled: number;
    desiredNumberScheduled: number;
    numberReady: number;
    observedGeneration?: number;
    updatedNumberScheduled?: number;
    numberAvailable?: number;
    numberUnavailable?: number;
  };
};
