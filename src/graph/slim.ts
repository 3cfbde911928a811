import { createHash } from 'node:crypto';
import { arr, bool, field, isObject, num, obj, parseTimeMs, str } from '../model/kube-json.js';
import type { JsonObject } from '../model/kube-json.js';
import { kindInfo } from '../model/object-ref.js';
import { type SpecWriter, latestSpecWriter } from '../model/managed-fields.js';
import type { SlimParts } from './slim-parts.js';

/** A condition as synth needs it. */
export interface SlimCondition {
  readonly status: string;
  readonly reason: string;
  readonly message: string;
  readonly lastTransitionMs: number | undefined;
}

export interface SlimContainer {
  readonly name: string;
  readonly image: string;
  readonly init: boolean;
}

export interface SlimContainerStatus {
  readonly name: string;
  readonly init: boolean;
  readonly ready: boolean;
  readonly restartCount: number;
  readonly state: 'waiting' | 'running' | 'terminated' | 'unknown';
  readonly reason: string;
  /**
   * The kubelet's message of a waiting container (`Back-off pulling image "nginx:9.9"`); empty
   * otherwise. A terminated container's message is its own termination log and is never kept.
   */
  readonly message: string;
  readonly startedMs: number | undefined;
  readonly finishedMs: number | undefined;
  readonly exitCode: number | undefined;
  /**
   * When the container's previous run (lastState.terminated) started: it ran before its present
   * state, a restart ago (a pod first seen crash-looping had started before).
   */
  readonly lastStartedMs: number | undefined;
}

export interface OwnerLink {
  readonly kind: string;
  readonly name: string;
  readonly uid: string;
}

/**
 * The slim projection of an object: what graph and synth need, never the full object, so memory
 * stays bounded in big clusters. Numbers are undefined when the object does not carry them.
 */
export interface SlimObject {
  readonly kind: string;
  readonly group: string;
  readonly resource: string;
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly resourceVersion: string;
  readonly generation?: number | undefined;
  readonly observedGeneration?: number | undefined;
  readonly controller: OwnerLink | undefined;
  readonly creationMs: number | undefined;
  readonly deletionMs?: number | undefined;
  readonly deletionGraceS?: number | undefined;
  /** Hash of spec.template (workloads): a change means a rollout, not a scale. */
  readonly templateHash?: string | undefined;
  readonly revision: string | undefined;
  readonly specReplicas?: number | undefined;
  /** Selected status counters by their Kubernetes names (replicas, readyReplicas, …). */
  readonly counts: Readonly<Record<string, number>>;
  readonly currentRevision?: string | undefined;
  readonly updateRevision?: string | undefined;
  /** The conditions of the types some rule reads (READ_CONDITIONS), by type. */
  readonly conditions: Readonly<Record<string, SlimCondition>>;
  // Pods.
  readonly nodeName: string | undefined;
  readonly phase: string | undefined;
  readonly containers: readonly SlimContainer[];
  readonly containerStatuses: readonly SlimContainerStatus[];
  /**
   * Workloads: who last wrote the spec and when, from managedFields (the initiator of a rollout
   * or scale when no audit shows it). Only the latest entry, never the list: one small object per
   * workload, nothing for pods.
   */
  readonly specWriter?: SpecWriter | undefined;
}

const STATUS_COUNTS = [
  'replicas',
  'readyReplicas',
  'availableReplicas',
  'updatedReplicas',
  'unavailableReplicas',
  'currentReplicas',
  'currentNumberScheduled',
  'desiredNumberScheduled',
  'numberReady',
  'numberAvailable',
  'numberUnavailable',
  'updatedNumberScheduled',
  'numberMisscheduled',
  'active',
  'succeeded',
  'failed',
] as const;

/**
 * Condition types synth reads: a pod's Ready and PodScheduled, a workload's Progressing and
 * Available, a Job's Complete and Failed, a Node's health. Every pod also carries Initialized,
 * ContainersReady and PodReadyToStartContainers, which no rule reads: keeping them cost ~230
 * retained bytes per pod (issue 16). A rule that needs another type adds it here.
 */
export const READ_CONDITIONS: ReadonlySet<string> = new Set([
  'Ready',
  'PodScheduled',
  'Progressing',
  'Available',
  'Complete',
  'Failed',
  'MemoryPressure',
  'DiskPressure',
  'PIDPressure',
  'NetworkUnavailable',
]);

const TEMPLATE_KINDS: ReadonlySet<string> = new Set(['Deployment', 'ReplicaSet', 'StatefulSet', 'DaemonSet', 'Job']);

// Shared empties: most objects have no status counts, only pods have containers.
const NO_COUNTS: Readonly<Record<string, number>> = Object.freeze({});
const NO_CONTAINERS: readonly SlimContainer[] = Object.freeze([]);
const NO_CONTAINER_STATUSES: readonly SlimContainerStatus[] = Object.freeze([]);
const NO_CONDITIONS: Readonly<Record<string, SlimCondition>> = Object.freeze({});

/**
 * Projects a full object onto its slim form. Missing fields become undefined/empty; never throws.
 * The caller guarantees `metadata.name` and `kind` exist (the sources check both). With `parts`,
 * the controller link, container list and a pod's short repeated texts (namespace, node, phase,
 * condition and container reasons) are shared with equal ones of other objects (frozen).
 */
export function slimOf(object: JsonObject, parts?: SlimParts): SlimObject {
  const kind = str(object, 'kind') ?? '';
  return kind === 'Pod' ? podSlimOf(object, parts) : workloadSlimOf(object, kind, parts);
}

function workloadSlimOf(object: JsonObject, kind: string, parts: SlimParts | undefined): SlimObject {
  const info = kindInfo(kind, str(object, 'apiVersion'));
  const template = field(object, 'spec', 'template');
  return {
    kind,
    group: info.group,
    resource: info.resource,
    namespace: str(object, 'metadata', 'namespace') ?? '',
    name: str(object, 'metadata', 'name') ?? '',
    uid: str(object, 'metadata', 'uid') ?? '',
    resourceVersion: str(object, 'metadata', 'resourceVersion') ?? '',
    generation: num(object, 'metadata', 'generation'),
    observedGeneration: num(object, 'status', 'observedGeneration'),
    controller: shareLink(controllerOf(object), parts),
    creationMs: parseTimeMs(field(object, 'metadata', 'creationTimestamp')),
    deletionMs: parseTimeMs(field(object, 'metadata', 'deletionTimestamp')),
    deletionGraceS: num(object, 'metadata', 'deletionGracePeriodSeconds'),
    templateHash: TEMPLATE_KINDS.has(kind) && isObject(template) ? templateHashOf(template, parts) : undefined,
    revision: revisionOf(object),
    specReplicas: num(object, 'spec', 'replicas'),
    counts: countsOf(object),
    currentRevision: str(object, 'status', 'currentRevision'),
    updateRevision: str(object, 'status', 'updateRevision'),
    conditions: conditionsOf(object, parts),
    nodeName: str(object, 'spec', 'nodeName'),
    phase: str(object, 'status', 'phase'),
    containers: NO_CONTAINERS,
    containerStatuses: NO_CONTAINER_STATUSES,
    specWriter: TEMPLATE_KINDS.has(kind) ? latestSpecWriter(object) : undefined,
  };
}

/**
 * A pod's slim object holds only the fields a pod fills, in one shape for every settled pod:
 * the workload fields (template hash, replicas, revisions, spec writer), always undefined for a
 * pod, are left out — 8 bytes each per pod (issue 16) — and reading one gives undefined as
 * before. Deletion fields and observedGeneration are added only to the pod that has them.
 */
function podSlimOf(object: JsonObject, parts: SlimParts | undefined): SlimObject {
  const pod: Mutable<SlimObject> = {
    kind: 'Pod',
    group: POD.group,
    resource: POD.resource,
    namespace: shareText(str(object, 'metadata', 'namespace') ?? '', parts),
    name: str(object, 'metadata', 'name') ?? '',
    uid: str(object, 'metadata', 'uid') ?? '',
    resourceVersion: str(object, 'metadata', 'resourceVersion') ?? '',
    generation: num(object, 'metadata', 'generation'),
    controller: shareLink(controllerOf(object), parts),
    creationMs: parseTimeMs(field(object, 'metadata', 'creationTimestamp')),
    revision: revisionOf(object),
    counts: NO_COUNTS,
    conditions: podConditionsOf(object, parts),
    nodeName: shareText(str(object, 'spec', 'nodeName'), parts),
    phase: shareText(str(object, 'status', 'phase'), parts),
    containers: shareContainers(containersOf(object), parts),
    containerStatuses: containerStatusesOf(object, parts),
  };
  // Set only while the pod is being deleted (or in the rare status that carries it), so a
  // settled pod does not hold them.
  const deletionMs = parseTimeMs(field(object, 'metadata', 'deletionTimestamp'));
  if (deletionMs !== undefined) pod.deletionMs = deletionMs;
  const deletionGraceS = num(object, 'metadata', 'deletionGracePeriodSeconds');
  if (deletionGraceS !== undefined) pod.deletionGraceS = deletionGraceS;
  const observedGeneration = num(object, 'status', 'observedGeneration');
  if (observedGeneration !== undefined) pod.observedGeneration = observedGeneration;
  return pod;
}

const POD = kindInfo('Pod');

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function revisionOf(object: JsonObject): string | undefined {
  return (
    str(object, 'metadata', 'annotations', 'deployment.kubernetes.io/revision') ??
    str(object, 'metadata', 'labels', 'controller-revision-hash')
  );
}

function shareContainers(list: SlimContainer[], parts: SlimParts | undefined): readonly SlimContainer[] {
  return parts === undefined ? list : parts.containers(list);
}

function shareText<T extends string | undefined>(text: T, parts: SlimParts | undefined): T {
  return text === undefined || parts === undefined ? text : (parts.text(text) as T);
}

function shareLink(link: OwnerLink | undefined, parts: SlimParts | undefined): OwnerLink | undefined {
  return link === undefined || parts === undefined ? link : parts.link(link);
}

function controllerOf(object: JsonObject): OwnerLink | undefined {
  for (const ref of arr(object, 'metadata', 'ownerReferences')) {
    if (bool(ref, 'controller') !== true) continue;
    const uid = str(ref, 'uid');
    if (uid === undefined) continue;
    return { kind: str(ref, 'kind') ?? '', name: str(ref, 'name') ?? '', uid };
  }
  return undefined;
}

function countsOf(object: JsonObject): Readonly<Record<string, number>> {
  const status = obj(object, 'status');
  if (status === undefined) return NO_COUNTS;
  let out: Record<string, number> | undefined;
  for (const key of STATUS_COUNTS) {
    const v = num(status, key);
    if (v !== undefined) (out ??= {})[key] = v;
  }
  return out ?? NO_COUNTS;
}

function conditionsOf(object: JsonObject, parts: SlimParts | undefined): Readonly<Record<string, SlimCondition>> {
  let out: Record<string, SlimCondition> | undefined;
  for (const c of arr(object, 'status', 'conditions')) {
    const type = str(c, 'type');
    if (type === undefined || !READ_CONDITIONS.has(type)) continue;
    (out ??= {})[type] = slimCondition(c, parts);
  }
  return out ?? NO_CONDITIONS;
}

function slimCondition(c: unknown, parts: SlimParts | undefined): SlimCondition {
  return {
    status: shareText(str(c, 'status') ?? 'Unknown', parts),
    reason: shareText(str(c, 'reason') ?? '', parts),
    message: shareText(str(c, 'message') ?? '', parts),
    lastTransitionMs: parseTimeMs(field(c, 'lastTransitionTime')),
  };
}

/**
 * A pod's read conditions as an object literal of exactly their count: the generic loop's `{}`
 * reserves four property slots (and a growing map) for the two a pod has, ~40 bytes per pod.
 */
function podConditionsOf(object: JsonObject, parts: SlimParts | undefined): Readonly<Record<string, SlimCondition>> {
  let ready: SlimCondition | undefined;
  let scheduled: SlimCondition | undefined;
  for (const c of arr(object, 'status', 'conditions')) {
    const type = str(c, 'type');
    if (type === 'Ready') ready = slimCondition(c, parts);
    else if (type === 'PodScheduled') scheduled = slimCondition(c, parts);
    else if (type !== undefined && READ_CONDITIONS.has(type)) return conditionsOf(object, parts);
  }
  if (ready !== undefined)
    return scheduled !== undefined ? { Ready: ready, PodScheduled: scheduled } : { Ready: ready };
  return scheduled !== undefined ? { PodScheduled: scheduled } : NO_CONDITIONS;
}

function containersOf(object: JsonObject): SlimContainer[] {
  const out: SlimContainer[] = [];
  for (const [key, init] of [
    ['initContainers', true],
    ['containers', false],
  ] as const) {
    for (const c of arr(object, 'spec', key)) {
      out.push({ name: str(c, 'name') ?? '', image: str(c, 'image') ?? '', init });
    }
  }
  return out;
}

// Built by map/concat, which size the array exactly: a pushed-to array reserves 17 slots, 136
// bytes per pod kept for nothing.
function containerStatusesOf(object: JsonObject, parts: SlimParts | undefined): readonly SlimContainerStatus[] {
  const init = arr(object, 'status', 'initContainerStatuses');
  const main = arr(object, 'status', 'containerStatuses');
  if (init.length === 0 && main.length === 0) return NO_CONTAINER_STATUSES;
  const mains = main.map((cs) => containerStatusOf(cs, false, parts));
  return init.length === 0 ? mains : init.map((cs) => containerStatusOf(cs, true, parts)).concat(mains);
}

function containerStatusOf(cs: unknown, init: boolean, parts: SlimParts | undefined): SlimContainerStatus {
  const state = obj(cs, 'state') ?? {};
  const which = isObject(state['running'])
    ? 'running'
    : isObject(state['terminated'])
      ? 'terminated'
      : isObject(state['waiting'])
        ? 'waiting'
        : 'unknown';
  const detail = which === 'unknown' ? undefined : obj(state, which);
  return {
    name: shareText(str(cs, 'name') ?? '', parts),
    init,
    ready: bool(cs, 'ready') ?? false,
    restartCount: num(cs, 'restartCount') ?? 0,
    state: which,
    reason: shareText(str(detail, 'reason') ?? '', parts),
    message: which === 'waiting' ? shareText(str(detail, 'message') ?? '', parts) : '',
    startedMs: parseTimeMs(field(detail, 'startedAt')),
    finishedMs: parseTimeMs(field(detail, 'finishedAt')),
    exitCode: num(detail, 'exitCode'),
    lastStartedMs: parseTimeMs(field(cs, 'lastState', 'terminated', 'startedAt')),
  };
}

function templateHashOf(template: JsonObject, parts: SlimParts | undefined): string {
  return parts === undefined ? hashTemplate(template) : parts.templateHash(template, hashTemplate);
}

function hashTemplate(template: JsonObject): string {
  // pod-template-hash and controller-revision-hash labels are stamped by controllers into RS/pod
  // templates; they must not make an RS look like it had a template change.
  return createHash('sha256').update(canonicalJson(template, true)).digest('hex').slice(0, 16);
}

const CONTROLLER_LABELS: ReadonlySet<string> = new Set(['pod-template-hash', 'controller-revision-hash']);

function canonicalJson(value: unknown, top = false): string {
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v)).join(',')}]`;
  if (!isObject(value)) return JSON.stringify(value) ?? 'null';
  const keys = Object.keys(value).sort();
  const parts: string[] = [];
  for (const k of keys) {
    let v = value[k];
    if (top && k === 'metadata' && isObject(v)) v = withoutControllerLabels(v);
    parts.push(`${JSON.stringify(k)}:${canonicalJson(v)}`);
  }
  return `{${parts.join(',')}}`;
}

function withoutControllerLabels(metadata: JsonObject): JsonObject {
  const labels = obj(metadata, 'labels');
  if (labels === undefined) return metadata;
  const kept: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(labels)) if (!CONTROLLER_LABELS.has(k)) kept[k] = v;
  return { ...metadata, labels: kept };
}
