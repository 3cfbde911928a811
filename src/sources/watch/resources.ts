import { KubeApiError } from './kube-http.js';
import type { KubeHttp } from './kube-http.js';

/** A resource an informer lists and watches. */
export interface WatchedResource {
  /** '' for the core group. */
  readonly group: string;
  readonly version: string;
  /** Plural resource name, e.g. `replicasets`. */
  readonly resource: string;
  readonly kind: string;
  readonly namespaced: boolean;
  /**
   * Ask for PartialObjectMetadata only: for kinds where synth needs nothing but metadata
   * (ownership, labels, lifecycle), it saves the apiserver and us most of the bytes.
   */
  readonly metadataOnly: boolean;
}

/** `replicasets.v1.apps` — the name used in logs, health reports, metrics and checkpoints. */
export function resourceId(r: Pick<WatchedResource, 'group' | 'version' | 'resource'>): string {
  return r.group === '' ? `${r.resource}.${r.version}` : `${r.resource}.${r.version}.${r.group}`;
}

/**
 * The collection path, cluster-wide (`/api/v1/pods`, `/apis/apps/v1/replicasets`) or of one
 * namespace (`/api/v1/namespaces/shop/pods`).
 */
export function collectionPath(r: Pick<WatchedResource, 'group' | 'version' | 'resource'>, namespace?: string): string {
  const root = r.group === '' ? `/api/${r.version}` : `/apis/${r.group}/${r.version}`;
  const ns = namespace === undefined ? '' : `/namespaces/${encodeURIComponent(namespace)}`;
  return `${root}${ns}/${r.resource}`;
}

const r = (group: string, version: string, resource: string, kind: string, namespaced = true): WatchedResource => ({
  group,
  version,
  resource,
  kind,
  namespaced,
  metadataOnly: false,
});

/** DESIGN §2 default kinds; their full objects feed operations and diffs. */
export const DEFAULT_RESOURCES: readonly WatchedResource[] = [
  r('apps', 'v1', 'deployments', 'Deployment'),
  r('apps', 'v1', 'replicasets', 'ReplicaSet'),
  r('apps', 'v1', 'statefulsets', 'StatefulSet'),
  r('apps', 'v1', 'daemonsets', 'DaemonSet'),
  r('batch', 'v1', 'jobs', 'Job'),
  r('batch', 'v1', 'cronjobs', 'CronJob'),
  r('', 'v1', 'pods', 'Pod'),
  r('', 'v1', 'nodes', 'Node', false),
];

/**
 * Events through both APIs. A real apiserver serves the same stored Events through each (one write
 * shows up in both watches, with the same uid and resourceVersion, which the journal's dedupe
 * drops); watching both still sees Events that only one of them serves (old clusters, aggregated
 * or fake apiservers that keep them apart).
 */
export const EVENT_RESOURCES: readonly WatchedResource[] = [
  r('events.k8s.io', 'v1', 'events', 'Event'),
  r('', 'v1', 'events', 'Event'),
];

// Never watched, whatever the configuration says: their payload is confidential.
const FORBIDDEN = new Set(['secrets']);

/** A `--watch-kinds` item before discovery: `resource.version[.group][:metadata]`. */
export interface ResourceSpec {
  readonly group: string;
  readonly version: string;
  readonly resource: string;
  readonly metadataOnly: boolean;
}

/**
 * Parses one `--watch-kinds` item, e.g. `services.v1`, `ingresses.v1.networking.k8s.io`,
 * `certificates.v1.cert-manager.io:metadata`. Returns a reason string for a malformed item (the
 * group must be a lower-case DNS name) or for core Secrets (never watched).
 */
export function parseResourceSpec(text: string): ResourceSpec | string {
  const [name = '', suffix, ...extra] = text.trim().split(':');
  if (extra.length > 0 || (suffix !== undefined && suffix !== 'metadata')) {
    return `"${text}": the only suffix is ":metadata"`;
  }
  const parts = name.split('.');
  const [resource = '', version = '', ...groupParts] = parts;
  const group = groupParts.join('.');
  // Decided on the joined group, before anything else: a trailing dot ("secrets.v1.") still
  // means the core group.
  if (FORBIDDEN.has(resource) && group === '') return `"${text}": Secrets are never watched`;
  if (
    !/^[a-z0-9-]+$/.test(resource) ||
    !/^v[0-9]+((alpha|beta)[0-9]+)?$/.test(version) ||
    !groupParts.every((p) => /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(p))
  ) {
    return `"${text}": expected resource.version[.group], e.g. services.v1 or ingresses.v1.networking.k8s.io`;
  }
  return { resource, version, group, metadataOnly: suffix === 'metadata' };
}

interface ApiResourceList {
  readonly resources?: readonly { name?: unknown; kind?: unknown; namespaced?: unknown; verbs?: unknown }[];
}

/**
 * Resolves specs to watched resources through discovery (`/api/v1`, `/apis/{group}/{version}`):
 * the kind and scope come from the apiserver, and a resource it does not serve, or serves without
 * list+watch, is an error naming it (a group-version discovery answers 404 for counts as not
 * served). Rejects with the first such problem or the transport error.
 */
export async function discoverResources(http: KubeHttp, specs: readonly ResourceSpec[]): Promise<WatchedResource[]> {
  const out: WatchedResource[] = [];
  const lists = new Map<string, ApiResourceList>();
  for (const spec of specs) {
    const gv = spec.group === '' ? `/api/${spec.version}` : `/apis/${spec.group}/${spec.version}`;
    let list = lists.get(gv);
    const id = resourceId(spec);
    if (list === undefined) {
      try {
        list = (await http.getJson(gv)) as ApiResourceList;
      } catch (err: unknown) {
        // A group or version not served at all (the CRD is not installed) is a 404 of discovery.
        if (err instanceof KubeApiError && err.status === 404)
          throw new Error(`watch kind ${id}: the apiserver does not serve it (${gv})`);
        throw err;
      }
      lists.set(gv, list);
    }
    const found = (list.resources ?? []).find((x) => x.name === spec.resource);
    if (found === undefined) throw new Error(`watch kind ${id}: the apiserver does not serve it (${gv})`);
    const verbs = Array.isArray(found.verbs) ? found.verbs : [];
    if (!verbs.includes('list') || !verbs.includes('watch'))
      throw new Error(`watch kind ${id}: not listable/watchable`);
    out.push({
      ...spec,
      kind: typeof found.kind === 'string' ? found.kind : spec.resource,
      namespaced: found.namespaced !== false,
    });
  }
  return out;
}

/**
 * The Event APIs to watch: core/v1 always, events.k8s.io/v1 when discovery lists it. Never
 * rejects (a failed discovery request means core/v1 only).
 */
export async function eventResources(http: KubeHttp): Promise<WatchedResource[]> {
  const core = EVENT_RESOURCES[1] as WatchedResource;
  try {
    const list = (await http.getJson('/apis/events.k8s.io/v1')) as ApiResourceList;
    if ((list.resources ?? []).some((x) => x.name === 'events')) return [EVENT_RESOURCES[0] as WatchedResource, core];
  } catch {
    // not served (404) or not allowed: core/v1 only
  }
  return [core];
}
