import type { Exchange, ServerContext } from './context.js';
import { sendJson } from './http-util.js';
import { aggregatedDiscovery } from './media.js';
import type { ResourceInfo } from './resources.js';
import { apiVersionOf } from './resources.js';
import { pathNotFound } from './status.js';

type Json = Record<string, unknown>;

const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
const STATUS_VERBS = ['get', 'patch', 'update'];

/** What `/version` reports; kubectl only warns beyond one minor version of skew. */
export const SERVER_VERSION = {
  major: '1',
  minor: '35',
  emulationMajor: '1',
  emulationMinor: '35',
  minCompatibilityMajor: '1',
  minCompatibilityMinor: '34',
  gitVersion: 'v1.35.0-kubestitch-fake',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2026-01-01T00:00:00Z',
  goVersion: 'go1.25.0',
  compiler: 'gc',
  platform: 'linux/amd64',
};

/** Group → versions in registration order. */
function groups(ctx: ServerContext): Map<string, Map<string, ResourceInfo[]>> {
  const out = new Map<string, Map<string, ResourceInfo[]>>();
  for (const r of ctx.registry.all()) {
    let versions = out.get(r.group);
    if (versions === undefined) out.set(r.group, (versions = new Map()));
    let list = versions.get(r.version);
    if (list === undefined) versions.set(r.version, (list = []));
    list.push(r);
  }
  return out;
}

function legacyResources(gv: string, list: readonly ResourceInfo[]): Json {
  const resources: Json[] = [];
  for (const r of list) {
    resources.push({
      name: r.resource,
      singularName: r.singularName,
      namespaced: r.namespaced,
      kind: r.kind,
      verbs: VERBS,
      ...(r.shortNames.length > 0 ? { shortNames: r.shortNames } : {}),
      ...(r.categories.length > 0 ? { categories: r.categories } : {}),
    });
    if (r.hasStatus)
      resources.push({
        name: `${r.resource}/status`,
        singularName: '',
        namespaced: r.namespaced,
        kind: r.kind,
        verbs: STATUS_VERBS,
      });
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: gv, resources };
}

function aggregatedGroup(name: string, versions: Map<string, ResourceInfo[]>): Json {
  return {
    metadata: { name, creationTimestamp: null },
    versions: [...versions].map(([version, list]) => ({
      version,
      resources: list.map((r) => ({
        resource: r.resource,
        responseKind: { group: r.group, version: r.version, kind: r.kind },
        scope: r.namespaced ? 'Namespaced' : 'Cluster',
        singularResource: r.singularName,
        verbs: VERBS,
        ...(r.shortNames.length > 0 ? { shortNames: r.shortNames } : {}),
        ...(r.categories.length > 0 ? { categories: r.categories } : {}),
        ...(r.hasStatus
          ? {
              subresources: [
                {
                  subresource: 'status',
                  responseKind: { group: r.group, version: r.version, kind: r.kind },
                  verbs: STATUS_VERBS,
                },
              ],
            }
          : {}),
      })),
      freshness: 'Current',
    })),
  };
}

function groupDoc(name: string, versions: Map<string, ResourceInfo[]>): Json {
  const vs = [...versions.keys()].map((v) => ({ groupVersion: `${name}/${v}`, version: v }));
  return { kind: 'APIGroup', apiVersion: 'v1', name, versions: vs, preferredVersion: vs[0] };
}

/**
 * `/version`, `/api`, `/apis`, `/api/v1`, `/apis/{g}` and `/apis/{g}/{v}`, in the legacy form or as
 * aggregated discovery (apidiscovery.k8s.io v2/v2beta1) when the Accept header asks for it first.
 * Throws ApiError 404 for anything else (openapi included: kubectl get does not need it).
 */
export function handleDiscovery(ctx: ServerContext, ex: Exchange, path: string, host: string): void {
  const p = path.replace(/\/+$/, '') || '/';
  const all = groups(ctx);
  const send = (doc: unknown, contentType = 'application/json'): void =>
    sendJson(ex.res, 200, contentType, JSON.stringify(doc));
  if (p === '/version') return send(SERVER_VERSION);
  if (p === '/healthz' || p === '/livez' || p === '/readyz') {
    sendJson(ex.res, 200, 'text/plain; charset=utf-8', 'ok');
    return;
  }
  const aggregated = aggregatedDiscovery(ex.accept);
  if (p === '/api' || p === '/apis') {
    const named = [...all].filter(([g]) => (p === '/api' ? g === '' : g !== ''));
    if (aggregated !== undefined) {
      const doc = {
        kind: 'APIGroupDiscoveryList',
        apiVersion: `apidiscovery.k8s.io/${aggregated}`,
        metadata: {},
        items: named.map(([g, versions]) => aggregatedGroup(g, versions)),
      };
      return send(doc, `application/json;g=apidiscovery.k8s.io;v=${aggregated};as=APIGroupDiscoveryList`);
    }
    if (p === '/api')
      return send({
        kind: 'APIVersions',
        versions: ['v1'],
        serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: host }],
      });
    return send({
      kind: 'APIGroupList',
      apiVersion: 'v1',
      groups: named.map(([g, versions]) => groupDoc(g, versions)),
    });
  }
  const segs = p.split('/').filter((s) => s !== '');
  if (segs[0] === 'api' && segs.length === 2) {
    const list = all.get('')?.get(segs[1] ?? '');
    if (list !== undefined) return send(legacyResources(segs[1] ?? '', list));
  }
  if (segs[0] === 'apis' && segs.length === 2) {
    const versions = all.get(segs[1] ?? '');
    if (versions !== undefined) return send(groupDoc(segs[1] ?? '', versions));
  }
  if (segs[0] === 'apis' && segs.length === 3) {
    const list = all.get(segs[1] ?? '')?.get(segs[2] ?? '');
    if (list !== undefined && list[0] !== undefined) return send(legacyResources(apiVersionOf(list[0]), list));
  }
  throw pathNotFound();
}
