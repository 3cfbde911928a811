/**
 * What kubestitch knows of Kubernetes kinds: the group and plural resource of a kind, and the
 * kind of an audited group/resource. (Objects themselves are identified by uid in the graph.)
 */
interface KindInfo {
  readonly group: string;
  readonly resource: string;
  readonly clusterScoped: boolean;
}

// Kinds whose group/resource cannot be guessed by lower-casing and adding "s".
const KNOWN_KINDS: Readonly<Record<string, KindInfo>> = {
  Deployment: { group: 'apps', resource: 'deployments', clusterScoped: false },
  ReplicaSet: { group: 'apps', resource: 'replicasets', clusterScoped: false },
  StatefulSet: { group: 'apps', resource: 'statefulsets', clusterScoped: false },
  DaemonSet: { group: 'apps', resource: 'daemonsets', clusterScoped: false },
  ControllerRevision: { group: 'apps', resource: 'controllerrevisions', clusterScoped: false },
  Job: { group: 'batch', resource: 'jobs', clusterScoped: false },
  CronJob: { group: 'batch', resource: 'cronjobs', clusterScoped: false },
  Pod: { group: '', resource: 'pods', clusterScoped: false },
  Node: { group: '', resource: 'nodes', clusterScoped: true },
  Namespace: { group: '', resource: 'namespaces', clusterScoped: true },
  Service: { group: '', resource: 'services', clusterScoped: false },
  Endpoints: { group: '', resource: 'endpoints', clusterScoped: false },
  ConfigMap: { group: '', resource: 'configmaps', clusterScoped: false },
  Secret: { group: '', resource: 'secrets', clusterScoped: false },
  PersistentVolumeClaim: { group: '', resource: 'persistentvolumeclaims', clusterScoped: false },
  PersistentVolume: { group: '', resource: 'persistentvolumes', clusterScoped: true },
  ServiceAccount: { group: '', resource: 'serviceaccounts', clusterScoped: false },
  Event: { group: '', resource: 'events', clusterScoped: false },
  EndpointSlice: { group: 'discovery.k8s.io', resource: 'endpointslices', clusterScoped: false },
  Ingress: { group: 'networking.k8s.io', resource: 'ingresses', clusterScoped: false },
  Lease: { group: 'coordination.k8s.io', resource: 'leases', clusterScoped: false },
  ClusterRole: { group: 'rbac.authorization.k8s.io', resource: 'clusterroles', clusterScoped: true },
  ClusterRoleBinding: {
    group: 'rbac.authorization.k8s.io',
    resource: 'clusterrolebindings',
    clusterScoped: true,
  },
  Role: { group: 'rbac.authorization.k8s.io', resource: 'roles', clusterScoped: false },
  RoleBinding: { group: 'rbac.authorization.k8s.io', resource: 'rolebindings', clusterScoped: false },
  HorizontalPodAutoscaler: {
    group: 'autoscaling',
    resource: 'horizontalpodautoscalers',
    clusterScoped: false,
  },
  PodDisruptionBudget: { group: 'policy', resource: 'poddisruptionbudgets', clusterScoped: false },
  StorageClass: { group: 'storage.k8s.io', resource: 'storageclasses', clusterScoped: true },
};

/** Group of an `apiVersion` string: `apps/v1` → `apps`, `v1` → ''. */
export function groupOfApiVersion(apiVersion: string | undefined): string {
  if (apiVersion === undefined) return '';
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

/**
 * Resolves a kind to its group and plural resource. Unknown kinds (CRDs) fall back to the group
 * of their apiVersion and the lower-cased kind plus "s" — the same guess kubectl makes without
 * discovery. Never throws.
 */
export function kindInfo(kind: string, apiVersion?: string): KindInfo {
  const known = KNOWN_KINDS[kind];
  if (known !== undefined) return known;
  const lower = kind.toLowerCase();
  const plural = lower.endsWith('s') ? `${lower}es` : lower.endsWith('y') ? `${lower.slice(0, -1)}ies` : `${lower}s`;
  return { group: groupOfApiVersion(apiVersion), resource: plural, clusterScoped: false };
}

// Resource → its kinds by group, and the first in KNOWN_KINDS' order: built once. Scanning
// Object.entries(KNOWN_KINDS) built an array of 28 pairs on every call — several per audit event.
const KINDS_BY_RESOURCE: ReadonlyMap<string, { readonly first: string; readonly byGroup: Map<string, string> }> =
  (() => {
    const out = new Map<string, { first: string; byGroup: Map<string, string> }>();
    for (const [kind, info] of Object.entries(KNOWN_KINDS)) {
      const kinds = out.get(info.resource) ?? { first: kind, byGroup: new Map<string, string>() };
      if (!kinds.byGroup.has(info.group)) kinds.byGroup.set(info.group, kind);
      out.set(info.resource, kinds);
    }
    return out;
  })();

/**
 * The kind of a group/resource pair for the kinds kubestitch knows (audit objectRefs name the
 * resource, Events and the graph the kind). Undefined for unknown resources (CRDs).
 */
export function kindOfResource(group: string, resource: string): string | undefined {
  const kinds = KINDS_BY_RESOURCE.get(resource);
  // Old group names (extensions/v1beta1 Deployments) still name the same kind.
  return kinds === undefined ? undefined : (kinds.byGroup.get(group) ?? kinds.first);
}
