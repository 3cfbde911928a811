/** What the fake apiserver knows about one resource: enough for routing, discovery and tables. */
export interface ResourceInfo {
  /** API group; '' for the legacy core group. */
  readonly group: string;
  readonly version: string;
  /** Plural, lower case: `pods`, `leases`. */
  readonly resource: string;
  readonly kind: string;
  readonly namespaced: boolean;
  readonly singularName: string;
  readonly shortNames: readonly string[];
  readonly categories: readonly string[];
  /** The object has a `status` subresource: PUT/PATCH on the main resource leave status alone. */
  readonly hasStatus: boolean;
  /** metadata.generation is set on create and bumped when anything but metadata/status changes. */
  readonly tracksGeneration: boolean;
  /**
   * List items carry kind/apiVersion. Built-in types are encoded without them inside a typed list
   * (clients must not rely on them); custom resources are unstructured and keep them.
   */
  readonly listItemsHaveTypeMeta: boolean;
  /** DELETE answers with the deleted object rather than a Status (pods do). */
  readonly deleteReturnsObject: boolean;
}

/** `group/version` or `version` for the core group. */
export function apiVersionOf(r: Pick<ResourceInfo, 'group' | 'version'>): string {
  return r.group === '' ? r.version : `${r.group}/${r.version}`;
}

/** `pods` or `leases.coordination.k8s.io`: how the apiserver names a resource in error messages. */
export function qualifiedResource(r: Pick<ResourceInfo, 'group' | 'resource'>): string {
  return r.group === '' ? r.resource : `${r.resource}.${r.group}`;
}

/** The shape `registerResource` accepts; everything beyond the identity has a sensible default. */
export interface ResourceSpec {
  readonly group: string;
  readonly version: string;
  readonly resource: string;
  readonly kind: string;
  readonly namespaced: boolean;
  readonly singularName?: string;
  readonly shortNames?: readonly string[];
  readonly categories?: readonly string[];
  readonly hasStatus?: boolean;
  readonly tracksGeneration?: boolean;
  readonly listItemsHaveTypeMeta?: boolean;
  readonly deleteReturnsObject?: boolean;
}

function resource(spec: ResourceSpec): ResourceInfo {
  return {
    group: spec.group,
    version: spec.version,
    resource: spec.resource,
    kind: spec.kind,
    namespaced: spec.namespaced,
    singularName: spec.singularName ?? spec.kind.toLowerCase(),
    shortNames: spec.shortNames ?? [],
    categories: spec.categories ?? [],
    hasStatus: spec.hasStatus ?? false,
    // Custom resources track generation when they have a status subresource; a registered kind
    // without an explicit choice behaves like a CRD with one.
    tracksGeneration: spec.tracksGeneration ?? true,
    listItemsHaveTypeMeta: spec.listItemsHaveTypeMeta ?? true,
    deleteReturnsObject: spec.deleteReturnsObject ?? false,
  };
}

function builtin(spec: ResourceSpec): ResourceInfo {
  return resource({ tracksGeneration: false, listItemsHaveTypeMeta: false, ...spec });
}

const ALL = ['all'];

/** The kinds every fake apiserver serves (the ones kubestitch watches, plus a few it must not touch). */
export const DEFAULT_RESOURCES: readonly ResourceInfo[] = [
  builtin({
    group: '',
    version: 'v1',
    resource: 'pods',
    kind: 'Pod',
    namespaced: true,
    shortNames: ['po'],
    categories: ALL,
    hasStatus: true,
    deleteReturnsObject: true,
  }),
  builtin({
    group: '',
    version: 'v1',
    resource: 'nodes',
    kind: 'Node',
    namespaced: false,
    shortNames: ['no'],
    hasStatus: true,
  }),
  builtin({
    group: '',
    version: 'v1',
    resource: 'namespaces',
    kind: 'Namespace',
    namespaced: false,
    shortNames: ['ns'],
    hasStatus: true,
  }),
  builtin({ group: '', version: 'v1', resource: 'events', kind: 'Event', namespaced: true, shortNames: ['ev'] }),
  builtin({
    group: '',
    version: 'v1',
    resource: 'services',
    kind: 'Service',
    namespaced: true,
    shortNames: ['svc'],
    categories: ALL,
    hasStatus: true,
  }),
  builtin({
    group: '',
    version: 'v1',
    resource: 'configmaps',
    kind: 'ConfigMap',
    namespaced: true,
    shortNames: ['cm'],
  }),
  builtin({ group: '', version: 'v1', resource: 'secrets', kind: 'Secret', namespaced: true }),
  builtin({
    group: 'apps',
    version: 'v1',
    resource: 'deployments',
    kind: 'Deployment',
    namespaced: true,
    shortNames: ['deploy'],
    categories: ALL,
    hasStatus: true,
    tracksGeneration: true,
  }),
  builtin({
    group: 'apps',
    version: 'v1',
    resource: 'replicasets',
    kind: 'ReplicaSet',
    namespaced: true,
    shortNames: ['rs'],
    categories: ALL,
    hasStatus: true,
    tracksGeneration: true,
  }),
  builtin({
    group: 'apps',
    version: 'v1',
    resource: 'statefulsets',
    kind: 'StatefulSet',
    namespaced: true,
    shortNames: ['sts'],
    categories: ALL,
    hasStatus: true,
    tracksGeneration: true,
  }),
  builtin({
    group: 'apps',
    version: 'v1',
    resource: 'daemonsets',
    kind: 'DaemonSet',
    namespaced: true,
    shortNames: ['ds'],
    categories: ALL,
    hasStatus: true,
    tracksGeneration: true,
  }),
  builtin({
    group: 'batch',
    version: 'v1',
    resource: 'jobs',
    kind: 'Job',
    namespaced: true,
    categories: ALL,
    hasStatus: true,
    tracksGeneration: true,
  }),
  builtin({
    group: 'batch',
    version: 'v1',
    resource: 'cronjobs',
    kind: 'CronJob',
    namespaced: true,
    shortNames: ['cj'],
    categories: ALL,
    hasStatus: true,
    tracksGeneration: true,
  }),
  builtin({
    group: 'events.k8s.io',
    version: 'v1',
    resource: 'events',
    kind: 'Event',
    namespaced: true,
    shortNames: ['ev'],
  }),
  builtin({ group: 'coordination.k8s.io', version: 'v1', resource: 'leases', kind: 'Lease', namespaced: true }),
];

/**
 * The resources one fake apiserver serves. Lookups are by group/version/resource (URL routing)
 * and by apiVersion/kind (objects fed by tests and recordings).
 */
export class ResourceRegistry {
  readonly #byPath = new Map<string, ResourceInfo>();
  readonly #byKind = new Map<string, ResourceInfo>();
  readonly #order: ResourceInfo[] = [];

  constructor(initial: readonly ResourceInfo[] = DEFAULT_RESOURCES) {
    for (const r of initial) this.#add(r);
  }

  /**
   * Adds a resource (a CRD or an extra built-in). Throws when the group/version/resource or the
   * apiVersion/kind is already registered, or when a name is not a lower-case DNS label.
   */
  register(spec: ResourceSpec): ResourceInfo {
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(spec.resource))
      throw new Error(`registerResource: resource "${spec.resource}" must be a lower-case DNS label`);
    if (!/^v[0-9]+((alpha|beta)[0-9]+)?$/.test(spec.version))
      throw new Error(`registerResource: version "${spec.version}" is not a Kubernetes API version`);
    const r = resource(spec);
    this.#add(r);
    return r;
  }

  byPath(group: string, version: string, resource: string): ResourceInfo | undefined {
    return this.#byPath.get(`${group}/${version}/${resource}`);
  }

  byKind(apiVersion: string, kind: string): ResourceInfo | undefined {
    return this.#byKind.get(`${apiVersion}/${kind}`);
  }

  /** Every resource in registration order (discovery order). */
  all(): readonly ResourceInfo[] {
    return this.#order;
  }

  #add(r: ResourceInfo): void {
    const path = `${r.group}/${r.version}/${r.resource}`;
    const kind = `${apiVersionOf(r)}/${r.kind}`;
    if (this.#byPath.has(path)) throw new Error(`resource ${path} is already registered`);
    if (this.#byKind.has(kind)) throw new Error(`kind ${kind} is already registered`);
    this.#byPath.set(path, r);
    this.#byKind.set(kind, r);
    this.#order.push(r);
  }
}
