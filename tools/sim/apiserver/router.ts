import type { ResourceInfo, ResourceRegistry } from './resources.js';

/** A request for objects of one resource. */
export interface ResourceRoute {
  readonly type: 'resource';
  readonly resource: ResourceInfo;
  /** From `/namespaces/{ns}/…`; undefined for cluster-wide and cluster-scoped requests. */
  readonly namespace: string | undefined;
  readonly name: string | undefined;
  readonly subresource: string | undefined;
  /** The deprecated `/api/v1/watch/…` form. */
  readonly watchPrefix: boolean;
}

export type Route = ResourceRoute | { readonly type: 'discovery' } | { readonly type: 'unknown' };

/** Maps a URL path onto a resource request, the way the apiserver's installer lays out routes. */
export function route(registry: ResourceRegistry, path: string): Route {
  const segs = path
    .split('/')
    .filter((s) => s !== '')
    .map(decodeURIComponent);
  let group: string;
  let rest: string[];
  if (segs[0] === 'api' && segs.length >= 2) {
    group = '';
    rest = segs.slice(1);
  } else if (segs[0] === 'apis' && segs.length >= 3) {
    group = segs[1] ?? '';
    rest = segs.slice(2);
  } else return { type: segs.length <= 3 ? 'discovery' : 'unknown' };
  const [version = '', ...tail] = rest;
  if (tail.length === 0) return { type: 'discovery' };
  const watchPrefix = tail[0] === 'watch';
  const parts = watchPrefix ? tail.slice(1) : tail;
  const lookup = (res: string | undefined): ResourceInfo | undefined =>
    res === undefined ? undefined : registry.byPath(group, version, res);
  if (parts[0] === 'namespaces' && parts.length >= 3) {
    const inNs = lookup(parts[2]);
    if (inNs !== undefined && inNs.namespaced) {
      if (parts.length > 5) return { type: 'unknown' };
      return {
        type: 'resource',
        resource: inNs,
        namespace: parts[1],
        name: parts[3],
        subresource: parts[4],
        watchPrefix,
      };
    }
  }
  const r = lookup(parts[0]);
  if (r === undefined || parts.length > 3) return { type: 'unknown' };
  return { type: 'resource', resource: r, namespace: undefined, name: parts[1], subresource: parts[2], watchPrefix };
}
