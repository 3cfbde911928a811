import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeApiserver } from '../../../tools/sim/apiserver/index.js';
import type { FakeApiserver } from '../../../tools/sim/apiserver/index.js';
import { KubeHttp } from '../../../src/sources/watch/kube-http.js';
import {
  collectionPath,
  discoverResources,
  eventResources,
  parseResourceSpec,
  resourceId,
} from '../../../src/sources/watch/resources.js';
import type { ResourceSpec } from '../../../src/sources/watch/resources.js';
import { kubeConfigFor } from '../../support/fake-kube-config.js';

let api: FakeApiserver;
let http: KubeHttp;

beforeAll(async () => {
  api = await startFakeApiserver();
  api.registerResource({ group: 'example.com', version: 'v1', resource: 'widgets', kind: 'Widget', namespaced: false });
  http = new KubeHttp(kubeConfigFor(api.url));
});
afterAll(async () => {
  await api.close();
});

function spec(text: string): ResourceSpec {
  const s = parseResourceSpec(text);
  if (typeof s === 'string') throw new Error(s);
  return s;
}

describe('parseResourceSpec', () => {
  it('reads resource.version[.group][:metadata]', () => {
    expect(parseResourceSpec('services.v1')).toEqual({
      resource: 'services',
      version: 'v1',
      group: '',
      metadataOnly: false,
    });
    expect(parseResourceSpec(' ingresses.v1.networking.k8s.io ')).toEqual({
      resource: 'ingresses',
      version: 'v1',
      group: 'networking.k8s.io',
      metadataOnly: false,
    });
    expect(parseResourceSpec('certificates.v1beta1.cert-manager.io:metadata')).toEqual({
      resource: 'certificates',
      version: 'v1beta1',
      group: 'cert-manager.io',
      metadataOnly: true,
    });
  });

  it.each([
    ['', 'expected resource.version'],
    ['services', 'expected resource.version'],
    ['Services.v1', 'expected resource.version'],
    ['services.1', 'expected resource.version'],
    ['services.v1beta', 'expected resource.version'],
    ['services.v1..example.com', 'expected resource.version'],
    ['services.v1.Example.com', 'expected resource.version'],
    ['services.v1:full', 'the only suffix is ":metadata"'],
    ['services.v1:metadata:x', 'the only suffix is ":metadata"'],
  ])('refuses %j with a reason naming it', (text, reason) => {
    const r = parseResourceSpec(text);
    expect(typeof r).toBe('string');
    expect(r).toContain(reason);
    expect(r).toContain(`"${text}"`);
  });

  it.each(['secrets.v1', 'secrets.v1:metadata', ' secrets.v1 ', 'secrets.v1.'])('never watches Secrets: %j', (text) => {
    expect(parseResourceSpec(text)).toEqual(expect.stringContaining('Secrets are never watched'));
  });

  it('allows a custom resource that happens to be called secrets in its own group', () => {
    expect(parseResourceSpec('secrets.v1.vault.example.com')).toMatchObject({ group: 'vault.example.com' });
  });
});

describe('resourceId and collectionPath', () => {
  it('name core and grouped resources as logs and URLs do', () => {
    expect(resourceId(spec('pods.v1'))).toBe('pods.v1');
    expect(resourceId(spec('replicasets.v1.apps'))).toBe('replicasets.v1.apps');
    expect(collectionPath(spec('pods.v1'))).toBe('/api/v1/pods');
    expect(collectionPath(spec('replicasets.v1.apps'))).toBe('/apis/apps/v1/replicasets');
  });
});

describe('discoverResources', () => {
  it('takes kind and scope from discovery, one request per group-version', async () => {
    const before = api.requests.length;
    const found = await discoverResources(http, [
      spec('services.v1'),
      spec('namespaces.v1'),
      spec('leases.v1.coordination.k8s.io'),
      spec('widgets.v1.example.com:metadata'),
    ]);
    expect(found).toEqual([
      { group: '', version: 'v1', resource: 'services', kind: 'Service', namespaced: true, metadataOnly: false },
      { group: '', version: 'v1', resource: 'namespaces', kind: 'Namespace', namespaced: false, metadataOnly: false },
      {
        group: 'coordination.k8s.io',
        version: 'v1',
        resource: 'leases',
        kind: 'Lease',
        namespaced: true,
        metadataOnly: false,
      },
      {
        group: 'example.com',
        version: 'v1',
        resource: 'widgets',
        kind: 'Widget',
        namespaced: false,
        metadataOnly: true,
      },
    ]);
    expect(api.requests.slice(before).map((r) => r.path)).toEqual([
      '/api/v1',
      '/apis/coordination.k8s.io/v1',
      '/apis/example.com/v1',
    ]);
  });

  it('names a resource its group does not serve', async () => {
    await expect(discoverResources(http, [spec('services.v1'), spec('gizmos.v1.example.com')])).rejects.toThrow(
      /gizmos\.v1\.example\.com.*does not serve/,
    );
  });

  it('names a resource whose group or version is not served at all', async () => {
    await expect(discoverResources(http, [spec('certificates.v1.cert-manager.io')])).rejects.toThrow(
      /certificates\.v1\.cert-manager\.io.*does not serve/,
    );
    await expect(discoverResources(http, [spec('services.v2')])).rejects.toThrow(/services\.v2.*does not serve/);
  });

  it('rejects with the transport error when discovery fails otherwise', async () => {
    api.failNext({ method: 'GET', pathPrefix: '/api/v1', status: 503 });
    await expect(discoverResources(http, [spec('services.v1')])).rejects.toThrow(/503/);
  });
});

describe('eventResources', () => {
  it('watches both Event APIs when the apiserver serves events.k8s.io', async () => {
    expect((await eventResources(http)).map(resourceId)).toEqual(['events.v1.events.k8s.io', 'events.v1']);
  });

  it('falls back to core/v1 Events when events.k8s.io cannot be discovered', async () => {
    api.failNext({ method: 'GET', pathPrefix: '/apis/events.k8s.io', status: 404 });
    expect((await eventResources(http)).map(resourceId)).toEqual(['events.v1']);
  });
});
