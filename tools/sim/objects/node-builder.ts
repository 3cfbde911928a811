import type { Node, NodeCondition } from '../engine/k8s-types.js';
import { KUBE_VERSION } from '../engine/identities.js';
import type { Rng } from '../engine/rng.js';
import { rfc3339Seconds } from '../engine/time-format.js';
import { imageInfo } from './images.js';

export interface NodeFacts {
  readonly name: string;
  readonly ip: string;
  readonly podCidr: string;
  readonly zone: string;
  readonly cpu: number;
}

const HEALTHY: readonly (readonly [string, 'True' | 'False', string, string])[] = [
  ['MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'],
  ['DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'],
  ['PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'],
  ['Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'],
];

/** The four node conditions as a healthy kubelet reports them. */
export function healthyConditions(heartbeatUs: number, transitionUs: number): NodeCondition[] {
  return HEALTHY.map(([type, status, reason, message]) => ({
    type,
    status,
    lastHeartbeatTime: rfc3339Seconds(heartbeatUs),
    lastTransitionTime: rfc3339Seconds(transitionUs),
    reason,
    message,
  }));
}

/**
 * The conditions of a freshly registered node: first the runtime check has not run yet, then
 * (`cniPending`) the CNI plugin is not initialized.
 */
export function registeringConditions(atUs: number, cniPending = true): NodeCondition[] {
  const conds = healthyConditions(atUs, atUs);
  const ready = conds[3];
  if (ready !== undefined) {
    ready.status = 'False';
    ready.reason = 'KubeletNotReady';
    ready.message = cniPending
      ? 'container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized'
      : 'container runtime status check may not have completed yet';
  }
  return conds;
}

/** `names`/`sizeBytes` entries of node.status.images. */
export function nodeImageEntries(refs: readonly string[]): { names: string[]; sizeBytes: number }[] {
  const pause = {
    names: [
      'registry.k8s.io/pause@sha256:ee6521f290b2168b6e0935a181d4cff9be1ac3f505666ef0e3c98fae8199917a',
      'registry.k8s.io/pause:3.10',
    ],
    sizeBytes: 320_368,
  };
  const entries = refs.map((r) => {
    const i = imageInfo(r);
    return { names: [i.imageId, i.qualified], sizeBytes: i.sizeBytes };
  });
  return [...entries.sort((a, b) => b.sizeBytes - a.sizeBytes), pause];
}

/**
 * A kubeadm-joined worker on EC2 as `kubectl get node -o json` shows it. `registered` is when it
 * joined; `ready` false gives the state right after registration (not-ready taint, CNI pending).
 */
export function buildNode(f: NodeFacts, rng: Rng, registeredUs: number, ready: boolean): Node {
  const region = f.zone.slice(0, -1);
  const memKi = 16_203_368;
  return {
    kind: 'Node',
    apiVersion: 'v1',
    metadata: {
      name: f.name,
      creationTimestamp: null,
      labels: {
        'beta.kubernetes.io/arch': 'amd64',
        'beta.kubernetes.io/instance-type': 'm6i.xlarge',
        'beta.kubernetes.io/os': 'linux',
        'failure-domain.beta.kubernetes.io/region': region,
        'failure-domain.beta.kubernetes.io/zone': f.zone,
        'kubernetes.io/arch': 'amd64',
        'kubernetes.io/hostname': f.name,
        'kubernetes.io/os': 'linux',
        'node.kubernetes.io/instance-type': 'm6i.xlarge',
        'topology.kubernetes.io/region': region,
        'topology.kubernetes.io/zone': f.zone,
      },
      annotations: {
        'kubeadm.alpha.kubernetes.io/cri-socket': 'unix:///var/run/containerd/containerd.sock',
        'node.alpha.kubernetes.io/ttl': '0',
        'volumes.kubernetes.io/controller-managed-attach-detach': 'true',
      },
    },
    spec: {
      ...(ready ? { podCIDR: f.podCidr, podCIDRs: [f.podCidr] } : {}),
      providerID: `aws:///${f.zone}/i-0${rng.hex(16)}`,
      ...(ready ? {} : { taints: [{ key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' }] }),
    },
    status: {
      capacity: {
        cpu: String(f.cpu),
        'ephemeral-storage': '101430960Ki',
        'hugepages-1Gi': '0',
        'hugepages-2Mi': '0',
        memory: `${memKi}Ki`,
        pods: '110',
      },
      allocatable: {
        cpu: String(f.cpu),
        'ephemeral-storage': '93478772582',
        'hugepages-1Gi': '0',
        'hugepages-2Mi': '0',
        memory: `${memKi - 102_400}Ki`,
        pods: '110',
      },
      conditions: ready ? healthyConditions(registeredUs, registeredUs) : registeringConditions(registeredUs, false),
      addresses: [
        { type: 'InternalIP', address: f.ip },
        { type: 'Hostname', address: f.name },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        machineID: rng.hex(32),
        systemUUID: `ec2${rng.hex(5)}-${rng.hex(4)}-${rng.hex(4)}-${rng.hex(4)}-${rng.hex(12)}`,
        bootID: rng.uuid(),
        kernelVersion: '6.8.0-1021-aws',
        osImage: 'Ubuntu 24.04.1 LTS',
        containerRuntimeVersion: 'containerd://1.7.22',
        kubeletVersion: KUBE_VERSION,
        kubeProxyVersion: KUBE_VERSION,
        operatingSystem: 'linux',
        architecture: 'amd64',
      },
      images: nodeImageEntries([]),
      runtimeHandlers: [
        { name: 'runc', features: { recursiveReadOnlyMounts: true, userNamespaces: true } },
        { name: '', features: { recursiveReadOnlyMounts: true, userNamespaces: true } },
      ],
    },
  };
}
