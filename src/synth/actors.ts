import { ATTR } from '../model/attributes.js';
import type { KubeEvent } from '../model/records.js';
import type { Attributes } from '../model/span.js';

/** Resource attributes of a kube-controller-manager controller (DESIGN §3.3). */
export function controllerActor(controller: string): Attributes {
  return { [ATTR.serviceName]: 'kube-controller-manager', [ATTR.controllerName]: controller };
}

export const SCHEDULER_ACTOR: Attributes = { [ATTR.serviceName]: 'kube-scheduler' };

/** Synthesized spans with no single actor (activity windows of objects nobody owns). */
export const KUBESTITCH_ACTOR: Attributes = { [ATTR.serviceName]: 'kubestitch' };

export function kubeletActor(nodeName: string | undefined): Attributes {
  return nodeName === undefined || nodeName === ''
    ? { [ATTR.serviceName]: 'kubelet' }
    : { [ATTR.serviceName]: 'kubelet', [ATTR.nodeName]: nodeName };
}

// Event reporters that are kube-controller-manager controllers but whose names do not say so.
const KCM_REPORTERS: ReadonlySet<string> = new Set([
  'node-controller',
  'endpoint-controller',
  'endpoint-slice-controller',
  'garbage-collector',
  'attachdetach-controller',
  'persistentvolume-controller',
  'taint-eviction-controller',
  'disruption-controller',
  'horizontal-pod-autoscaler',
  'cronjob-controller',
  'job-controller',
  'statefulset-controller',
  'daemonset-controller',
  'deployment-controller',
  'replicaset-controller',
]);

/**
 * The actor that reported an Event: default-scheduler → kube-scheduler; kubelet → kubelet with
 * the node; kube-controller-manager controllers → kube-controller-manager with
 * kubestitch.controller.name; anything else → its reporting controller as the service name.
 */
export function eventActor(event: KubeEvent): Attributes {
  const reporter = event.reportingController;
  if (reporter === 'default-scheduler' || reporter.endsWith('-scheduler')) return SCHEDULER_ACTOR;
  if (reporter === 'kubelet') return kubeletActor(event.reportingInstance);
  if (KCM_REPORTERS.has(reporter)) return controllerActor(reporter);
  if (reporter === '') return KUBESTITCH_ACTOR;
  return { [ATTR.serviceName]: reporter };
}
