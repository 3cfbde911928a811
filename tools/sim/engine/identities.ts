import type { Rng } from './rng.js';

const VERSION = 'v1.31.2';
const BUILD = `(linux/amd64) kubernetes/5864a46`;

/** Who sends a request: the fields that land in `user`, `userAgent`, `sourceIPs` and authz annotations. */
export interface Actor {
  readonly username: string;
  readonly uid?: string;
  readonly groups: readonly string[];
  readonly extra?: Readonly<Record<string, readonly string[]>>;
  readonly userAgent: string;
  readonly sourceIp: string;
  /** `authorization.k8s.io/reason`; '' for system:masters and the Node authorizer. */
  readonly authzReason: string;
}

export const CONTROL_PLANE_IP = '10.0.0.10';
export const CONTROL_PLANE_HOST = 'cp-1';
const ADMIN_IP = '10.20.4.17';

export type ControllerName =
  | 'deployment-controller'
  | 'replicaset-controller'
  | 'job-controller'
  | 'cronjob-controller'
  | 'statefulset-controller'
  | 'daemon-set-controller'
  | 'node-controller'
  | 'generic-garbage-collector';

/** kube-controller-manager with --use-service-account-credentials: one service account per controller. */
export function controllerActor(name: ControllerName, rng: Rng): Actor {
  const sa = `system:serviceaccount:kube-system:${name}`;
  return {
    username: sa,
    uid: rng.uuid(),
    groups: ['system:serviceaccounts', 'system:serviceaccounts:kube-system', 'system:authenticated'],
    extra: { 'authentication.kubernetes.io/credential-id': [`JTI=${rng.uuid()}`] },
    userAgent: `kube-controller-manager/${VERSION} ${BUILD}/${sa}`,
    sourceIp: CONTROL_PLANE_IP,
    authzReason: `RBAC: allowed by ClusterRoleBinding "system:controller:${name}" of ClusterRole "system:controller:${name}" to ServiceAccount "${name}/kube-system"`,
  };
}

/** kube-scheduler with its client certificate. */
export function schedulerActor(rng: Rng): Actor {
  return {
    username: 'system:kube-scheduler',
    groups: ['system:authenticated'],
    extra: { 'authentication.kubernetes.io/credential-id': [`X509SHA256=${rng.hex(64)}`] },
    userAgent: `kube-scheduler/${VERSION} ${BUILD}/scheduler`,
    sourceIp: CONTROL_PLANE_IP,
    authzReason:
      'RBAC: allowed by ClusterRoleBinding "system:kube-scheduler" of ClusterRole "system:kube-scheduler" to User "system:kube-scheduler"',
  };
}

/** A kubelet with its node client certificate, calling from the node's address. */
export function kubeletActor(nodeName: string, nodeIp: string, rng: Rng): Actor {
  return {
    username: `system:node:${nodeName}`,
    groups: ['system:nodes', 'system:authenticated'],
    extra: { 'authentication.kubernetes.io/credential-id': [`X509SHA256=${rng.hex(64)}`] },
    userAgent: `kubelet/${VERSION} ${BUILD}`,
    sourceIp: nodeIp,
    authzReason: '',
  };
}

/** The cluster admin (kubeconfig user in system:masters) running kubectl. */
export function kubectlActor(): Actor {
  return {
    username: 'kubernetes-admin',
    groups: ['system:masters', 'system:authenticated'],
    userAgent: `kubectl/${VERSION} ${BUILD}`,
    sourceIp: ADMIN_IP,
    authzReason: '',
  };
}

export const KUBE_VERSION = VERSION;
