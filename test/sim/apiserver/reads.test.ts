import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FakeApiserver } from '../../../tools/sim/apiserver/index.js';
import { startFakeApiserver } from '../../../tools/sim/apiserver/index.js';
import { pod } from './watch-reader.js';

type Json = Record<string, unknown> & { metadata: Record<string, unknown>; items: Json[] };

let server: FakeApiserver;

async function getJson(
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Json; type: string | null }> {
  const res = await fetch(`${server.url}${path}`, { headers });
  return { status: res.status, body: (await res.json()) as Json, type: res.headers.get('content-type') };
}

beforeEach(async () => {
  server = await startFakeApiserver();
});
afterEach(async () => {
  await server.close();
});

describe('FakeApiserver', () => {
  describe('list', () => {
    it('answers a typed list whose resourceVersion is the store resourceVersion and whose items carry no kind', async () => {
      server.apply('ADDED', pod('a'));
      server.apply('ADDED', pod('b', 'other'));
      const { status, body, type } = await getJson('/api/v1/pods');
      expect(status).toBe(200);
      expect(type).toBe('application/json');
      expect(body.kind).toBe('PodList');
      expect(body.apiVersion).toBe('v1');
      expect(body.metadata.resourceVersion).toBe(server.resourceVersion());
      expect(body.items.map((i) => i.metadata.name)).toEqual(['b', 'a']); // other/b sorts before shop/a
      expect(body.items[0]).not.toHaveProperty('kind');
      const ns = await getJson('/api/v1/namespaces/shop/pods');
      expect(ns.body.items.map((i) => i.metadata.name)).toEqual(['a']);
    });

    it('lists in etcd key order (bytewise over namespace/name) across namespaces', async () => {
      for (const [n, ns] of [
        ['z', 'a-ns'],
        ['b', 'b-ns'],
        ['a', 'b-ns'],
        ['c', 'a'],
      ] as const)
        server.apply('ADDED', pod(n, ns));
      const { body } = await getJson('/api/v1/pods');
      expect(body.items.map((i) => `${String(i.metadata.namespace)}/${String(i.metadata.name)}`)).toEqual([
        'a-ns/z',
        'a/c',
        'b-ns/a',
        'b-ns/b',
      ]); // '-' < '/'
    });

    it('pages with limit/continue over a consistent snapshot even while objects change', async () => {
      for (let i = 0; i < 5; i++) server.apply('ADDED', pod(`p${i}`));
      const first = await getJson('/api/v1/namespaces/shop/pods?limit=2');
      expect(first.body.items.map((i) => i.metadata.name)).toEqual(['p0', 'p1']);
      expect(first.body.metadata.remainingItemCount).toBe(3);
      const listRv = first.body.metadata.resourceVersion;
      server.apply('DELETED', pod('p2'));
      server.apply('ADDED', pod('p9'));
      server.apply('MODIFIED', pod('p3', 'shop', { status: { phase: 'Failed' } }));
      const token = encodeURIComponent(String(first.body.metadata.continue));
      const second = await getJson(`/api/v1/namespaces/shop/pods?limit=2&continue=${token}`);
      expect(second.body.metadata.resourceVersion).toBe(listRv);
      expect(second.body.items.map((i) => i.metadata.name)).toEqual(['p2', 'p3']);
      expect((second.body.items[1] as unknown as { status: { phase: string } }).status.phase).toBe('Running');
      const third = await getJson(
        `/api/v1/namespaces/shop/pods?limit=2&continue=${encodeURIComponent(String(second.body.metadata.continue))}`,
      );
      expect(third.body.items.map((i) => i.metadata.name)).toEqual(['p4']);
      expect(third.body.metadata.continue).toBeUndefined();
    });

    it('answers 410 Expired for a continue token older than the compaction', async () => {
      for (let i = 0; i < 3; i++) server.apply('ADDED', pod(`p${i}`));
      const first = await getJson('/api/v1/pods?limit=1');
      server.apply('ADDED', pod('later'));
      server.compact();
      const res = await getJson(
        `/api/v1/pods?limit=1&continue=${encodeURIComponent(String(first.body.metadata.continue))}`,
      );
      expect(res.status).toBe(410);
      expect(res.body).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'Expired', code: 410 });
    });

    it('serves resourceVersionMatch=Exact from history and 410 once compacted', async () => {
      server.apply('ADDED', pod('a'));
      const rv = server.resourceVersion();
      server.apply('ADDED', pod('b'));
      const exact = await getJson(`/api/v1/pods?resourceVersion=${rv}&resourceVersionMatch=Exact`);
      expect(exact.body.items.map((i) => i.metadata.name)).toEqual(['a']);
      expect(exact.body.metadata.resourceVersion).toBe(rv);
      const newer = await getJson(`/api/v1/pods?resourceVersion=${rv}&resourceVersionMatch=NotOlderThan`);
      expect(newer.body.items).toHaveLength(2);
      server.compact();
      const gone = await getJson(`/api/v1/pods?resourceVersion=${rv}&resourceVersionMatch=Exact`);
      expect(gone.status).toBe(410);
      expect(gone.body.message).toMatch(/^too old resource version: \d+ \(\d+\)$/);
    });

    it('rejects invalid list options with the apiserver status codes', async () => {
      expect((await getJson('/api/v1/pods?resourceVersionMatch=Exact')).status).toBe(422);
      expect((await getJson('/api/v1/pods?resourceVersion=abc')).status).toBe(400);
      expect((await getJson('/api/v1/pods?fieldSelector=spec.bogus%3Dx')).body.message).toBe(
        'field label not supported: spec.bogus',
      );
      expect((await getJson('/api/v1/pods?continue=garbage')).status).toBe(400);
    });

    it('answers 504 for a resourceVersion the store never reaches', async () => {
      const s = await startFakeApiserver({ tooLargeWaitMs: 50 });
      try {
        const res = await fetch(`${s.url}/api/v1/pods?resourceVersion=999999`);
        expect(res.status).toBe(504);
        expect(((await res.json()) as { message: string }).message).toMatch(
          /^Too large resource version: 999999, current: \d+$/,
        );
      } finally {
        await s.close();
      }
    });

    it('filters by label selector (equality, inequality, set) and by field selector', async () => {
      server.apply('ADDED', pod('a'));
      server.apply('ADDED', { ...pod('b'), metadata: { name: 'b', namespace: 'shop', labels: { app: 'db' } } });
      server.apply('ADDED', pod('c', 'shop', { spec: { nodeName: 'node-2', containers: [] } }));
      const names = async (q: string): Promise<unknown[]> =>
        (await getJson(`/api/v1/pods?${q}`)).body.items.map((i) => i.metadata.name);
      expect(await names('labelSelector=app%3Dweb')).toEqual(['a', 'c']);
      expect(await names('labelSelector=app!%3Dweb')).toEqual(['b']);
      expect(await names('labelSelector=app%20in%20(db,cache)')).toEqual(['b']);
      expect(await names('fieldSelector=spec.nodeName%3Dnode-2')).toEqual(['c']);
      expect(await names('fieldSelector=metadata.name%3Da,metadata.namespace%3Dshop')).toEqual(['a']);
    });
  });

  describe('get', () => {
    it('returns the object with kind/apiVersion, and a NotFound Status for a missing one', async () => {
      server.apply('ADDED', pod('a'));
      const ok = await getJson('/api/v1/namespaces/shop/pods/a');
      expect(ok.body).toMatchObject({
        kind: 'Pod',
        apiVersion: 'v1',
        metadata: { name: 'a', resourceVersion: server.resourceVersion() },
      });
      const missing = await getJson('/apis/apps/v1/namespaces/shop/deployments/nope');
      expect(missing.status).toBe(404);
      expect(missing.body).toEqual({
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: 'deployments.apps "nope" not found',
        reason: 'NotFound',
        details: { name: 'nope', group: 'apps', kind: 'deployments' },
        code: 404,
      });
      expect((await getJson('/apis/nope.example.com/v1/widgets')).status).toBe(404);
    });

    it('renders PartialObjectMetadata for gets and PartialObjectMetadataList for lists, saying so in Content-Type', async () => {
      server.apply('ADDED', pod('a'));
      const one = await getJson('/api/v1/namespaces/shop/pods/a', {
        Accept: 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1',
      });
      expect(one.type).toBe('application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1');
      expect(one.body).toEqual({
        kind: 'PartialObjectMetadata',
        apiVersion: 'meta.k8s.io/v1',
        metadata: expect.objectContaining({ name: 'a' }),
      });
      const list = await getJson('/api/v1/pods', {
        Accept: 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json',
      });
      expect(list.type).toBe('application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1');
      expect(list.body.kind).toBe('PartialObjectMetadataList');
      expect(list.body.items[0]).toEqual({
        kind: 'PartialObjectMetadata',
        apiVersion: 'meta.k8s.io/v1',
        metadata: expect.objectContaining({ name: 'a' }),
      });
      expect(list.body.items[0]).not.toHaveProperty('spec');
      const refused = await getJson('/api/v1/pods', {
        Accept: 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1',
      });
      expect(refused.status).toBe(406);
    });

    it('renders a meta.k8s.io/v1 Table with the kind columns', async () => {
      server.apply('ADDED', pod('a'));
      const t = await getJson('/api/v1/namespaces/shop/pods', {
        Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json',
      });
      expect(t.type).toBe('application/json;as=Table;g=meta.k8s.io;v=v1');
      expect(t.body.kind).toBe('Table');
      const cols = (t.body as unknown as { columnDefinitions: { name: string }[] }).columnDefinitions.map(
        (c) => c.name,
      );
      expect(cols.slice(0, 5)).toEqual(['Name', 'Ready', 'Status', 'Restarts', 'Age']);
      const row = (t.body as unknown as { rows: { cells: unknown[]; object: Json }[] }).rows[0];
      expect(row?.cells.slice(0, 3)).toEqual(['a', '0/1', 'Running']);
      expect(row?.object.kind).toBe('PartialObjectMetadata');
    });
  });

  describe('discovery', () => {
    it('serves legacy discovery and aggregated discovery when asked for it', async () => {
      const v1 = await getJson('/api/v1');
      expect(v1.body.kind).toBe('APIResourceList');
      expect((v1.body as unknown as { resources: { name: string }[] }).resources.map((r) => r.name)).toContain(
        'pods/status',
      );
      const groups = await getJson('/apis');
      expect((groups.body as unknown as { groups: { name: string }[] }).groups.map((g) => g.name)).toEqual([
        'apps',
        'batch',
        'events.k8s.io',
        'coordination.k8s.io',
      ]);
      const agg = await getJson('/apis', {
        Accept: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json',
      });
      expect(agg.type).toBe('application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList');
      expect(agg.body.kind).toBe('APIGroupDiscoveryList');
      server.registerResource({
        group: 'example.com',
        version: 'v1',
        resource: 'widgets',
        kind: 'Widget',
        namespaced: true,
      });
      const withCrd = await getJson('/apis/example.com/v1');
      expect((withCrd.body as unknown as { resources: { kind: string }[] }).resources[0]?.kind).toBe('Widget');
    });
  });

  describe('registerResource', () => {
    it('serves a custom resource whose list items keep kind/apiVersion, as unstructured CRDs do', async () => {
      server.registerResource({
        group: 'cert-manager.io',
        version: 'v1',
        resource: 'certificates',
        kind: 'Certificate',
        namespaced: true,
      });
      server.apply('ADDED', {
        apiVersion: 'cert-manager.io/v1',
        kind: 'Certificate',
        metadata: { name: 'tls', namespace: 'shop' },
        spec: { secretName: 'tls' },
      });
      const list = await getJson('/apis/cert-manager.io/v1/namespaces/shop/certificates');
      expect(list.body.kind).toBe('CertificateList');
      expect(list.body.items[0]).toMatchObject({
        kind: 'Certificate',
        apiVersion: 'cert-manager.io/v1',
        metadata: { name: 'tls' },
      });
      const table = await getJson('/apis/cert-manager.io/v1/certificates', {
        Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io',
      });
      expect(
        (table.body as unknown as { columnDefinitions: { name: string }[] }).columnDefinitions.map((c) => c.name),
      ).toEqual(['Name', 'Age']);
      expect(() =>
        server.registerResource({
          group: 'cert-manager.io',
          version: 'v1',
          resource: 'certificates',
          kind: 'Certificate',
          namespaced: true,
        }),
      ).toThrow(/already registered/);
    });
  });

  describe('failNext', () => {
    it('answers the next matching requests with the injected status, then serves normally', async () => {
      server.failNext({ method: 'GET', pathPrefix: '/api/v1/pods', status: 503, times: 2 });
      const codes = [];
      for (let i = 0; i < 3; i++) codes.push((await fetch(`${server.url}/api/v1/pods`)).status);
      expect(codes).toEqual([503, 503, 200]);
      expect(server.stats.faultsInjected).toBe(2);
    });
  });

  describe('requests', () => {
    it('logs method, path, query and Accept of every request', async () => {
      await fetch(`${server.url}/api/v1/pods?limit=5`, { headers: { Accept: 'application/json' } });
      expect(server.requests.at(-1)).toMatchObject({
        method: 'GET',
        path: '/api/v1/pods',
        query: { limit: '5' },
        accept: 'application/json',
        status: 200,
      });
    });
  });
});
