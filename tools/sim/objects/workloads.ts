import type {
  ContainerSpec,
  CronJob,
  DaemonSet,
  Deployment,
  Job,
  PodSpec,
  Probe,
  RollingUpdate,
  StatefulSet,
} from '../engine/k8s-types.js';
import { container, podTemplate } from './pod-builder.js';

/** A readiness probe with the apiserver's defaults filled in. */
export function probe(
  p: Pick<Probe, 'exec' | 'httpGet' | 'tcpSocket'> & { initialDelaySeconds?: number; periodSeconds?: number },
): Probe {
  return {
    ...(p.exec === undefined ? {} : { exec: p.exec }),
    ...(p.httpGet === undefined ? {} : { httpGet: p.httpGet }),
    ...(p.tcpSocket === undefined ? {} : { tcpSocket: p.tcpSocket }),
    ...(p.initialDelaySeconds === undefined ? {} : { initialDelaySeconds: p.initialDelaySeconds }),
    timeoutSeconds: 1,
    periodSeconds: p.periodSeconds ?? 10,
    successThreshold: 1,
    failureThreshold: 3,
  };
}

export interface DeploymentInput {
  readonly namespace: string;
  readonly name: string;
  readonly replicas: number;
  readonly containers: readonly ContainerSpec[];
  readonly rollingUpdate?: RollingUpdate;
  readonly pod?: Partial<PodSpec>;
}

/** A Deployment as stored after defaulting (status empty). */
export function deployment(i: DeploymentInput): Deployment {
  const labels = { app: i.name };
  return {
    kind: 'Deployment',
    apiVersion: 'apps/v1',
    metadata: { name: i.name, namespace: i.namespace, creationTimestamp: null, labels },
    spec: {
      replicas: i.replicas,
      selector: { matchLabels: labels },
      template: podTemplate(labels, { ...i.pod, containers: [...i.containers] }),
      strategy: { type: 'RollingUpdate', rollingUpdate: i.rollingUpdate ?? { maxSurge: '25%', maxUnavailable: '25%' } },
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
    },
    status: {},
  };
}

/** The nginx web container the Deployment scenarios use. */
export function nginx(image: string, readiness = true): ContainerSpec {
  return container({
    name: 'nginx',
    image,
    ports: [{ containerPort: 80, protocol: 'TCP' }],
    resources: { limits: { memory: '128Mi' }, requests: { cpu: '100m', memory: '64Mi' } },
    ...(readiness
      ? {
          readinessProbe: probe({
            httpGet: { path: '/', port: 80, scheme: 'HTTP' },
            initialDelaySeconds: 5,
            periodSeconds: 5,
          }),
        }
      : {}),
  });
}

/** A StatefulSet (OrderedReady, RollingUpdate, a 20Gi `data` claim template) as stored after defaulting. */
export function statefulSet(i: {
  namespace: string;
  name: string;
  replicas: number;
  containers: ContainerSpec[];
  serviceName: string;
  pod?: Partial<PodSpec>;
}): StatefulSet {
  const labels = { app: i.name };
  return {
    kind: 'StatefulSet',
    apiVersion: 'apps/v1',
    metadata: { name: i.name, namespace: i.namespace, creationTimestamp: null, labels },
    spec: {
      replicas: i.replicas,
      selector: { matchLabels: labels },
      template: podTemplate(labels, { ...i.pod, containers: i.containers }),
      volumeClaimTemplates: [
        {
          apiVersion: 'v1',
          kind: 'PersistentVolumeClaim',
          metadata: { name: 'data', creationTimestamp: null },
          spec: {
            accessModes: ['ReadWriteOnce'],
            resources: { requests: { storage: '20Gi' } },
            storageClassName: 'gp3',
            volumeMode: 'Filesystem',
          },
          status: { phase: 'Pending' },
        },
      ],
      serviceName: i.serviceName,
      podManagementPolicy: 'OrderedReady',
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
      revisionHistoryLimit: 10,
      persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
    },
    status: { replicas: 0, availableReplicas: 0 },
  };
}

/** A DaemonSet (RollingUpdate, maxUnavailable 1) as stored after defaulting. */
export function daemonSet(i: {
  namespace: string;
  name: string;
  containers: ContainerSpec[];
  pod?: Partial<PodSpec>;
}): DaemonSet {
  const labels = { app: i.name };
  return {
    kind: 'DaemonSet',
    apiVersion: 'apps/v1',
    metadata: {
      name: i.name,
      namespace: i.namespace,
      creationTimestamp: null,
      labels,
      annotations: { 'deprecated.daemonset.template.generation': '1' },
    },
    spec: {
      selector: { matchLabels: labels },
      template: podTemplate(labels, { ...i.pod, containers: i.containers }),
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 1 } },
      revisionHistoryLimit: 10,
    },
    status: { currentNumberScheduled: 0, numberMisscheduled: 0, desiredNumberScheduled: 0, numberReady: 0 },
  };
}

export type JobSpecInput = {
  backoffLimit: number;
  containers: ContainerSpec[];
  initContainers?: ContainerSpec[];
  restartPolicy: 'Never' | 'OnFailure';
  labels?: Record<string, string>;
};

function jobSpec(i: JobSpecInput): Job['spec'] {
  return {
    parallelism: 1,
    completions: 1,
    backoffLimit: i.backoffLimit,
    template: podTemplate(i.labels ?? {}, {
      ...(i.initContainers === undefined ? {} : { initContainers: i.initContainers }),
      containers: i.containers,
      restartPolicy: i.restartPolicy,
    }),
    completionMode: 'NonIndexed',
    suspend: false,
    podReplacementPolicy: 'TerminatingOrFailed',
  };
}

/** A NonIndexed Job with one completion, as stored after defaulting (selector added at admission). */
export function job(i: JobSpecInput & { namespace: string; name: string }): Job {
  return {
    kind: 'Job',
    apiVersion: 'batch/v1',
    metadata: { name: i.name, namespace: i.namespace, creationTimestamp: null },
    spec: jobSpec(i),
    status: {},
  };
}

/** A CronJob (Forbid concurrency, history 3/1) as stored after defaulting. */
export function cronJob(i: JobSpecInput & { namespace: string; name: string; schedule: string }): CronJob {
  return {
    kind: 'CronJob',
    apiVersion: 'batch/v1',
    metadata: { name: i.name, namespace: i.namespace, creationTimestamp: null },
    spec: {
      schedule: i.schedule,
      concurrencyPolicy: 'Forbid',
      suspend: false,
      jobTemplate: { metadata: { creationTimestamp: null }, spec: jobSpec(i) },
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 1,
    },
    status: {},
  };
}
