/**
 * Which part of the cluster `run` and `record` watch: `--namespaces`, `--exclude-namespaces` and
 * `--label-selector`, as the OpenTelemetry Collector's k8s receivers take them. The apiserver does
 * the filtering (a namespaced path per listed namespace, `metadata.namespace!=` field selectors for
 * excluded ones, `labelSelector`), so unwatched objects never cross the wire; the informer checks
 * each object again (a proxy or an old apiserver may ignore a selector).
 */
import type { WatchedResource } from './resources.js';

export interface WatchScope {
  /** Watch only these namespaces (namespaced kinds); empty = all. */
  readonly namespaces: readonly string[];
  /** Never these namespaces. */
  readonly excludeNamespaces: readonly string[];
  /** A Kubernetes label selector for the workload kinds (not Nodes, not Events). */
  readonly labelSelector?: string;
}

/** Where one informer lists and watches, and what it filters. */
export interface InformerScope {
  /** Only this namespace (the namespaced collection path). */
  readonly namespace?: string;
  readonly excludeNamespaces?: readonly string[];
  readonly labelSelector?: string;
}

export const UNSCOPED: WatchScope = { namespaces: [], excludeNamespaces: [] };

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_KEY = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

/**
 * Checks the three options and returns the scope, or a message naming the option at fault.
 * Namespaces must be DNS labels; a namespace both listed and excluded is a contradiction.
 */
export function parseWatchScope(
  namespaces: readonly string[],
  excludeNamespaces: readonly string[],
  labelSelector: string | undefined,
): WatchScope | string {
  for (const [flag, list] of [
    ['--namespaces', namespaces],
    ['--exclude-namespaces', excludeNamespaces],
  ] as const) {
    const bad = list.find((n) => n.length > 63 || !DNS_LABEL.test(n));
    if (bad !== undefined) return `${flag}: "${bad}" is not a namespace name`;
  }
  const both = namespaces.find((n) => excludeNamespaces.includes(n));
  if (both !== undefined) return `--namespaces and --exclude-namespaces both name "${both}"`;
  const selector = labelSelector?.trim() ?? '';
  if (selector !== '') {
    const problem = checkLabelSelector(selector);
    if (problem !== undefined) return `--label-selector: ${problem}`;
  }
  return {
    namespaces: [...new Set(namespaces)],
    excludeNamespaces: [...new Set(excludeNamespaces)],
    ...(selector !== '' ? { labelSelector: selector } : {}),
  };
}

/** Splits on commas outside `( … )`. */
function requirements(selector: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < selector.length; i++) {
    if (selector[i] === '(') depth++;
    else if (selector[i] === ')') depth--;
    else if (selector[i] === ',' && depth === 0) {
      out.push(selector.slice(start, i).trim());
      start = i + 1;
    }
  }
  out.push(selector.slice(start).trim());
  return out;
}

/** The label-selector grammar (`k=v`, `k!=v`, `k in (a,b)`, `k notin (a)`, `k`, `!k`), checked up front. */
function checkLabelSelector(selector: string): string | undefined {
  for (const req of requirements(selector)) {
    const set = /^(\S+)\s+(in|notin)\s*\(([^()]*)\)$/.exec(req);
    const eq = /^([^=!\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(req);
    const key = set?.[1] ?? eq?.[1] ?? req.replace(/^!\s*/, '');
    const values = set !== null ? (set[3] ?? '').split(',').map((v) => v.trim()) : eq !== null ? [eq[3] ?? ''] : [];
    if (!LABEL_KEY.test(key) || !values.every((v) => LABEL_VALUE.test(v) && v.length <= 63)) {
      return `cannot parse requirement "${req}"`;
    }
  }
  return undefined;
}

/**
 * The informers for one resource under a scope: one per listed namespace for a namespaced kind,
 * else one. The label selector applies to namespaced kinds other than Events (Events carry no
 * labels of their object; Nodes no application labels), so Events and Nodes stay in view.
 */
export function scopedInformers(
  resource: WatchedResource,
  scope: WatchScope,
): { resource: WatchedResource; scope: InformerScope }[] {
  if (!resource.namespaced) return [{ resource, scope: {} }];
  const base: InformerScope = {
    ...(scope.excludeNamespaces.length > 0 ? { excludeNamespaces: scope.excludeNamespaces } : {}),
    ...(scope.labelSelector !== undefined && resource.kind !== 'Event' ? { labelSelector: scope.labelSelector } : {}),
  };
  if (scope.namespaces.length === 0) return [{ resource, scope: base }];
  return scope.namespaces.map((namespace) => ({ resource, scope: { ...base, namespace } }));
}

/** `pods.v1` or `pods.v1@shop`: the informer's name in logs, status and resume checkpoints. */
export function scopedId(id: string, scope: InformerScope): string {
  return scope.namespace === undefined ? id : `${id}@${scope.namespace}`;
}

/** The list/watch query parameters a scope adds. */
export function scopeQuery(scope: InformerScope): Record<string, string> {
  const query: Record<string, string> = {};
  // An excluded namespace is pointless on a one-namespace path (the lists cannot overlap).
  if (scope.namespace === undefined && scope.excludeNamespaces !== undefined && scope.excludeNamespaces.length > 0) {
    query['fieldSelector'] = scope.excludeNamespaces.map((n) => `metadata.namespace!=${n}`).join(',');
  }
  if (scope.labelSelector !== undefined) query['labelSelector'] = scope.labelSelector;
  return query;
}

/**
 * Whether an object's namespace is in scope: the client-side check behind the server's. (Labels
 * are left to the server: it also turns an object that stops matching into a DELETED.)
 */
export function namespaceInScope(namespace: string, scope: InformerScope): boolean {
  if (scope.namespace !== undefined && namespace !== scope.namespace) return false;
  return !(scope.excludeNamespaces ?? []).includes(namespace);
}
