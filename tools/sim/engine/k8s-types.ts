/**
 * The slices of Kubernetes object shapes the simulator builds and reads. Type aliases (not
 * interfaces) so they stay assignable to plain JSON records.
 */
export type StringMap = Record<string, string>;

export type OwnerReference = {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
};

export type ObjectMeta = {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string | null;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: StringMap;
  annotations?: StringMap;
  ownerReferences?: OwnerReference[];
  finalizers?: string[];
};

export type KObject = {
  kind: string;
  apiVersion: string;
  metadata: ObjectMeta;
  [key: string]: unknown;
};

export type Probe = {
  exec?: { command: string[] };
  httpGet?: { path: string; port: number; scheme: string };
  tcpSocket?: { port: number };
  initialDelaySeconds?: number;
  timeoutSeconds: number;
  periodSeconds: number;
  successThreshold: number;
  failureThreshold: number;
};

export type ContainerSpec = {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  ports?: { name?: string; containerPort: number; protocol: string }[];
  env?: { name: string; value: string }[];
  resources: { limits?: StringMap; requests?: StringMap };
  volumeMounts?: { name: string; readOnly?: boolean; mountPath: string }[];
  readinessProbe?: Probe;
  terminationMessagePath: string;
  terminationMessagePolicy: string;
  imagePullPolicy: string;
  securityContext?: Record<string, unknown>;
};

export type Toleration = {
  key?: string;
  operator: string;
  value?: string;
  effect?: string;
  tolerationSeconds?: number;
};

export type PodSpec = {
  volumes?: Record<string, unknown>[];
  initContainers?: ContainerSpec[];
  containers: ContainerSpec[];
  restartPolicy: string;
  terminationGracePeriodSeconds: number;
  dnsPolicy: string;
  nodeSelector?: StringMap;
  serviceAccountName?: string;
  serviceAccount?: string;
  nodeName?: string;
  hostNetwork?: boolean;
  securityContext: Record<string, unknown>;
  hostname?: string;
  subdomain?: string;
  affinity?: Record<string, unknown>;
  schedulerName: string;
  tolerations?: Toleration[];
  priorityClassName?: string;
  priority?: number;
  enableServiceLinks?: boolean;
  preemptionPolicy?: string;
};

export type PodTemplate = { metadata: ObjectMeta; spec: PodSpec };

export type PodCondition = {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  lastProbeTime: null;
  lastTransitionTime: string;
  reason?: string;
  message?: string;
};

export type ContainerState =
  | { waiting: { reason: string; message?: string } }
  | { running: { startedAt: string } }
  | {
      terminated: {
        exitCode: number;
        reason: string;
        startedAt: string;
        finishedAt: string;
        containerID: string;
      };
    };

export type ContainerStatus = {
  name: string;
  state: ContainerState;
  lastState: ContainerState | Record<string, never>;
  ready: boolean;
  restartCount: number;
  image: string;
  imageID: string;
  containerID?: string;
  started: boolean;
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean; recursiveReadOnly?: string }[];
};

export type PodStatus = {
  phase: string;
  conditions?: PodCondition[];
  hostIP?: string;
  hostIPs?: { ip: string }[];
  podIP?: string;
  podIPs?: { ip: string }[];
  startTime?: string;
  initContainerStatuses?: ContainerStatus[];
  containerStatuses?: ContainerStatus[];
  qosClass?: string;
};

export type Pod = KObject & { spec: PodSpec; status: PodStatus };

export type DeploymentCondition = {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  lastUpdateTime: string;
  lastTransitionTime: string;
  reason: string;
  message: string;
};

export type RollingUpdate = { maxSurge?: number | string; maxUnavailable?: number | string };

export type Deployment = KObject & {
  spec: {
    replicas: number;
    selector: { matchLabels: StringMap };
    template: PodTemplate;
    strategy: { type: string; rollingUpdate?: RollingUpdate };
    revisionHistoryLimit: number;
    progressDeadlineSeconds: number;
  };
  status: {
    observedGeneration?: number;
    replicas?: number;
    updatedReplicas?: number;
    readyReplicas?: number;
    availableReplicas?: number;
    unavailableReplicas?: number;
    conditions?: DeploymentCondition[];
  };
};

export type ReplicaSet = KObject & {
  spec: { replicas: number; selector: { matchLabels: StringMap }; template: PodTemplate };
  status: {
    replicas: number;
    fullyLabeledReplicas?: number;
    readyReplicas?: number;
    availableReplicas?: number;
    observedGeneration?: number;
  };
};

export type NodeCondition = {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  lastHeartbeatTime: string;
  lastTransitionTime: string;
  reason: string;
  message: string;
};

export type Taint = { key: string; effect: string; value?: string; timeAdded?: string };

export type Node = KObject & {
  spec: { podCIDR?: string; podCIDRs?: string[]; providerID?: string; taints?: Taint[] };
  status: {
    capacity: StringMap;
    allocatable: StringMap;
    conditions: NodeCondition[];
    addresses: { type: string; address: string }[];
    daemonEndpoints: { kubeletEndpoint: { Port: number } };
    nodeInfo: StringMap;
    images?: { names: string[]; sizeBytes: number }[];
    runtimeHandlers?: unknown[];
    features?: unknown;
  };
};

export type Job = KObject & {
  spec: {
    parallelism: number;
    completions: number;
    backoffLimit: number;
    selector?: { matchLabels: StringMap };
    manualSelector?: boolean;
    template: PodTemplate;
    completionMode: string;
    suspend: boolean;
    podReplacementPolicy: string;
  };
  status: {
    conditions?: {
      type: string;
      status: string;
      lastProbeTime: string;
      lastTransitionTime: string;
      reason: string;
      message: string;
    }[];
    startTime?: string;
    completionTime?: string;
    active?: number;
    succeeded?: number;
    failed?: number;
    terminating?: number;
    uncountedTerminatedPods?: { succeeded?: string[]; failed?: string[] };
    ready?: number;
  };
};

export type { ObjectReference, CronJob, StatefulSet, DaemonSet } from './k8s-types-more.js';
