import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoordinationV1Api, KubeConfig } from '@kubernetes/client-node';
import type { V1Lease } from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FakeApiserver } from '../../../tools/sim/apiserver/index.js';
import { startFakeApiserver } from '../../../tools/sim/apiserver/index.js';
import { openWatch, pod } from './watch-reader.js';

type Json = Record<string, unknown> & { metadata: Record<string, unknown> };

let server: FakeApiserver;
let dir: string;

async function send(
  method: string,
  path: string,
  body?: unknown,
  contentType = 'application/json',
): Promise<{ status: number; body: Json }> {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { 'Content-Type': contentType },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as Json };
}

const lease = (holder: string): Json => ({
  apiVersion: 'coordination.k8s.io/v1',
  kind: 'Lease',
  metadata: { name: 'kubestitch', namespace: 'kube-system' },
  spec: { holderIdentity: holder, leaseDurationSeconds: 15 },
});

beforeEach(async () => {
  server = await startFakeApiserver();
  dir = await mkdtemp(join(tmpdir(), 'fake-apiserver-writes-'));
});
afterEach(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

describe('FakeApiserver writes', () => {
  describe('POST', () => {
    it('creates with uid, creationTimestamp and a new resourceVersion (201), then 409 AlreadyExists', async () => {
      const created = await send('POST', '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases', lease('a'));
      expect(created.status).toBe(201);
      expect(created.body.metadata).toMatchObject({
        name: 'kubestitch',
        namespace: 'kube-system',
        resourceVersion: server.resourceVersion(),
      });
      expect(created.body.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
      expect(created.body.metadata.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      const again = await send('POST', '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases', lease('b'));
      expect(again.status).toBe(409);
      expect(again.body).toMatchObject({
        reason: 'AlreadyExists',
        message: 'leases.coordination.k8s.io "kubestitch" already exists',
      });
    });

    it('creates a namespace, after which objects can be created in it', async () => {
      const ns = await send('POST', '/api/v1/namespaces', {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: 'kubestitch' },
      });
      expect([ns.status, (ns.body as { status?: unknown }).status]).toEqual([201, { phase: 'Active' }]);
      const created = await send('POST', '/apis/coordination.k8s.io/v1/namespaces/kubestitch/leases', {
        ...lease('a'),
        metadata: { name: 'x' },
      });
      expect(created.body.metadata.namespace).toBe('kubestitch');
    });

    it('refuses a create into a missing namespace (404), a bad name (422) and a non-JSON body (415)', async () => {
      const unplaced = { ...lease('a'), metadata: { name: 'kubestitch' } };
      expect(
        (await send('POST', '/apis/coordination.k8s.io/v1/namespaces/nowhere/leases', unplaced)).body.message,
      ).toBe('namespaces "nowhere" not found');
      expect(
        (await send('POST', '/apis/coordination.k8s.io/v1/namespaces/default/leases', lease('a'))).body.message,
      ).toBe('the namespace of the provided object does not match the namespace sent on the request');
      const bad = { ...lease('a'), metadata: { name: 'Not_Valid' } };
      expect((await send('POST', '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases', bad)).status).toBe(422);
      expect(
        (await send('POST', '/api/v1/namespaces/default/configmaps', {}, 'application/vnd.kubernetes.protobuf')).status,
      ).toBe(415);
    });

    it('sets generation 1 and bumps it only on spec changes for kinds that track it', async () => {
      const d = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { replicas: 1 } };
      const created = await send('POST', '/apis/apps/v1/namespaces/default/deployments', d);
      expect(created.body.metadata.generation).toBe(1);
      const scaled = await send(
        'PATCH',
        '/apis/apps/v1/namespaces/default/deployments/web',
        { spec: { replicas: 3 } },
        'application/merge-patch+json',
      );
      expect(scaled.body.metadata.generation).toBe(2);
      const labelled = await send(
        'PATCH',
        '/apis/apps/v1/namespaces/default/deployments/web',
        { metadata: { labels: { a: 'b' } } },
        'application/merge-patch+json',
      );
      expect(labelled.body.metadata.generation).toBe(2);
    });
  });

  describe('PUT', () => {
    it('replaces with optimistic concurrency: a stale resourceVersion gets 409 Conflict', async () => {
      const created = await send('POST', '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases', lease('a'));
      const rv = created.body.metadata.resourceVersion;
      const next = { ...lease('b'), metadata: { ...created.body.metadata } };
      const ok = await send('PUT', '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kubestitch', next);
      expect(ok.status).toBe(200);
      expect(ok.body.metadata.resourceVersion).not.toBe(rv);
      const stale = await send('PUT', '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kubestitch', {
        ...lease('c'),
        metadata: { ...created.body.metadata },
      });
      expect(stale.status).toBe(409);
      expect(stale.body).toMatchObject({
        reason: 'Conflict',
        message:
          'Operation cannot be fulfilled on leases.coordination.k8s.io "kubestitch": the object has been modified; please apply your changes to the latest version and try again',
      });
    });

    it('keeps status on the main resource and changes it only through /status', async () => {
      server.apply('ADDED', pod('a'));
      const cur = server.get('v1', 'Pod', 'shop', 'a') as Json;
      const main = await send('PUT', '/api/v1/namespaces/shop/pods/a', { ...cur, status: { phase: 'Failed' } });
      expect((main.body as { status?: unknown }).status).toEqual({ phase: 'Running' });
      const viaStatus = await send('PUT', '/api/v1/namespaces/shop/pods/a/status', {
        ...cur,
        status: { phase: 'Failed' },
      });
      expect((viaStatus.body as { status?: unknown }).status).toEqual({ phase: 'Failed' });
    });

    it('writes nothing for a no-op update', async () => {
      server.apply('ADDED', pod('a'));
      const rv = server.resourceVersion();
      const cur = server.get('v1', 'Pod', 'shop', 'a') as Json;
      const res = await send('PUT', '/api/v1/namespaces/shop/pods/a', cur);
      expect(res.body.metadata.resourceVersion).toBe(rv);
      expect(server.resourceVersion()).toBe(rv);
    });
  });

  describe('PATCH', () => {
    it('applies merge, strategic-merge (containers by name) and json patches', async () => {
      server.apply(
        'ADDED',
        pod('a', 'shop', {
          spec: {
            containers: [
              { name: 'c', image: 'nginx:1.25', ports: [{ containerPort: 80 }] },
              { name: 'd', image: 'x' },
            ],
          },
        }),
      );
      const path = '/api/v1/namespaces/shop/pods/a';
      const merge = await send(
        'PATCH',
        path,
        { metadata: { labels: { tier: 'web' } } },
        'application/merge-patch+json',
      );
      expect(merge.body.metadata.labels).toEqual({ app: 'web', tier: 'web' });
      const smp = await send(
        'PATCH',
        path,
        { spec: { containers: [{ name: 'c', image: 'nginx:1.26' }] } },
        'application/strategic-merge-patch+json',
      );
      expect((smp.body as unknown as { spec: { containers: unknown[] } }).spec.containers).toEqual([
        { name: 'c', image: 'nginx:1.26', ports: [{ containerPort: 80 }] },
        { name: 'd', image: 'x' },
      ]);
      const jp = await send(
        'PATCH',
        path,
        [{ op: 'replace', path: '/metadata/labels/tier', value: 'db' }],
        'application/json-patch+json',
      );
      expect(jp.body.metadata.labels).toEqual({ app: 'web', tier: 'db' });
      const failedTest = await send(
        'PATCH',
        path,
        [{ op: 'test', path: '/metadata/labels/tier', value: 'web' }],
        'application/json-patch+json',
      );
      expect(failedTest.status).toBe(422);
      expect((await send('PATCH', path, {}, 'application/apply-patch+yaml')).status).toBe(415);
      expect(
        (await send('PATCH', '/api/v1/namespaces/shop/pods/missing', {}, 'application/merge-patch+json')).status,
      ).toBe(404);
    });

    it('emits one MODIFIED watch event per write', async () => {
      server.apply('ADDED', pod('a'));
      const w = await openWatch(`${server.url}/api/v1/pods?watch=true&resourceVersion=${server.resourceVersion()}`);
      await send(
        'PATCH',
        '/api/v1/namespaces/shop/pods/a',
        { metadata: { labels: { x: 'y' } } },
        'application/merge-patch+json',
      );
      const e = await w.next();
      expect([e.type, e.object.metadata?.labels]).toEqual(['MODIFIED', { app: 'web', x: 'y' }]);
      w.close();
    });
  });

  describe('DELETE', () => {
    it('answers a Success Status for most kinds and the object for pods, with a DELETED event', async () => {
      await send('POST', '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases', lease('a'));
      const w = await openWatch(
        `${server.url}/apis/coordination.k8s.io/v1/leases?watch=true&resourceVersion=${server.resourceVersion()}`,
      );
      const del = await send('DELETE', '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kubestitch');
      expect(del.body).toMatchObject({
        kind: 'Status',
        status: 'Success',
        details: { name: 'kubestitch', group: 'coordination.k8s.io', kind: 'leases' },
      });
      expect((await w.next()).type).toBe('DELETED');
      w.close();
      server.apply('ADDED', pod('a'));
      expect((await send('DELETE', '/api/v1/namespaces/shop/pods/a')).body.kind).toBe('Pod');
      expect((await send('DELETE', '/api/v1/namespaces/shop/pods/a')).status).toBe(404);
    });

    it('keeps an object with finalizers until the last finalizer is removed', async () => {
      server.apply('ADDED', { ...pod('a'), metadata: { name: 'a', namespace: 'shop', finalizers: ['example.com/x'] } });
      const pending = await send('DELETE', '/api/v1/namespaces/shop/pods/a');
      expect(pending.status).toBe(202);
      expect(pending.body.metadata.deletionTimestamp).toBeDefined();
      await send(
        'PATCH',
        '/api/v1/namespaces/shop/pods/a',
        { metadata: { finalizers: null } },
        'application/merge-patch+json',
      );
      expect(server.get('v1', 'Pod', 'shop', 'a')).toBeUndefined();
    });

    it('checks DeleteOptions preconditions', async () => {
      server.apply('ADDED', pod('a'));
      const res = await send('DELETE', '/api/v1/namespaces/shop/pods/a', {
        kind: 'DeleteOptions',
        apiVersion: 'v1',
        preconditions: { uid: 'other' },
      });
      expect(res.status).toBe(409);
      expect(server.get('v1', 'Pod', 'shop', 'a')).toBeDefined();
    });
  });

  describe('verbs', () => {
    it('answers 405 MethodNotAllowed for a verb the path does not serve', async () => {
      const res = await send('PUT', '/api/v1/namespaces/shop/pods', {});
      expect(res.status).toBe(405);
      expect(res.body).toMatchObject({ kind: 'Status', reason: 'MethodNotAllowed', code: 405 });
    });

    it('deletes a collection by label selector and answers the deleted objects', async () => {
      server.apply('ADDED', pod('a'));
      server.apply('ADDED', { ...pod('b'), metadata: { name: 'b', namespace: 'shop', labels: { app: 'db' } } });
      const res = await send('DELETE', '/api/v1/namespaces/shop/pods?labelSelector=app%3Dweb');
      expect((res.body as unknown as { items: Json[] }).items.map((i) => i.metadata.name)).toEqual(['a']);
      expect(server.count('v1', 'Pod')).toBe(1);
    });
  });

  describe('with @kubernetes/client-node', () => {
    it('creates, reads and updates a Lease, and surfaces the 409 of a stale update', async () => {
      const kc = new KubeConfig();
      kc.loadFromFile(await server.kubeconfig(join(dir, 'kubeconfig')));
      const api = kc.makeApiClient(CoordinationV1Api);
      const body: V1Lease = {
        metadata: { name: 'leader', namespace: 'kube-system' },
        spec: { holderIdentity: 'a', leaseDurationSeconds: 15 },
      };
      const created = await api.createNamespacedLease({ namespace: 'kube-system', body });
      expect(created.metadata?.resourceVersion).toBe(server.resourceVersion());
      const read = await api.readNamespacedLease({ name: 'leader', namespace: 'kube-system' });
      const renewed = await api.replaceNamespacedLease({
        name: 'leader',
        namespace: 'kube-system',
        body: { ...read, spec: { ...read.spec, holderIdentity: 'b' } },
      });
      expect(renewed.spec?.holderIdentity).toBe('b');
      await expect(
        api.replaceNamespacedLease({
          name: 'leader',
          namespace: 'kube-system',
          body: { ...read, spec: { ...read.spec, holderIdentity: 'c' } },
        }),
      ).rejects.toMatchObject({ code: 409 });
      expect(
        (server.get('coordination.k8s.io/v1', 'Lease', 'kube-system', 'leader') as { spec: unknown }).spec,
      ).toMatchObject({ holderIdentity: 'b' });
    });
  });
});
