import type { AuditLevel, AuditObjectRef } from '../types.js';
import type { KObject, Pod } from './k8s-types.js';

/** Where a kind's writes land in a recording. */
export type Stream = 'watch' | 'events' | 'none';

export interface KindInfo {
  readonly kind: string;
  readonly apiVersion: string;
  readonly group: string;
  readonly resource: string;
  readonly namespaced: boolean;
  /** metadata.generation is maintained and bumped on spec changes. */
  readonly generation: boolean;
  /** Audit policy level for writes (DESIGN: RequestResponse for workloads, Metadata otherwise). */
  readonly auditLevel: AuditLevel;
  readonly stream: Stream;
  /** DELETE answers with the object (pods) rather than a Status. */
  readonly returnsDeletedObject: boolean;
}

function info(
  kind: string,
  apiVersion: string,
  resource: string,
  opts: Partial<Omit<KindInfo, 'kind' | 'apiVersion' | 'resource' | 'group'>> = {},
): KindInfo {
  const slash = apiVersion.indexOf('/');
  return {
    kind,
    apiVersion,
    group: slash < 0 ? '' : apiVersion.slice(0, slash),
    resource,
    namespaced: opts.namespaced ?? true,
    generation: opts.generation ?? true,
    auditLevel: opts.auditLevel ?? 'RequestResponse',
    stream: opts.stream ?? 'watch',
    returnsDeletedObject: opts.returnsDeletedObject ?? false,
  };
}

const KINDS: readonly KindInfo[] = [
  info('Pod', 'v1', 'pods', { generation: false, returnsDeletedObject: true }),
  info('Node', 'v1', 'nodes', { namespaced: false, generation: false }),
  info('Deployment', 'apps/v1', 'deployments'),
  info('ReplicaSet', 'apps/v1', 'replicasets'),
  info('StatefulSet', 'apps/v1', 'statefulsets'),
  info('DaemonSet', 'apps/v1', 'daemonsets'),
  info('ControllerRevision', 'apps/v1', 'controllerrevisions', {
    generation: false,
    auditLevel: 'Metadata',
    stream: 'none',
  }),
  info('Job', 'batch/v1', 'jobs'),
  info('CronJob', 'batch/v1', 'cronjobs'),
  info('Event', 'v1', 'events', { generation: false, auditLevel: 'Metadata', stream: 'events' }),
  info('Event', 'events.k8s.io/v1', 'events', { generation: false, auditLevel: 'Metadata', stream: 'events' }),
];

const BY_TYPE = new Map(KINDS.map((k) => [`${k.apiVersion}/${k.kind}`, k]));

/** Kind facts for `apiVersion`+`kind`. Throws for a kind the simulator does not know (a bug). */
export function kindOf(apiVersion: string, kind: string): KindInfo {
  const k = BY_TYPE.get(`${apiVersion}/${kind}`);
  if (k === undefined) throw new Error(`simulator does not know ${apiVersion} ${kind}`);
  return k;
}

/** `/apis/apps/v1/namespaces/shop/replicasets[/name[/sub]]` for a kind. */
export function resourcePath(k: KindInfo, namespace: string | undefined, name?: string, sub?: string): string {
  const root = k.group === '' ? `/api/${k.apiVersion}` : `/apis/${k.apiVersion}`;
  const ns = k.namespaced && namespace !== undefined ? `/namespaces/${namespace}` : '';
  const tail = name === undefined ? '' : `/${name}${sub === undefined ? '' : `/${sub}`}`;
  return `${root}${ns}/${k.resource}${tail}`;
}

/** Store key: group/resource/namespace/name. */
export function storeKey(k: KindInfo, namespace: string | undefined, name: string): string {
  return `${k.group}/${k.resource}/${namespace ?? ''}/${name}`;
}

/** The audit objectRef of a request: group and version split, name only when the client sent one. */
export function auditObjectRef(
  k: KindInfo,
  ns: string | undefined,
  name: string | undefined,
  sub?: string,
): AuditObjectRef {
  const version = k.group === '' ? k.apiVersion : k.apiVersion.slice(k.group.length + 1);
  return {
    resource: k.resource,
    ...(ns === undefined ? {} : { namespace: ns }),
    ...(name === undefined ? {} : { name }),
    ...(k.group === '' ? {} : { apiGroup: k.group }),
    apiVersion: version,
    ...(sub === undefined ? {} : { subresource: sub }),
  };
}

/**
 * The grace period a DELETE gets (registry/core/pod): only scheduled, non-terminal pods are
 * deleted gracefully — with the requested period or the pod's terminationGracePeriodSeconds.
 */
export function graceSeconds(obj: KObject, requested: number | undefined): number {
  if (obj.kind !== 'Pod') return 0;
  const pod = obj as Pod;
  if (pod.spec.nodeName === undefined || pod.status.phase === 'Succeeded' || pod.status.phase === 'Failed') return 0;
  return requested ?? pod.spec.terminationGracePeriodSeconds;
}
