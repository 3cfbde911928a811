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
  const q = target.indexOf('?');
  const path = q < 0 ? target : target.slice(0, q);
  const query = q < 0 ? '' : target.slice(q + 1);
  let parts = path.split('/').filter((p) => p !== '');
  const nonResource = { verb: m.toLowerCase(), resource: 'nonresource' };
  if (parts[0] === 'api') parts = parts.slice(2);
  else if (parts[0] === 'apis') parts = parts.slice(3);
  else return nonResource;
  if (parts.length === 0) return nonResource;
  let watch = /(^|&)watch=(true|1)(&|$)/.test(query);
  if (parts[0] === 'watch') {
    watch = true;
    parts = parts.slice(1);
  }
  // namespaces/<ns>/<resource>…, but `namespaces/<ns>[/status|/finalize]` is the namespace itself
  // (the apiserver's own rule).
  if (parts[0] === 'namespaces' && parts.length > 2 && !NAMESPACE_SUBRESOURCES.has(parts[2] ?? '')) {
    parts = parts.slice(2);
  }
  const [resource, name, subresource] = parts;
  if (resource === undefined) return nonResource;
  const res = subresource === undefined ? resource : `${resource}/${subresource}`;
  const named = name !== undefined;
  let verb: string;
  if (m === 'GET' || m === 'HEAD') verb = watch ? 'watch' : named ? 'get' : 'list';
  else if (m === 'DELETE') verb = named ? 'delete' : 'deletecollection';
  else verb = METHOD_VERB[m] ?? m.toLowerCase();
  return { verb, resource: res };
}
