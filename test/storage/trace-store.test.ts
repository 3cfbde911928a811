import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { TraceStoreOptions } from '../../storage/trace-store.js';
import { MemoryStore, TraceStore, openTraceStore } from '../../storage/index.js';
import type { Attributes, SpanData } from '../../src/model/span.js';
import { rolloutBatches, rolloutRoot } from '../ui/rollout-fixture.js';

interface Backend {
  readonly name: string;
  open(options?: TraceStoreOptions): Promise<TraceStore>;
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const memory: Backend = {
  name: 'MemoryStore',
  async open(options) {
    const store = await TraceStore.open(new MemoryStore(), { retentionIntervalMs: 3_600_000, ...options });
    cleanups.push(() => store.close());
    return store;
  },
};

const level: Backend = {
  name: 'LevelDB',
  async open(options) {
    const dir = await mkdtemp(join(tmpdir(), 'ks-trace-store-'));
    const store = await openTraceStore(dir, { retentionIntervalMs: 3_600_000, ...options });
    cleanups.push(async () => {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    });
    return store;
  },
};

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, '0');
}

/** A small synthetic span: trace `t`, span `s` (numbers → hex ids). */
function span(
  t: number,
  s: number,
  opts: {
    parent?: number;
    name?: string;
    service?: string;
    startMs?: number;
    durMs?: number;
    attrs?: Attributes;
    error?: boolean;
  } = {},
): SpanData {
  const startMs = opts.startMs ?? 1_700_000_000_000 + s;
  return {
    traceId: hex(t, 32),
    spanId: hex(s, 16),
    ...(opts.parent !== undefined ? { parentSpanId: hex(opts.parent, 16) } : {}),
    name: opts.name ?? `op-${s}`,
    kind: 'internal',
    startMs,
    endMs: startMs + (opts.durMs ?? 100),
    resource: { attributes: { 'service.name': opts.service ?? 'svc-a', 'k8s.cluster.name': 'test' } },
    attributes: opts.attrs ?? {},
    events: [],
    links: [],
    status: opts.error === true ? { code: 'error', message: 'boom' } : { code: 'ok' },
  };
}

describe.each([memory, level])('TraceStore on $name', (backend) => {
  describe('write', () => {
    it('keeps the trace summary current while children arrive before the root', async () => {
      const store = await backend.open();
      const batches = await rolloutBatches();
      const all = batches.flat();
      const root = rolloutRoot(all);
      const rootBatch = batches.findIndex((b) => b.some((s) => s.spanId === root.spanId));
      expect(rootBatch).toBeGreaterThan(0);
      for (const b of batches.slice(0, rootBatch)) await store.write(b);
      const early = await store.getSummary(root.traceId);
      expect(early?.root.isRoot).toBe(false);
      expect(early?.root.name).not.toBe('Deployment rollout');
      for (const b of batches.slice(rootBatch)) await store.write(b);
      const inTrace = all.filter((s) => s.traceId === root.traceId);
      const summary = await store.getSummary(root.traceId);
      expect(summary).toMatchObject({
        spanCount: inTrace.length,
        startUs: Math.round(root.startMs * 1000),
        endUs: Math.round(root.endMs * 1000),
        root: {
          name: 'Deployment rollout',
          service: 'kube-controller-manager',
          outcome: 'ok',
          isRoot: true,
          object: 'Deployment shop/web',
        },
        errorCount: 0,
      });
      expect((await store.getTrace(root.traceId))?.map((s) => s.spanId).sort()).toEqual(
        inTrace.map((s) => s.spanId).sort(),
      );
      const listed = await store.listTraces({ limit: 100 });
      expect(listed.filter((s) => s.traceId === root.traceId)).toHaveLength(1);
      expect(store.stats()).toMatchObject({ traces: new Set(all.map((s) => s.traceId)).size, spans: all.length });
    });

    it('stores a re-exported span once (same span id twice)', async () => {
      const store = await backend.open();
      const batches = await rolloutBatches();
      for (const b of batches) await store.write(b);
      const before = store.stats();
      const again = await store.write(batches.flat());
      expect(again).toMatchObject({ stored: 0, duplicates: before.spans });
      expect(store.stats()).toMatchObject({ spans: before.spans, traces: before.traces, bytes: before.bytes });
      const root = rolloutRoot(batches.flat());
      expect((await store.getSummary(root.traceId))?.spanCount).toBe(
        batches.flat().filter((s) => s.traceId === root.traceId).length,
      );
      // Duplicates inside one call collapse too.
      const fresh = span(9, 1);
      expect(await store.write([fresh, fresh])).toMatchObject({ stored: 2, duplicates: 0 });
      expect((await store.getSummary(fresh.traceId))?.spanCount).toBe(1);
    });

    it('replaces a changed span: indexes and error count follow the new version', async () => {
      const store = await backend.open();
      await store.write([span(1, 1), span(1, 2, { parent: 1 })]);
      expect((await store.findTraces({ tags: { error: 'true' }, limit: 10 })).traceIds).toEqual([]);
      await store.write([span(1, 2, { parent: 1, error: true })]);
      expect(await store.getSummary(hex(1, 32))).toMatchObject({ spanCount: 2, errorCount: 1 });
      expect((await store.findTraces({ tags: { error: 'true' }, limit: 10 })).traceIds).toEqual([hex(1, 32)]);
      await store.write([span(1, 2, { parent: 1 })]);
      expect(await store.getSummary(hex(1, 32))).toMatchObject({ spanCount: 2, errorCount: 0 });
      expect((await store.findTraces({ tags: { error: 'true' }, limit: 10 })).traceIds).toEqual([]);
    });

    it('skips a malformed span, counts it, and stores the rest of the batch', async () => {
      const store = await backend.open();
      const bad = { ...span(2, 1), traceId: 'not-hex' };
      const good = span(2, 2);
      const result = await store.write([bad, good]);
      expect(result.stored).toBe(1);
      expect(result.rejected).toEqual([{ spanId: hex(1, 16), reason: 'traceId is not 32 lower-case hex' }]);
      expect(store.stats().rejectedSpans).toBe(1);
      expect(await store.getTrace(good.traceId)).toHaveLength(1);
    });
  });

  describe('queries', () => {
    it('lists services and operations with their span kinds', async () => {
      const store = await backend.open();
      for (const b of await rolloutBatches()) await store.write(b);
      expect(await store.services()).toEqual(
        expect.arrayContaining(['kube-controller-manager', 'kube-scheduler', 'kubelet', 'kubectl']),
      );
      const ops = await store.operations('kubelet');
      expect(ops).toContainEqual({ service: 'kubelet', name: 'pod startup', spanKind: 'internal' });
      expect(ops).toContainEqual({ service: 'kubelet', name: 'patch pods/status', spanKind: 'client' });
      expect(ops.every((o) => o.service === 'kubelet')).toBe(true);
    });

    it('finds traces by service, operation, tags, duration and time', async () => {
      const store = await backend.open();
      const base = 1_700_000_000_000;
      await store.write([
        span(1, 1, {
          service: 'a',
          name: 'fast',
          startMs: base,
          durMs: 50,
          attrs: { 'kubestitch.outcome': 'ok', 'k8s.pod.name': 'p1' },
        }),
        span(2, 2, {
          service: 'a',
          name: 'slow',
          startMs: base + 1000,
          durMs: 5000,
          attrs: { 'kubestitch.outcome': 'failed' },
        }),
        span(3, 3, { service: 'b', name: 'slow', startMs: base + 2000, durMs: 2000, attrs: { 'k8s.pod.name': 'p1' } }),
      ]);
      const ids = async (q: Parameters<TraceStore['findTraces']>[0]): Promise<readonly string[]> =>
        (await store.findTraces(q)).traceIds;
      expect(await ids({ service: 'a', limit: 10 })).toEqual([hex(2, 32), hex(1, 32)]);
      expect(await ids({ service: 'a', operation: 'slow', limit: 10 })).toEqual([hex(2, 32)]);
      expect(await ids({ tags: { 'kubestitch.outcome': 'failed' }, limit: 10 })).toEqual([hex(2, 32)]);
      expect(await ids({ tags: { error: 'true' }, limit: 10 })).toEqual([hex(2, 32)]);
      expect(await ids({ tags: { 'k8s.pod.name': 'p1' }, limit: 10 })).toEqual([hex(3, 32), hex(1, 32)]);
      expect(await ids({ service: 'b', tags: { 'k8s.pod.name': 'p1' }, limit: 10 })).toEqual([hex(3, 32)]);
      expect(await ids({ service: 'a', minDurationUs: 1_000_000, limit: 10 })).toEqual([hex(2, 32)]);
      expect(await ids({ minDurationUs: 1_000_000, maxDurationUs: 3_000_000, limit: 10 })).toEqual([hex(3, 32)]);
      expect(await ids({ startUs: (base + 500) * 1000, endUs: (base + 1500) * 1000, limit: 10 })).toEqual([hex(2, 32)]);
      expect(await ids({ limit: 2 })).toEqual([hex(3, 32), hex(2, 32)]);
      expect(await ids({ service: 'nobody', limit: 10 })).toEqual([]);
    });

    it('finds Kubernetes objects by namespace/name, kind and name prefix, with their traces', async () => {
      const store = await backend.open();
      const batches = await rolloutBatches();
      for (const b of batches) await store.write(b);
      const root = rolloutRoot(batches.flat());
      const [web] = await store.searchObjects('shop/web');
      expect(web).toMatchObject({ kind: 'Deployment', namespace: 'shop', name: 'web', cluster: 'sim' });
      expect(web?.traces.map((t) => t.traceId)).toContain(root.traceId);
      expect((await store.searchObjects('deployment web'))[0]?.name).toBe('web');
      const prefixed = await store.searchObjects('web-');
      expect(new Set(prefixed.map((o) => o.kind))).toEqual(new Set(['ReplicaSet', 'Pod']));
      expect(await store.searchObjects('no-such-object')).toEqual([]);
    });
  });

  describe('retention', () => {
    it('deletes traces not written for longer than the retention, with their indexes and objects', async () => {
      let now = 0;
      const store = await backend.open({ retentionMs: 3 * 3600_000, nowMs: () => now });
      const objectAttrs = {
        'k8s.object.kind': 'Deployment',
        'k8s.object.name': 'old-app',
        'k8s.namespace.name': 'ns',
      };
      await store.write([
        span(1, 1, { service: 'old-svc', attrs: objectAttrs }),
        span(1, 2, { parent: 1, service: 'old-svc' }),
      ]);
      now = 2 * 3600_000;
      await store.write([span(2, 3, { service: 'new-svc' })]);
      expect(await store.searchObjects('ns/old-app')).toHaveLength(1);
      now = 4 * 3600_000;
      await store.runRetention();
      expect(await store.getTrace(hex(1, 32))).toBeUndefined();
      expect(await store.getSummary(hex(1, 32))).toBeUndefined();
      expect(await store.getTrace(hex(2, 32))).toHaveLength(1);
      expect(await store.services()).toEqual(['new-svc']);
      expect(await store.searchObjects('ns/old-app')).toEqual([]);
      expect((await store.findTraces({ limit: 10 })).traceIds).toEqual([hex(2, 32)]);
      expect(store.stats()).toMatchObject({ traces: 1, spans: 1, tracesExpired: 1 });
    });

    it('deletes the least recently written traces once the store is over its byte budget', async () => {
      let now = 1_000;
      const probe = await backend.open();
      await probe.write([span(1, 1), span(1, 2, { parent: 1 })]);
      const oneTrace = probe.stats().bytes;
      const store = await backend.open({ maxBytes: Math.floor(oneTrace * 2.5), nowMs: () => now });
      for (const t of [1, 2, 3, 4]) {
        now += 1_000;
        await store.write([span(t, t * 10), span(t, t * 10 + 1, { parent: t * 10 })]);
      }
      await store.flush();
      const left = await store.listTraces({ limit: 10 });
      expect(left.map((s) => s.traceId).sort()).toEqual([hex(3, 32), hex(4, 32)]);
      expect(store.stats().bytes).toBeLessThanOrEqual(Math.floor(oneTrace * 2.5));
      expect(store.stats().bytes).toBe(left.reduce((n, s) => n + s.bytes, 0));
      expect(store.stats().tracesEvicted).toBe(2);
    });

    it('keeps a trace that is still receiving spans (retention counts from the last write)', async () => {
      let now = 0;
      const store = await backend.open({ retentionMs: 3600_000, nowMs: () => now });
      await store.write([span(1, 1)]);
      now = 3000_000;
      await store.write([span(1, 2, { parent: 1 })]);
      now = 4000_000;
      await store.runRetention();
      expect(await store.getTrace(hex(1, 32))).toHaveLength(2);
    });
  });
});

describe('openTraceStore', () => {
  it('keeps traces, indexes and totals across a reopen of the data directory', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ks-trace-store-reopen-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const first = await openTraceStore(dir);
    for (const b of await rolloutBatches()) await first.write(b);
    const stats = first.stats();
    await first.close();
    const second = await openTraceStore(dir);
    cleanups.push(() => second.close());
    expect(second.stats()).toMatchObject({ traces: stats.traces, spans: stats.spans, bytes: stats.bytes });
    expect((await second.searchObjects('shop/web'))[0]?.traces).toHaveLength(1);
    expect(await second.services()).toContain('kubelet');
  });

  it('refuses writes after close with StoreClosedError', async () => {
    const store = await memory.open();
    await store.close();
    await expect(store.write([span(1, 1)])).rejects.toThrow(/closed/);
  });
});
