import type { ContainerSpec, ObjectMeta, Pod, PodSpec, PodTemplate, Toleration } from '../engine/k8s-types.js';
import { orderKeys, POD_SPEC_ORDER } from '../engine/json-order.js';
import type { Rng } from '../engine/rng.js';

/** The pod a controller POSTs for `template` (what client-go's GetPodFromTemplate builds). */
export function podFromTemplate(template: PodTemplate, meta: ObjectMeta): Pod {
  return {
    kind: 'Pod',
    apiVersion: 'v1',
    metadata: { ...meta, creationTimestamp: null, labels: { ...template.metadata.labels, ...meta.labels } },
    spec: template.spec,
    status: {} as Pod['status'],
  };
}

const SA_MOUNT = '/var/run/secrets/kubernetes.io/serviceaccount';

const DEFAULT_TOLERATIONS: readonly Toleration[] = [
  { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
  { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
];

/**
 * What the apiserver stores for a pod create: ServiceAccount admission (projected token volume and
 * mounts), DefaultTolerationSeconds, priority defaults, Pending status with the QoS class.
 */
export function admitPod(req: Pod, rng: Rng): Pod {
  const spec = req.spec;
  const volume = `kube-api-access-${rng.nameSuffix()}`;
  const mount = { name: volume, readOnly: true, mountPath: SA_MOUNT };
  const withMount = (c: ContainerSpec): ContainerSpec =>
    orderContainer({ ...c, volumeMounts: [...(c.volumeMounts ?? []), mount] });
  const tolerations = [...(spec.tolerations ?? [])];
  for (const t of DEFAULT_TOLERATIONS)
    if (!tolerations.some((x) => x.key === t.key && x.effect === t.effect)) tolerations.push(t);
  const admitted: PodSpec = {
    ...spec,
    volumes: [...(spec.volumes ?? []), projectedTokenVolume(volume)],
    ...(spec.initContainers === undefined ? {} : { initContainers: spec.initContainers.map(withMount) }),
    containers: spec.containers.map(withMount),
    serviceAccountName: spec.serviceAccountName ?? 'default',
    serviceAccount: spec.serviceAccountName ?? 'default',
    tolerations,
    priority: 0,
    enableServiceLinks: true,
    preemptionPolicy: 'PreemptLowerPriority',
  };
  return {
    ...req,
    spec: orderKeys(admitted, POD_SPEC_ORDER),
    status: { phase: 'Pending', qosClass: qosClass(spec) },
  };
}

function projectedTokenVolume(name: string): Record<string, unknown> {
  return {
    name,
    projected: {
      sources: [
        { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
        { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
        {
          downwardAPI: {
            items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }],
          },
        },
      ],
      defaultMode: 420,
    },
  };
}

/** Guaranteed / Burstable / BestEffort from requests and limits. */
export function qosClass(spec: PodSpec): string {
  const all = [...(spec.initContainers ?? []), ...spec.containers];
  const any = all.some(
    (c) => Object.keys(c.resources.requests ?? {}).length + Object.keys(c.resources.limits ?? {}).length > 0,
  );
  if (!any) return 'BestEffort';
  const guaranteed = all.every((c) => {
    const l = c.resources.limits ?? {};
    const r = c.resources.requests ?? l;
    return l['cpu'] !== undefined && l['memory'] !== undefined && r['cpu'] === l['cpu'] && r['memory'] === l['memory'];
  });
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

const CONTAINER_ORDER = [
  'name',
  'image',
  'command',
  'args',
  'ports',
  'env',
  'resources',
  'volumeMounts',
  'readinessProbe',
  'terminationMessagePath',
  'terminationMessagePolicy',
  'imagePullPolicy',
  'securityContext',
] as const;

/** A container spec with its keys in Go struct order. */
export function orderContainer(c: ContainerSpec): ContainerSpec {
  return orderKeys(c, CONTAINER_ORDER);
}

/** A container spec with the defaults the apiserver fills in. */
export function container(
  c: Omit<ContainerSpec, 'terminationMessagePath' | 'terminationMessagePolicy' | 'imagePullPolicy'> & {
    imagePullPolicy?: string;
  },
): ContainerSpec {
  return orderContainer({
    terminationMessagePath: '/dev/termination-log',
    terminationMessagePolicy: 'File',
    imagePullPolicy: c.image.endsWith(':latest') ? 'Always' : 'IfNotPresent',
    ...c,
  });
}

/** A pod template with PodSpec defaults (as stored in a Deployment/Job/… after defaulting). */
export function podTemplate(
  labels: Record<string, string>,
  spec: Partial<PodSpec> & Pick<PodSpec, 'containers'>,
  annotations?: Record<string, string>,
): PodTemplate {
  return {
    metadata: { creationTimestamp: null, labels, ...(annotations === undefined ? {} : { annotations }) },
    spec: orderKeys(
      {
        restartPolicy: 'Always',
        terminationGracePeriodSeconds: 30,
        dnsPolicy: 'ClusterFirst',
        securityContext: {},
        schedulerName: 'default-scheduler',
        ...spec,
      },
      POD_SPEC_ORDER,
    ),
  };
}
