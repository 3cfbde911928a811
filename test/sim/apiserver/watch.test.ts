import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FakeApiserver } from '../../../tools/sim/apiserver/index.js';
import { startFakeApiserver } from '../../../tools/sim/apiserver/index.js';
import { openWatch, pod, rvOf } from './watch-reader.js';
import type { WatchReader } from './watch-reader.js';

let server: FakeApiserver;
const open: WatchReader[] = [];

async function watch(path: string, headers: Record<string, string> = {}): Promise<WatchReader> {
  const w = await openWatch(`${server.url}${path}`, headers);
  open.push(w);
  return w;
}

beforeEach(async () => {
  server = await startFakeApiserver({ bookmarkIntervalMs: 100 });
});
afterEach(async () => {
  for (const w of open.splice(0)) w.close();
  await server.close();
});

describe('FakeApiserver watch', () => {
  describe('start', () => {
    it('streams chunked application/json with synthetic ADDED for the current state when resourceVersion is 0', async () => {
      server.apply('ADDED', pod('a'));
      server.apply('ADDED', pod('b'));
      const w = await watch('/api/v1/namespaces/shop/pods?watch=true&resourceVersion=0');
      expect(w.response.status).toBe(200);
      expect(w.response.headers.get('content-type')).toBe('application/json');
      expect(w.response.headers.get('transfer-encoding')).toBe('chunked');
      const first = [await w.next(), await w.next()];
      expect(first.map((e) => [e.type, e.object.metadata?.name])).toEqual([
        ['ADDED', 'a'],
        ['ADDED', 'b'],
      ]);
      expect(first[0]?.object.kind).toBe('Pod');
      server.apply('MODIFIED', pod('a', 'shop', { status: { phase: 'Succeeded' } }));
      const live = await w.next();
      expect(live.type).toBe('MODIFIED');
      expect(rvOf(live)).toBe(server.resourceVersion());
    });

    it('resumes strictly after the given resourceVersion, replaying history in order', async () => {
      server.apply('ADDED', pod('a'));
      const rv = server.resourceVersion();
      server.apply('ADDED', pod('b'));
      server.apply('MODIFIED', pod('a', 'shop', { status: { phase: 'Failed' } }));
      server.apply('DELETED', pod('b'));
      const w = await watch(`/api/v1/pods?watch=1&resourceVersion=${rv}`);
      const events = [await w.next(), await w.next(), await w.next()];
      expect(events.map((e) => `${e.type} ${String(e.object.metadata?.name)}`)).toEqual([
        'ADDED b',
        'MODIFIED a',
        'DELETED b',
      ]);
      const rvs = events.map((e) => Number(rvOf(e)));
      expect(rvs.every((x) => x > Number(rv))).toBe(true);
      expect([...rvs].sort((x, y) => x - y)).toEqual(rvs);
      // DELETED carries the last state with the deletion's own resourceVersion.
      expect(events[2]?.object.status).toEqual({ phase: 'Running' });
      expect(rvOf(events[2] ?? { object: {} })).toBe(server.resourceVersion());
    });

    it('turns selector transitions into ADDED/DELETED for the watcher', async () => {
      server.apply('ADDED', pod('a'));
      const w = await watch(
        `/api/v1/pods?watch=true&resourceVersion=${server.resourceVersion()}&labelSelector=app%3Dweb`,
      );
      server.apply('MODIFIED', { ...pod('a'), metadata: { name: 'a', namespace: 'shop', labels: { app: 'other' } } });
      expect((await w.next()).type).toBe('DELETED');
      server.apply('MODIFIED', pod('a'));
      expect((await w.next()).type).toBe('ADDED');
    });

    it('watches a single object by fieldSelector metadata.name', async () => {
      const w = await watch('/api/v1/namespaces/shop/pods?watch=true&fieldSelector=metadata.name%3Db');
      server.apply('ADDED', pod('a'));
      server.apply('ADDED', pod('b'));
      expect((await w.next()).object.metadata?.name).toBe('b');
    });
  });

  describe('expired resourceVersion', () => {
    it('answers 200 with an in-stream ERROR Status 410 Expired, then ends the stream', async () => {
      server.apply('ADDED', pod('a'));
      const old = server.resourceVersion();
      server.apply('ADDED', pod('b'));
      server.compact();
      const w = await watch(`/api/v1/pods?watch=true&resourceVersion=${old}`);
      expect(w.response.status).toBe(200);
      const e = await w.next();
      expect(e.type).toBe('ERROR');
      expect(e.object).toMatchObject({
        kind: 'Status',
        apiVersion: 'v1',
        status: 'Failure',
        reason: 'Expired',
        code: 410,
      });
      expect(e.object.message).toBe(`too old resource version: ${old} (${server.compactedResourceVersion()})`);
      expect(await w.ended).toBe('end');
    });

    it('answers HTTP 410 with a Status body in the http mode', async () => {
      server.apply('ADDED', pod('a'));
      const old = server.resourceVersion();
      server.apply('ADDED', pod('b'));
      server.compact();
      server.setExpiredWatchMode('http');
      const res = await fetch(`${server.url}/api/v1/pods?watch=true&resourceVersion=${old}`);
      expect(res.status).toBe(410);
      expect(await res.json()).toMatchObject({ kind: 'Status', reason: 'Expired', code: 410 });
    });

    it('rolls history off beyond its capacity, making old resourceVersions expire', async () => {
      const small = await startFakeApiserver({ historyCapacity: 2 });
      try {
        small.apply('ADDED', pod('a'));
        const old = small.resourceVersion();
        for (const n of ['b', 'c', 'd']) small.apply('ADDED', pod(n));
        const w = await openWatch(`${small.url}/api/v1/pods?watch=true&resourceVersion=${old}`);
        expect((await w.next()).object.code).toBe(410);
        w.close();
      } finally {
        await small.close();
      }
    });

    it('expireWatches sends an in-stream 410 to every open watch', async () => {
      const a = await watch('/api/v1/pods?watch=true');
      const b = await watch('/apis/apps/v1/deployments?watch=true');
      await expect.poll(() => server.watchCount()).toBe(2);
      server.expireWatches();
      for (const w of [a, b]) {
        const e = await w.next();
        expect([e.type, e.object.code, e.object.reason]).toEqual(['ERROR', 410, 'Expired']);
        expect(await w.ended).toBe('end');
      }
      await expect.poll(() => server.watchCount()).toBe(0);
    });
  });

  describe('bookmarks', () => {
    it('sends periodic BOOKMARKs carrying only kind, apiVersion and the current resourceVersion', async () => {
      server.apply('ADDED', pod('a'));
      const w = await watch(
        `/api/v1/pods?watch=true&allowWatchBookmarks=true&resourceVersion=${server.resourceVersion()}`,
      );
      const e = await w.next(2000);
      expect(e).toEqual({
        type: 'BOOKMARK',
        object: { kind: 'Pod', apiVersion: 'v1', metadata: { resourceVersion: server.resourceVersion() } },
      });
    });

    it('bookmarkNow reaches only watches that allow bookmarks', async () => {
      const slow = await startFakeApiserver({ bookmarkIntervalMs: 60_000 });
      try {
        const yes = await openWatch(`${slow.url}/apis/apps/v1/deployments?watch=true&allowWatchBookmarks=true`);
        const no = await openWatch(`${slow.url}/apis/apps/v1/deployments?watch=true`);
        await expect.poll(() => slow.watchCount()).toBe(2);
        slow.bookmarkNow();
        expect((await yes.next()).type).toBe('BOOKMARK');
        await expect(no.next(200)).rejects.toThrow(/no watch event/);
        yes.close();
        no.close();
      } finally {
        await slow.close();
      }
    });

    it('ends the initial events of sendInitialEvents with the initial-events-end bookmark', async () => {
      server.apply('ADDED', pod('a'));
      const w = await watch(
        '/api/v1/pods?watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true',
      );
      expect((await w.next()).type).toBe('ADDED');
      const end = await w.next();
      expect(end.type).toBe('BOOKMARK');
      expect(end.object.metadata?.annotations).toEqual({ 'k8s.io/initial-events-end': 'true' });
    });
  });

  describe('stream end and faults', () => {
    it('ends cleanly after timeoutSeconds', async () => {
      const w = await watch('/api/v1/pods?watch=true&timeoutSeconds=1');
      expect(await w.ended).toBe('end');
    });

    it('dropWatches breaks the stream without a clean end', async () => {
      const w = await watch('/api/v1/pods?watch=true');
      await expect.poll(() => server.watchCount()).toBe(1);
      server.dropWatches();
      expect(await w.ended).toBe('error');
    });

    it('slowStreams delays every event but keeps them all, in order', async () => {
      const w = await watch('/api/v1/pods?watch=true');
      await expect.poll(() => server.watchCount()).toBe(1);
      server.slowStreams(30);
      for (const n of ['a', 'b', 'c']) server.apply('ADDED', pod(n));
      const started = Date.now();
      const names = [];
      for (let i = 0; i < 3; i++) names.push((await w.next()).object.metadata?.name);
      expect(names).toEqual(['a', 'b', 'c']);
      expect(Date.now() - started).toBeGreaterThanOrEqual(60);
    });

    it('closes a watcher that falls too far behind, as the watch cache does', async () => {
      const tight = await startFakeApiserver({ watchQueueLimit: 5 });
      try {
        const w = await openWatch(`${tight.url}/api/v1/pods?watch=true`);
        await expect.poll(() => tight.watchCount()).toBe(1);
        tight.slowStreams(50);
        for (let i = 0; i < 10; i++) tight.apply('ADDED', pod(`p${i}`));
        expect(await w.ended).toBe('end');
        expect(tight.stats.watches.terminatedSlow).toBe(1);
      } finally {
        await tight.close();
      }
    });

    it('streams PartialObjectMetadata events for metadata-only watches', async () => {
      const w = await watch('/api/v1/pods?watch=true', {
        Accept: 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1',
      });
      await expect.poll(() => server.watchCount()).toBe(1);
      server.apply('ADDED', pod('a'));
      const e = await w.next();
      expect(e.object).toEqual({
        kind: 'PartialObjectMetadata',
        apiVersion: 'meta.k8s.io/v1',
        metadata: expect.objectContaining({ name: 'a' }),
      });
    });
  });
});
