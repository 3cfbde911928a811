import { ATTR } from '../model/attributes.js';
import type { AuditEntry } from '../model/records.js';
import type { Attributes } from '../model/span.js';
import { SCHEDULER_ACTOR, controllerActor, kubeletActor } from './actors.js';

const SA_PREFIX = 'system:serviceaccount:kube-system:';
// kube-controller-manager service accounts whose names do not end in "-controller".
const KCM_ACCOUNTS: ReadonlySet<string> = new Set([
  'generic-garbage-collector',
  'horizontal-pod-autoscaler',
  'resourcequota-controller',
  'pvc-protection-controller',
  'pv-protection-controller',
  'attachdetach-controller',
  'root-ca-cert-publisher',
  'ttl-after-finished-controller',
]);

/**
 * The actor of an audited request (DESIGN §3.3) as resource attributes: kube-scheduler;
 * kube-controller-manager with kubestitch.controller.name (from the service account, or the user-agent
 * suffix when it runs with its own credentials); kubelet with k8s.node.name; otherwise the client
 * named by its user agent (kubectl, helm, …). Impersonation: the impersonated user is the actor.
 */
export function auditActor(entry: AuditEntry): Attributes {
  const user = entry.impersonatedUser ?? entry.user;
  if (user === 'system:kube-scheduler') return SCHEDULER_ACTOR;
  if (user.startsWith('system:node:')) return kubeletActor(user.slice('system:node:'.length));
  if (user.startsWith(SA_PREFIX)) {
    const account = user.slice(SA_PREFIX.length);
    if (account.endsWith('-controller') || KCM_ACCOUNTS.has(account)) return controllerActor(account);
  }
  if (user === 'system:kube-controller-manager') {
    return controllerActor(userAgentSuffixController(entry.userAgent) ?? 'kube-controller-manager');
  }
  const agent = clientName(entry.userAgent);
  return { [ATTR.serviceName]: agent !== UNKNOWN_CLIENT ? agent : (identityName(user) ?? UNKNOWN_CLIENT) };
}

/**
 * Who sent a request without a user agent (Metadata-level logs, some managed providers), by
 * identity: `system:apiserver` is kube-apiserver, a service account is the operator or controller
 * running as it (its name), `system:kube-proxy` is kube-proxy, a user is their user name.
 */
export function identityName(user: string): string | undefined {
  if (user === '' || user === 'system:anonymous') return undefined;
  if (user === 'system:apiserver') return 'kube-apiserver';
  if (user.startsWith('system:serviceaccount:')) return user.slice(user.lastIndexOf(':') + 1) || undefined;
  if (user.startsWith('system:') && !user.slice('system:'.length).includes(':')) return user.slice('system:'.length);
  return user;
}

/** `kube-controller-manager/v1.31.2 (linux/amd64) kubernetes/5864a46/system:serviceaccount:kube-system:replicaset-controller` → replicaset-controller. */
function userAgentSuffixController(userAgent: string): string | undefined {
  const tail = userAgent.slice(userAgent.lastIndexOf('/') + 1);
  if (tail === '' || !userAgent.startsWith('kube-controller-manager/')) return undefined;
  const name = tail.startsWith(SA_PREFIX.slice(0, -1)) ? tail.slice(tail.lastIndexOf(':') + 1) : tail;
  return /^[a-z0-9-]+$/.test(name) && name !== 'kube-controller-manager' ? name : undefined;
}

/** `kubectl/v1.31.2 (linux/amd64) kubernetes/5864a46` → kubectl; an empty agent → unknown-client. */
export function clientName(userAgent: string): string {
  const first = userAgent.split(/[/ ]/, 1)[0] ?? '';
  return first === '' ? UNKNOWN_CLIENT : first.toLowerCase();
}

const UNKNOWN_CLIENT = 'unknown-client';
