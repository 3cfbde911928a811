import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, KubeConfig, makeInformer, Watch } from '@kubernetes/client-node';
import type { Informer, ObjectCache, V1Pod } from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FakeApiserver } from '../../../tools/sim/apiserver/index.js';
import { startFakeApiserver } from '../../../tools/sim/apiserver/index.js';
import { pod } from './watch-reader.js';

let server: FakeApiserver;
let kc: KubeConfig;
let dir: string;
const stops: (() => unknown)[] = [];

interface Seen {
  events: {
    type: string;
    object: { metadata?: { name?: string; resourceVersion?: string }; code?: number; reason?: string };
  }[];
  done: Promise<unknown>;
}

/** Starts a client-node Watch and collects what its callbacks receive. */
async function watch(path: string, query: Record<string, string | number | boolean>): Promise<Seen> {
  const events: Seen['events'] = [];
  let resolveDone: (e: unknown) => void = () => undefined;
  const done = new Promise<unknown>((resolve) => (resolveDone = resolve));
  const ctl = await new Watch(kc).watch(path, query, (type, object) => events.push({ type, object }), resolveDone);
  stops.push(() => ctl.abort());
  return { events, done };
}

beforeEach(async () => {
  server = await startFakeApiserver({ bookmarkIntervalMs: 100 });
  dir = await mkdtemp(join(tmpdir(), 'fake-apiserver-client-node-'));
  kc = new KubeConfig();
  kc.loadFromFile(await server.kubeconfig(join(dir, 'kubeconfig')));
});
afterEach(async () => {
  for (const s of stops.splice(0)) await s();
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

describe('FakeApiserver with @kubernetes/client-node', () => {
  describe('Watch', () => {
    it('resumes from a resourceVersion, gets bookmarks and sees a clean end after timeoutSeconds', async () => {
      server.apply('ADDED', pod('a'));
      const rv = server.resourceVersion();
      server.apply('ADDED', pod('b'));
      const seen = await watch('/api/v1/pods', { resourceVersion: rv, allowWatchBookmarks: true, timeoutSeconds: 1 });
      expect(await seen.done).toBeNull();
      expect(seen.events[0]).toMatchObject({ type: 'ADDED', object: { metadata: { name: 'b' } } });
      expect(seen.events.some((e) => e.type === 'BOOKMARK')).toBe(true);
      expect(seen.events.map((e) => e.object.metadata?.name)).not.toContain('a');
    });

    it('passes the in-stream 410 ERROR to the callback, then reports a clean end', async () => {
      server.apply('ADDED', pod('a'));
      const old = server.resourceVersion();
      server.apply('ADDED', pod('b'));
      server.compact();
      const seen = await watch('/api/v1/pods', { resourceVersion: old });
      expect(await seen.done).toBeNull();
      expect(seen.events).toEqual([
        { type: 'ERROR', object: expect.objectContaining({ code: 410, reason: 'Expired' }) },
      ]);
    });

    it('reports an HTTP 410 as an error with statusCode 410', async () => {
      server.apply('ADDED', pod('a'));
      const old = server.resourceVersion();
      server.apply('ADDED', pod('b'));
      server.compact();
      server.setExpiredWatchMode('http');
      const seen = await watch('/api/v1/pods', { resourceVersion: old });
      expect(await seen.done).toMatchObject({ statusCode: 410 });
    });

    it('reports a dropped connection through done', async () => {
      const seen = await watch('/api/v1/pods', {});
      await expect.poll(() => server.watchCount()).toBe(1);
      server.apply('ADDED', pod('a'));
      await expect.poll(() => seen.events.length).toBe(1);
      server.dropWatches();
      // A broken chunked body is an error for the client, not the clean end a timeout gives.
      expect(await seen.done).toBeInstanceOf(Error);
      await expect.poll(() => server.watchCount()).toBe(0);
    });
  });

  describe('makeInformer (ListWatch)', () => {
    function informer(): Informer<V1Pod> & ObjectCache<V1Pod> {
      const core = kc.makeApiClient(CoreV1Api);
      const inf = makeInformer(kc, '/api/v1/pods', () => core.listPodForAllNamespaces());
      stops.push(() => inf.stop());
      return inf;
    }

    it('lists, then watches from the list resourceVersion', async () => {
      server.apply('ADDED', pod('a'));
      const inf = informer();
      const added: string[] = [];
      inf.on('add', (p) => added.push(String(p.metadata?.name)));
      await inf.start();
      await expect.poll(() => server.watchCount()).toBe(1);
      server.apply('ADDED', pod('b'));
      await expect.poll(() => added).toEqual(['a', 'b']);
      const list = server.requests.find((r) => r.path === '/api/v1/pods' && r.query.watch === undefined);
      const w = server.requests.find((r) => r.path === '/api/v1/pods' && r.query.watch === 'true');
      expect(w?.query.resourceVersion).toBeDefined();
      expect(Number(w?.query.resourceVersion)).toBeGreaterThan(0);
      expect(list).toBeDefined();
    });

    it('after a dropped watch and compaction, a restart gets the in-stream 410 and relists, reporting what changed', async () => {
      server.apply('ADDED', pod('a'));
      server.apply('ADDED', pod('gone'));
      const inf = informer();
      const log: string[] = [];
      inf.on('add', (p) => log.push(`add ${String(p.metadata?.name)}`));
      inf.on('delete', (p) => log.push(`delete ${String(p.metadata?.name)}`));
      await inf.start();
      await expect.poll(() => server.watchCount()).toBe(1);
      const lists = (): number =>
        server.requests.filter((r) => r.path === '/api/v1/pods' && r.query.watch === undefined).length;
      expect(lists()).toBe(1);
      // While the watch is stuck behind a slow stream, objects change and history is compacted.
      server.slowStreams(10_000);
      server.apply('DELETED', pod('gone'));
      server.apply('ADDED', pod('new'));
      server.compact();
      server.slowStreams(0);
      server.dropWatches();
      await expect.poll(() => server.watchCount()).toBe(0);
      // client-node stops on a broken stream; a restart resumes from its last resourceVersion, which is compacted.
      await inf.start();
      await expect.poll(() => lists()).toBe(2);
      await expect.poll(() => log).toEqual(['add a', 'add gone', 'delete gone', 'add new']);
      expect(
        inf
          .list()
          .map((p) => p.metadata?.name)
          .sort(),
      ).toEqual(['a', 'new']);
    });
  });
});
