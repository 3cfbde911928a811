/**
 * What kube-apiserver's own request-info filter derives from an HTTP request, for real apiserver
 * spans (which carry method, target and user agent, not the Kubernetes verb and resource).
 */

export interface RequestInfo {
  /** Kubernetes verb: get, list, watch, create, update, patch, delete, deletecollection; or the HTTP method for non-resource URLs. */
  readonly verb: string;
  /** `pods`, `pods/status`, or `nonresource` for discovery, /healthz and the like. */
  readonly resource: string;
}

const NAMESPACE_SUBRESOURCES: ReadonlySet<string> = new Set(['status', 'finalize']);
const METHOD_VERB: Readonly<Record<string, string>> = {
  POST: 'create',
  PUT: 'update',
  PATCH: 'patch',
};

/**
 * Verb and resource of `method target` as the apiserver sees them: `/api/v1/namespaces/a/pods/x/status`
 * is `pods/status`; a GET without a name is `list` (`watch` with `watch=true` or under `/watch/`);
 * DELETE without a name is `deletecollection`. Anything outside `/api` and `/apis/<group>/<version>`
 * is `nonresource` with the method as verb. Never throws.
 */
export function requestInfo(method: string, target: string): RequestInfo {
  const m = method.toUpperCase();
  const nonResource = { verb: m.toLowerCase(), resource: 'nonresource' };
  const q = target.indexOf('?');
  const path = q < 0 ? target : target.slice(0, q);
  const query = q < 0 ? '' : target.slice(q + 1);
  const located = resourcePath(path);
  if (located === undefined) return nonResource;
  const [resource, name, subresource] = located.parts;
  if (resource === undefined) return nonResource;
  const watch = located.watchPrefix || /(^|&)watch=(true|1)(&|$)/.test(query);
  return {
    verb: verbOf(m, name !== undefined, watch),
    resource: subresource === undefined ? resource : `${resource}/${subresource}`,
  };
}

/**
 * The path segments after the group/version (and namespace) prefix — `[resource, name?, subresource?]` —
 * and whether the legacy `/watch/` prefix was used; undefined for a path outside `/api` and `/apis`
 * or for the group/version root itself.
 */
function resourcePath(path: string): { parts: string[]; watchPrefix: boolean } | undefined {
  let parts = path.split('/').filter((p) => p !== '');
  if (parts[0] === 'api') parts = parts.slice(2);
  else if (parts[0] === 'apis') parts = parts.slice(3);
  else return undefined;
  if (parts.length === 0) return undefined;
  const watchPrefix = parts[0] === 'watch';
  if (watchPrefix) parts = parts.slice(1);
  // namespaces/<ns>/<resource>…, but `namespaces/<ns>[/status|/finalize]` is the namespace itself
  // (the apiserver's own rule).
  if (parts[0] === 'namespaces' && parts.length > 2 && !NAMESPACE_SUBRESOURCES.has(parts[2] ?? '')) {
    parts = parts.slice(2);
  }
  return { parts, watchPrefix };
}

/** The Kubernetes verb of an upper-case HTTP method on a resource path, named or not. */
function verbOf(method: string, named: boolean, watch: boolean): string {
  if (method === 'GET' || method === 'HEAD') {
    if (watch) return 'watch';
    return named ? 'get' : 'list';
  }
  if (method === 'DELETE') return named ? 'delete' : 'deletecollection';
  return METHOD_VERB[method] ?? method.toLowerCase();
}
