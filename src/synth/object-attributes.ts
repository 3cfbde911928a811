import type { SlimObject } from '../graph/slim.js';
import { ATTR } from '../model/attributes.js';
import type { AttrValue } from '../model/span.js';

// Semconv has name/uid keys for these kinds; other kinds use kubestitch.object.*.
const SEMCONV_KEYS: Readonly<Record<string, readonly [string, string]>> = {
  Pod: [ATTR.podName, ATTR.podUid],
  ReplicaSet: [ATTR.replicasetName, ATTR.replicasetUid],
  Deployment: [ATTR.deploymentName, ATTR.deploymentUid],
  StatefulSet: [ATTR.statefulsetName, ATTR.statefulsetUid],
  DaemonSet: [ATTR.daemonsetName, ATTR.daemonsetUid],
  Job: [ATTR.jobName, ATTR.jobUid],
  CronJob: [ATTR.cronjobName, ATTR.cronjobUid],
  Node: [ATTR.nodeName, ATTR.nodeUid],
};

/**
 * The semconv `k8s.*` attributes of an object and of its controller chain (a pod also gets
 * k8s.replicaset.* and k8s.deployment.*), plus kubestitch.object.* naming the object itself.
 */
export function objectAttributes(slim: SlimObject, owners: readonly SlimObject[]): Record<string, AttrValue> {
  const out: Record<string, AttrValue> = {};
  for (const o of [...owners].reverse()) addSemconv(out, o);
  addSemconv(out, slim);
  if (slim.namespace !== '') out[ATTR.namespaceName] = slim.namespace;
  out[ATTR.objectKind] = slim.kind;
  out[ATTR.objectName] = slim.name;
  if (!slim.uid.startsWith('name:')) out[ATTR.objectUid] = slim.uid;
  if (slim.group !== '') out[ATTR.objectGroup] = slim.group;
  return out;
}

function addSemconv(out: Record<string, AttrValue>, o: SlimObject): void {
  const keys = SEMCONV_KEYS[o.kind];
  if (keys === undefined) return;
  out[keys[0]] = o.name;
  if (!o.uid.startsWith('name:')) out[keys[1]] = o.uid;
}
