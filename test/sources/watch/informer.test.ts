import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startFakeApiserver } from '../../../tools/sim/apiserver/index.js';
import type { FakeApiserver } from '../../../tools/sim/apiserver/index.js';
import type { Informer, InformerOptions } from '../../../src/sources/watch/informer.js';
import { KubeHttp } from '../../../src/sources/watch/kube-http.js';
import { kubeConfigFor } from '../../support/fake-kube-config.js';
import { CONFIGMAPS, Holder, meta, newInformer, until } from './informer-harness.js';

// The informer against the fake apiserver; against servers that misbehave:
// informer-misbehaving-server.test.ts.

// One fake apiserver for the file; each test works in its own namespace so tests do not see
// each other's objects (the informer watches cluster-wide, so objects are filtered by namespace).
let api: FakeApiserver;
let http: KubeHttp;
const informers: Informer[] = [];

beforeAll(async () => {
  // Bookmarks only when a test asks for one (bookmarkNow): periodic ones would move resume points.
  api = await startFakeApiserver({ bookmarkIntervalMs: 3_600_000 });
  http = new KubeHttp(kubeConfigFor(api.url));
});
afterAll(async () => {
  await api.close();
});
afterEach(async () => {
  await Promise.all(informers.splice(0).map((i) => i.stop()));
  api.slowStreams(0);
  api.setExpiredWatchMode('in-stream');
});

let nsCounter = 0;
const freshNamespace = (): string => `inf-${++nsCounter}`;

// Fed objects keep their uid (as a recording's do): one per namespace/name.
const uidOf = (ns: string, name: string): string => `uid-${ns}-${name}`;

function cm(ns: string, name: string, value = '1'): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace: ns, uid: uidOf(ns, name) },
    data: { value },
  };
}

function informer(holder: Holder, options: Partial<InformerOptions> = {}): Informer {
  const i = newInformer(http, holder, options);
  informers.push(i);
  return i;
}

/** Applies an object and answers the `TYPE name@rv` line the informer must deliver for it. */
function change(type: 'ADDED' | 'MODIFIED' | 'DELETED', object: Record<string, unknown>): string {
  const before = type === 'DELETED' ? api.get('v1', 'ConfigMap', meta(object).namespace, meta(object).name) : undefined;
  const stored = api.apply(type, object);
  // A DELETED watch event carries the object at its deletion resourceVersion.
  const rv = type === 'DELETED' ? api.resourceVersion() : meta(stored ?? {}).resourceVersion;
  expect(type === 'DELETED' ? before : stored).toBeDefined();
  return `${type} ${meta(object).name}@${rv}`;
}

const watchRequests = (): number =>
  api.requests.filter((r) => r.path === '/api/v1/configmaps' && r.query['watch'] === 'true').length;

describe('Informer', () => {
  describe('initial list', () => {
    it('pages through a large list and delivers every object exactly once', async () => {
      const ns = freshNamespace();
      for (let i = 0; i < 20; i++) api.apply('ADDED', cm(ns, `cm-${String(i).padStart(2, '0')}`));
      const holder = new Holder(ns);
      const listsBefore = api.requests.filter((r) => r.path === '/api/v1/configmaps' && r.query['limit'] === '3');
      const inf = informer(holder, { pageSize: 3 });
      inf.start();
      await inf.synced();
      const names = holder.events.map((e) => meta(e.object).name);
      expect(names).toHaveLength(20);
      expect(new Set(names).size).toBe(20);
      expect(holder.events.every((e) => e.type === 'ADDED')).toBe(true);
      // Items of a typed list come without kind/apiVersion: the informer fills them in.
      expect(holder.events.every((e) => e.object['kind'] === 'ConfigMap' && e.object['apiVersion'] === 'v1')).toBe(
        true,
      );
      const pages = api.requests.filter((r) => r.path === '/api/v1/configmaps' && r.query['limit'] === '3');
      // At least 20 / 3 pages (the other tests' namespaces add to the cluster-wide list), each
      // after the first with the continue token of the one before.
      expect(pages.length - listsBefore.length).toBeGreaterThanOrEqual(7);
      expect(pages.slice(listsBefore.length + 1).every((r) => typeof r.query['continue'] === 'string')).toBe(true);
      const s = inf.status();
      expect(s).toMatchObject({ resource: 'configmaps.v1', synced: true, lists: 1, restarts: 0 });
      expect(s.lastListMs).toBeTypeOf('number');
    });

    it('retries a failed list with backoff and then syncs', async () => {
      const ns = freshNamespace();
      api.apply('ADDED', cm(ns, 'a'));
      api.failNext({ method: 'GET', pathPrefix: '/api/v1/configmaps', status: 500, times: 2 });
      const holder = new Holder(ns);
      const inf = informer(holder);
      inf.start();
      await inf.synced();
      expect(holder.names()).toEqual(['a']);
      expect(inf.status()).toMatchObject({ restarts: 2, lists: 3, synced: true });
      expect(inf.status().lastError).toContain('500');
    });
  });

  describe('watch', () => {
    it('resumes from a given resourceVersion with only the later changes, without listing', async () => {
      const ns = freshNamespace();
      api.apply('ADDED', cm(ns, 'a'));
      api.apply('ADDED', cm(ns, 'b'));
      const from = api.resourceVersion();
      const expected = [change('ADDED', cm(ns, 'c')), change('MODIFIED', cm(ns, 'a', '2'))];
      const holder = new Holder(ns);
      const listsBefore = api.requests.filter((r) => r.path === '/api/v1/configmaps' && r.query['watch'] !== 'true');
      const inf = informer(holder, { resourceVersion: from });
      inf.start();
      // A resumed informer has its state already (the caller restored it).
      await inf.synced();
      await until(() => holder.events.length >= 2, 'the changes after the resume point');
      expected.push(change('DELETED', cm(ns, 'b')));
      await until(() => holder.events.length >= 3, 'a live change');
      expect(holder.lines()).toEqual(expected);
      const lists = api.requests.filter((r) => r.path === '/api/v1/configmaps' && r.query['watch'] !== 'true');
      expect(lists.length).toBe(listsBefore.length);
      expect(inf.status().lists).toBe(0);
      const watch = api.requests.filter((r) => r.path === '/api/v1/configmaps' && r.query['watch'] === 'true').at(-1);
      expect(watch?.query).toMatchObject({ resourceVersion: from, allowWatchBookmarks: 'true' });
    });

    it('asks for bookmarks and a randomized server-side timeout', async () => {
      const holder = new Holder(freshNamespace());
      const before = watchRequests();
      const inf = informer(holder, { watchTimeoutSeconds: 100, random: () => 0.25 });
      inf.start();
      await until(() => watchRequests() > before && inf.status().phase === 'watching', 'a watch');
      const watch = api.requests.filter((r) => r.path === '/api/v1/configmaps' && r.query['watch'] === 'true').at(-1);
      // In [t, 2t) so that many informers do not all expire (and relist) at once.
      expect(watch?.query).toMatchObject({ allowWatchBookmarks: 'true', timeoutSeconds: '125' });
    });

    it('moves its resume point on bookmarks and reports it through onResourceVersion', async () => {
      const holder = new Holder(freshNamespace());
      const seen: string[] = [];
      const inf = informer(holder, { onResourceVersion: (rv) => seen.push(rv) });
      inf.start();
      await inf.synced();
      await until(() => inf.status().phase === 'watching' && api.watchCount() > 0, 'the watch');
      const listed = inf.status().resourceVersion;
      // A change of another kind moves the cluster's resourceVersion but sends nothing on this watch.
      api.apply('ADDED', {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: `svc-${nsCounter}`, namespace: holder.namespace },
      });
      const target = api.resourceVersion();
      expect(listed).not.toBe(target);
      api.bookmarkNow();
      await until(() => inf.status().resourceVersion === target, 'the bookmark resourceVersion');
      expect(seen.at(-1)).toBe(target);
      expect(holder.events).toHaveLength(0);
    });

    it('ends an in-stream 410 with a relist that delivers nothing unchanged', async () => {
      const ns = freshNamespace();
      api.apply('ADDED', cm(ns, 'a'));
      api.apply('ADDED', cm(ns, 'b'));
      const holder = new Holder(ns);
      const inf = informer(holder);
      inf.start();
      await inf.synced();
      await until(() => inf.status().phase === 'watching' && api.watchCount() > 0, 'the watch');
      const before = holder.lines();
      api.expireWatches();
      await until(() => inf.status().lists === 2 && inf.status().phase === 'watching', 'the relist');
      expect(inf.status()).toMatchObject({ relistsOn410: 1, restarts: 0 });
      // The relist found exactly what the caller holds: nothing to deliver again.
      expect(holder.lines()).toEqual(before);
      // And the new watch is live.
      const next = change('MODIFIED', cm(ns, 'a', 'after'));
      await until(() => holder.events.length === 3, 'a change after the relist');
      expect(holder.lines().at(-1)).toBe(next);
    });

    for (const mode of ['in-stream', 'http'] as const) {
      it(`relists on a ${mode} 410 at its resume point and diffs against what the caller holds`, async () => {
        const ns = freshNamespace();
        api.apply('ADDED', cm(ns, 'same'));
        api.apply('ADDED', cm(ns, 'changed'));
        api.apply('ADDED', cm(ns, 'vanished'));
        const from = api.resourceVersion();
        // The caller's state at `from` (as restored from a checkpoint after a restart).
        const holder = new Holder(ns);
        for (const name of ['same', 'changed', 'vanished']) {
          const o = api.get('v1', 'ConfigMap', ns, name) ?? {};
          holder.known.set(meta(o).uid, { resourceVersion: meta(o).resourceVersion, namespace: ns, name });
        }
        const vanished = meta(api.get('v1', 'ConfigMap', ns, 'vanished') ?? {});
        // While "down": one changes, one is deleted, one is created; history is compacted.
        const modified = change('MODIFIED', cm(ns, 'changed', '2'));
        api.apply('DELETED', cm(ns, 'vanished'));
        const added = change('ADDED', cm(ns, 'new'));
        api.compact();
        api.setExpiredWatchMode(mode);
        const inf = informer(holder, { resourceVersion: from });
        inf.start();
        await until(() => inf.status().lists === 1 && inf.status().phase === 'watching', 'the relist');
        expect(inf.status().relistsOn410).toBe(1);
        // Nothing for the unchanged object; the vanished one is known only by its last version.
        expect(holder.lines().sort()).toEqual([added, modified, `DELETED vanished@${vanished.resourceVersion}`].sort());
        const deleted = holder.events.filter((e) => e.type === 'DELETED');
        expect(deleted).toHaveLength(1);
        expect(deleted[0]?.missedDelete).toBe(true);
        expect(meta(deleted[0]?.object ?? {})).toMatchObject({ uid: vanished.uid, name: 'vanished', namespace: ns });
        expect(deleted[0]?.object['kind']).toBe('ConfigMap');
        expect(holder.names()).toEqual(['changed', 'new', 'same']);
        // Resumes from the list's resourceVersion, so the next change arrives once.
        const next = change('MODIFIED', cm(ns, 'same', '3'));
        await until(() => holder.lines().includes(next), 'a change after the relist');
        expect(holder.lines().filter((l) => l === next)).toHaveLength(1);
      });
    }
  });
  describe('failures', () => {
    it('resumes after a dropped connection without losing or repeating a change', async () => {
      const ns = freshNamespace();
      const holder = new Holder(ns);
      const inf = informer(holder);
      inf.start();
      await inf.synced();
      await until(() => inf.status().phase === 'watching' && api.watchCount() > 0, 'the watch');
      const expected: string[] = [];
      for (let i = 0; i < 5; i++) expected.push(change('ADDED', cm(ns, `o${i}`)));
      await until(() => holder.events.length === 5, 'the first changes');
      api.dropWatches();
      // Changes while the informer backs off and reconnects come from its resume point.
      for (let i = 0; i < 5; i++) expected.push(change('MODIFIED', cm(ns, `o${i}`, 'x')));
      expected.push(change('DELETED', cm(ns, 'o0')));
      await until(() => holder.events.length >= expected.length, 'the changes after the drop');
      await new Promise((r) => setTimeout(r, 50));
      expect(holder.lines()).toEqual(expected);
      expect(inf.status().restarts).toBeGreaterThanOrEqual(1);
      expect(inf.status().lists).toBe(1);
      expect(inf.status().lastError).toMatch(/dropped|aborted|reset|socket/i);
    });

    it('backs off on 500s with capped, jittered delays and then resumes without loss', async () => {
      const ns = freshNamespace();
      const holder = new Holder(ns);
      const retries: number[] = [];
      const inf = informer(holder, {
        backoffInitialMs: 8,
        backoffMaxMs: 40,
        random: () => 0.999,
        logger: {
          info: () => undefined,
          warn: (o) => {
            const ms = (o as { retryInMs?: number }).retryInMs;
            if (ms !== undefined) retries.push(ms);
          },
        },
      });
      inf.start();
      await inf.synced();
      await until(() => inf.status().phase === 'watching' && api.watchCount() > 0, 'the watch');
      const expected = [change('ADDED', cm(ns, 'before'))];
      await until(() => holder.events.length === 1, 'the first change');
      api.failNext({ method: 'GET', pathPrefix: '/api/v1/configmaps', status: 500, times: 5 });
      api.dropWatches();
      expected.push(change('ADDED', cm(ns, 'during')));
      await until(() => holder.events.length === 2, 'the change made during the outage');
      expected.push(change('MODIFIED', cm(ns, 'before', '2')));
      await until(() => holder.events.length === 3, 'a change after the outage');
      expect(holder.lines()).toEqual(expected);
      // The drop, then five 500s: each doubles the delay up to the cap.
      expect(retries).toEqual([7, 15, 31, 39, 39, 39]);
      expect(inf.status()).toMatchObject({ restarts: 6, lists: 1, relistsOn410: 0, phase: 'watching' });
      expect(inf.status().lastError).toContain('500');
    });

    it('reports the backoff phase while it waits', async () => {
      const holder = new Holder(freshNamespace());
      api.failNext({ method: 'GET', pathPrefix: '/api/v1/configmaps', status: 503, times: 1 });
      const inf = informer(holder, { backoffInitialMs: 60_000, backoffMaxMs: 60_000, random: () => 0.99 });
      inf.start();
      await until(() => inf.status().phase === 'backoff', 'the backoff phase');
      expect(inf.status()).toMatchObject({ synced: false, restarts: 1 });
      expect(inf.status().lastError).toContain('503');
      // stop() does not wait out the backoff.
      const requests = api.requests.length;
      await inf.stop();
      expect(inf.status().phase).toBe('stopped');
      expect(api.requests.length).toBe(requests);
    });

    it('retries a delivery the caller failed and resumes from the last delivered change', async () => {
      const ns = freshNamespace();
      for (let i = 0; i < 5; i++) api.apply('ADDED', cm(ns, `l${i}`));
      const holder = new Holder(ns);
      // The first page fails to be journaled: the list is done again, nothing is lost.
      holder.failNext = 1;
      const inf = informer(holder, { pageSize: 2 });
      inf.start();
      await inf.synced();
      expect(holder.names()).toEqual(['l0', 'l1', 'l2', 'l3', 'l4']);
      await until(() => inf.status().phase === 'watching' && api.watchCount() > 0, 'the watch');
      holder.failNext = 1;
      const expected = [
        change('MODIFIED', cm(ns, 'l1', 'x')),
        change('MODIFIED', cm(ns, 'l2', 'x')),
        change('DELETED', cm(ns, 'l3')),
      ];
      await until(() => holder.events.length >= 8, 'the watched changes');
      await new Promise((r) => setTimeout(r, 50));
      expect(holder.lines().slice(5)).toEqual(expected);
      expect(holder.failures).toBe(2);
      expect(inf.status().restarts).toBe(2);
    });
  });

  describe('metadataOnly', () => {
    it('asks for PartialObjectMetadata and delivers objects of the resource kind without their data', async () => {
      const ns = freshNamespace();
      api.apply('ADDED', cm(ns, 'listed', 'secret-ish'));
      const holder = new Holder(ns);
      const inf = informer(holder, { resource: { ...CONFIGMAPS, metadataOnly: true } });
      const before = api.requests.length;
      inf.start();
      await inf.synced();
      await until(() => inf.status().phase === 'watching' && api.watchCount() > 0, 'the watch');
      change('ADDED', cm(ns, 'watched', 'secret-ish'));
      await until(() => holder.events.length === 2, 'the watched object');
      const mine = api.requests.slice(before).filter((r) => r.path === '/api/v1/configmaps');
      const list = mine.find((r) => r.query['watch'] !== 'true');
      const watch = mine.find((r) => r.query['watch'] === 'true');
      expect(list?.accept).toContain('as=PartialObjectMetadataList;g=meta.k8s.io;v=v1');
      expect(watch?.accept).toContain('as=PartialObjectMetadata;g=meta.k8s.io;v=v1');
      for (const e of holder.events) {
        expect(e.object).toMatchObject({ kind: 'ConfigMap', apiVersion: 'v1' });
        expect(e.object['data']).toBeUndefined();
      }
      expect(holder.events.map((e) => meta(e.object).name)).toEqual(['listed', 'watched']);
    });
  });

  describe('stop', () => {
    it('closes the watch, resolves and reports stopped', async () => {
      const holder = new Holder(freshNamespace());
      const inf = informer(holder);
      const before = watchRequests();
      inf.start();
      await inf.synced();
      await until(() => inf.status().phase === 'watching' && watchRequests() > before, 'the watch');
      await until(() => api.watchCount() > 0, 'the watch on the server');
      const open = api.watchCount();
      await inf.stop();
      expect(inf.status().phase).toBe('stopped');
      await until(() => api.watchCount() === open - 1, 'the watch to close on the server');
      // Idempotent.
      await inf.stop();
      expect(inf.status().phase).toBe('stopped');
    });
  });
});
