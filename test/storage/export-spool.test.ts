import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { SpanData } from '../../src/model/span.js';
import { synthesizeRecords } from '../../src/replay.js';
import { SCENARIOS, runScenario, writeRecording } from '../../tools/sim/index.js';
import { readRecording } from '../../src/sources/recording/read-recording.js';
import type { KvIterateOptions, KvOp, KvStore, KvValue } from '../../storage/index.js';
import { ExportSpool, MemoryStore, StoreClosedError, openLevelStore } from '../../storage/index.js';
import type { ExportSpoolOptions, SpooledBatch } from '../../storage/index.js';
import { collect } from './kv-store-contract.js';

/** Every golden scenario with audit, as the batches synth hands to export. */
async function goldenBatches(): Promise<SpanData[][]> {
  const batches: SpanData[][] = [];
  for (const scenario of SCENARIOS) {
    const dir = await mkdtemp(join(tmpdir(), `ks-spool-${scenario}-`));
    await writeRecording(dir, runScenario(scenario));
    batches.push(...synthesizeRecords((await readRecording(dir)).records, { cluster: 'sim' }));
    await rm(dir, { recursive: true, force: true });
  }
  return batches;
}

const span = (id: number, extra: Partial<SpanData> = {}): SpanData => ({
  traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
  spanId: id.toString(16).padStart(16, '0'),
  name: `span ${id}`,
  kind: 'internal',
  startMs: 1_700_000_000_000 + id,
  endMs: 1_700_000_000_500 + id,
  resource: { attributes: { 'service.name': 'kube-controller-manager', 'k8s.cluster.name': 'sim' } },
  attributes: { 'kubestitch.filler': 'x'.repeat(200) },
  events: [],
  links: [],
  status: { code: 'unset' },
  ...extra,
});
const batchOf = (...ids: number[]): SpanData[] => ids.map((id) => span(id));

/** What one batch of `ids` weighs in a spool (ids of one digit count keep sizes equal). */
async function sizeOf(...ids: number[]): Promise<number> {
  const result = await (await ExportSpool.open(new MemoryStore())).append(batchOf(...ids));
  if (result.status !== 'spooled') throw new Error('not spooled');
  return result.bytes;
}

/** Takes every batch in order, acking each: what a drainer with a perfect backend would see. */
async function drainAll(spool: ExportSpool): Promise<SpooledBatch[]> {
  const out: SpooledBatch[] = [];
  for (let batch = await spool.head(); batch !== undefined; batch = await spool.head()) {
    out.push(batch);
    expect(await spool.ack(batch.seq)).toBe(true);
  }
  return out;
}

/** Bytes the spool's batch records really take: UTF-8 of key and value, read back from the store. */
async function storedBatchBytes(store: KvStore): Promise<number> {
  const entries = await collect(store, { gte: 'b/', lt: 'b/~' });
  return entries.reduce((sum, [key, value]) => sum + Buffer.byteLength(key) + Buffer.byteLength(String(value)), 0);
}

interface LogLine {
  readonly level: 'info' | 'warn' | 'error';
  readonly context: Record<string, unknown>;
  readonly message: string;
}
function captureLogger(): { lines: LogLine[]; logger: ExportSpoolOptions['logger'] } {
  const lines: LogLine[] = [];
  const at =
    (level: LogLine['level']) =>
    (context: object, message: string): void => {
      lines.push({ level, context: { ...context }, message });
    };
  return { lines, logger: { info: at('info'), warn: at('warn'), error: at('error') } };
}

/** A MemoryStore view whose next batch can be made to fail. */
class FailingStore implements KvStore {
  readonly inner = new MemoryStore();
  failNext: Error | undefined;

  async batch(ops: readonly KvOp[]): Promise<void> {
    const failure = this.failNext;
    this.failNext = undefined;
    if (failure !== undefined) throw failure;
    await this.inner.batch(ops);
  }
  get(key: string): Promise<KvValue | undefined> {
    return this.inner.get(key);
  }
  iterate(options?: KvIterateOptions): AsyncIterable<readonly [string, KvValue]> {
    return this.inner.iterate(options);
  }
  namespace(name: string): KvStore {
    return this.inner.namespace(name);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

describe('ExportSpool', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    vi.useRealTimers();
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function levelDir(): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'ks-export-spool-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    return dir;
  }
  async function openLevel(dir: string): Promise<KvStore> {
    const root = await openLevelStore(dir, { schemaVersion: 1 });
    cleanups.push(() => root.close());
    return root;
  }

  describe('append and head', () => {
    let golden: SpanData[][] = [];
    beforeAll(async () => {
      golden = await goldenBatches();
    });

    it('gives every golden-scenario batch back exactly and in order after a LevelDB reopen', async () => {
      expect(golden.length).toBeGreaterThan(20);
      expect(golden.some((b) => b.some((s) => s.events.length > 0))).toBe(true);
      expect(golden.some((b) => b.some((s) => s.links.length > 0))).toBe(true);
      const dir = await levelDir();
      const first = await openLevel(dir);
      const spool = await ExportSpool.open(first.namespace('export-spool'));
      const seqs: number[] = [];
      // Issued at once, as a busy pipeline would: they share store batches and keep call order.
      for (const result of await Promise.all(golden.map((batch) => spool.append(batch)))) {
        if (result.status !== 'spooled') throw new Error(`not spooled: ${result.status}`);
        seqs.push(result.seq);
      }
      expect(seqs).toEqual(golden.map((_, i) => i + 1));
      await spool.close();
      await first.close();

      const reopened = await ExportSpool.open((await openLevel(dir)).namespace('export-spool'));
      const drained = await drainAll(reopened);
      expect(drained.map((b) => b.seq)).toEqual(seqs);
      expect(drained.map((b) => b.spans)).toStrictEqual(golden);
      // Attribute order is part of "exactly": files and backends show attributes in this order.
      expect(drained.flatMap((b) => b.spans.map((s) => Object.keys(s.attributes)))).toEqual(
        golden.flatMap((b) => b.map((s) => Object.keys(s.attributes))),
      );
    });

    it('round-trips every attribute type and the numbers JSON cannot spell', async () => {
      const odd: SpanData = span(7, {
        parentSpanId: '00f067aa0ba902b7',
        kind: 'server',
        startMs: 1_700_000_000_000 + 1.234e-4,
        endMs: 1_700_000_000_001 + 0.9999999,
        resource: { attributes: { 'service.name': 'kubelet', 'k8s.node.name': 'node-1' } },
        attributes: {
          'k8s.pod.name': 'web-7d4b9 — ünïcode 🚀',
          'int.value': 42,
          'negative.value': -17,
          'float.value': 0.1 + 0.2,
          'big.value': 2 ** 60,
          'neg.zero': -0,
          'nan.value': NaN,
          'inf.value': Infinity,
          'neg.inf.value': -Infinity,
          'bool.true': true,
          'bool.false': false,
          'list.value': ['Available', 'Progressing', ''],
          'empty.list': [],
          'lone.surrogate': 'a\ud800b',
          '10': 'integer-like key',
          ['__proto__']: 'not a prototype',
        },
        events: [
          {
            name: 'Pulled',
            timeMs: 1_700_000_000_000.5,
            attributes: { 'kubestitch.event.count': 3, 'kubestitch.event.type': 'Normal' },
          },
          { name: 'BackOff', timeMs: 1_700_000_000_001, attributes: {} },
        ],
        links: [
          {
            traceId: '0af7651916cd43dd8448eb211c80319c',
            spanId: 'b7ad6b7169203331',
            attributes: { 'link.kind': 'node' },
          },
        ],
        status: { code: 'error', message: 'ProgressDeadlineExceeded' },
      });
      const batch = [odd, span(8, { status: { code: 'ok' } }), span(9, { status: { code: 'error', message: '' } })];
      const spool = await ExportSpool.open(new MemoryStore());
      expect((await spool.append(batch)).status).toBe('spooled');
      const [back] = await drainAll(spool);
      expect(back?.spans).toStrictEqual(batch);
      const attrs = back?.spans[0]?.attributes ?? {};
      expect(Object.is(attrs['neg.zero'], -0)).toBe(true);
      expect(Object.keys(attrs)).toEqual(Object.keys(odd.attributes));
      expect(Object.getPrototypeOf(attrs)).toBe(Object.prototype);
    });
  });

  describe('byte accounting', () => {
    it('counts what the records take on disk, keeps it across reopen, and never reuses a sequence', async () => {
      const dir = await levelDir();
      let root = await openLevel(dir);
      let spool = await ExportSpool.open(root.namespace('spool'));
      let sum = 0;
      for (let i = 1; i <= 5; i++) {
        const result = await spool.append(batchOf(i * 10, i * 10 + 1));
        if (result.status === 'spooled') sum += result.bytes;
      }
      const before = spool.stats();
      expect(before).toMatchObject({ batches: 5, spans: 10, bytes: sum, lastSeq: 5 });
      expect(before.bytes).toBe(await storedBatchBytes(root.namespace('spool')));
      const head = await spool.head();
      await spool.ack(head?.seq ?? 0);
      await spool.close();
      await root.close();

      root = await openLevel(dir);
      spool = await ExportSpool.open(root.namespace('spool'));
      const after = spool.stats();
      expect(after).toMatchObject({ batches: 4, spans: 8, lastSeq: 5 });
      expect(after.bytes).toBe(await storedBatchBytes(root.namespace('spool')));
      expect(after.oldestSpooledAtMs).toBeTypeOf('number');
      const next = await spool.append(batchOf(99));
      expect(next).toMatchObject({ status: 'spooled', seq: 6 });
      await drainAll(spool);
      expect(spool.stats()).toMatchObject({ batches: 0, spans: 0, bytes: 0, oldestSpooledAtMs: undefined });
      expect(await storedBatchBytes(root.namespace('spool'))).toBe(0);
    });

    it('changes nothing when the store write fails', async () => {
      const store = new FailingStore();
      const spool = await ExportSpool.open(store);
      await spool.append(batchOf(1));
      store.failNext = new Error('disk full');
      await expect(spool.append(batchOf(2))).rejects.toThrow('disk full');
      expect(spool.stats()).toMatchObject({ batches: 1, spans: 1, lastSeq: 1, writeFailures: 1 });
      const reopened = await ExportSpool.open(store);
      expect(reopened.stats()).toMatchObject({ batches: 1, spans: 1, lastSeq: 1 });
      expect((await drainAll(reopened)).map((b) => b.spans[0]?.name)).toEqual(['span 1']);
    });

    it('refuses calls after close and leaves what is spooled for the next open', async () => {
      const store = new MemoryStore();
      const spool = await ExportSpool.open(store);
      await spool.append(batchOf(1));
      await spool.close();
      await expect(spool.append(batchOf(2))).rejects.toBeInstanceOf(StoreClosedError);
      expect((await ExportSpool.open(store)).stats().batches).toBe(1);
    });
  });

  describe('bound', () => {
    it('drop-oldest evicts the oldest batches, never the one being exported, and counts them', async () => {
      const size = await sizeOf(10, 11);
      const { lines, logger } = captureLogger();
      const spool = await ExportSpool.open(new MemoryStore(), { maxBytes: size * 3 + 10, logger });
      for (let i = 1; i <= 3; i++) await spool.append(batchOf(i * 10, i * 10 + 1));
      const exporting = await spool.head(); // batch 10/11 is in flight to the backend
      expect(exporting?.spans[0]?.name).toBe('span 10');
      expect(await spool.append(batchOf(40, 41))).toMatchObject({ status: 'spooled' });
      expect(await spool.append(batchOf(50, 51))).toMatchObject({ status: 'spooled' });

      const stats = spool.stats();
      expect(stats.bytes).toBeLessThanOrEqual(size * 3 + 10);
      expect(stats.droppedSpans.overflow).toBe(4);
      expect(stats.droppedBatches.overflow).toBe(2);
      expect(lines.filter((l) => l.level === 'error')).toHaveLength(1);
      expect(lines[0]?.message).toMatch(/spool full: dropping the oldest/);
      // The in-flight batch survived eviction and is acked normally; order of the rest is kept.
      expect(await spool.ack(exporting?.seq ?? 0)).toBe(true);
      expect((await drainAll(spool)).map((b) => b.spans[0]?.name)).toEqual(['span 40', 'span 50']);
    });

    it('reject-new refuses a batch that does not fit and drops nothing', async () => {
      const size = await sizeOf(1, 2);
      const spool = await ExportSpool.open(new MemoryStore(), { maxBytes: size * 2, overflow: 'reject-new' });
      await spool.append(batchOf(1, 2));
      await spool.append(batchOf(3, 4));
      const refused = await spool.append(batchOf(5, 6));
      expect(refused.status).toBe('refused');
      expect(spool.stats()).toMatchObject({ batches: 2, refusedSpans: 2, droppedSpans: { overflow: 0 } });
      expect((await drainAll(spool)).map((b) => b.spans[0]?.name)).toEqual(['span 1', 'span 3']);
    });

    it('drops a batch larger than the whole spool as too-large and keeps the rest', async () => {
      const size = await sizeOf(1, 2);
      const spool = await ExportSpool.open(new MemoryStore(), { maxBytes: size * 2 });
      await spool.append(batchOf(1, 2));
      const huge = await spool.append(batchOf(...Array.from({ length: 20 }, (_, i) => 100 + i)));
      expect(huge).toMatchObject({ status: 'dropped', reason: 'too-large' });
      expect(spool.stats()).toMatchObject({ batches: 1, droppedSpans: { 'too-large': 20, overflow: 0 } });
    });

    it('keeps order across many appends issued at once while evicting', async () => {
      const size = await sizeOf(100, 101);
      const spool = await ExportSpool.open(new MemoryStore(), { maxBytes: size * 5 });
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => spool.append(batchOf(100 + 2 * i, 101 + 2 * i))),
      );
      expect(results.map((r) => r.status)).toEqual(Array(20).fill('spooled'));
      const names = (await drainAll(spool)).map((b) => b.spans[0]?.name);
      expect(names).toEqual(['span 130', 'span 132', 'span 134', 'span 136', 'span 138']);
      expect(spool.stats().droppedSpans.overflow).toBe(30);
    });
  });

  describe('drop logging', () => {
    it('logs the first drop at once, then one summary per minute while drops continue', async () => {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
      const size = await sizeOf(1000, 1001);
      const { lines, logger } = captureLogger();
      const spool = await ExportSpool.open(new MemoryStore(), { maxBytes: size, logger });
      await spool.append(batchOf(1000, 1001));
      // One batch every second for three minutes, each evicting the previous one.
      for (let i = 1; i <= 180; i++) {
        await vi.advanceTimersByTimeAsync(1_000);
        await spool.append(batchOf(1000 + 2 * i, 1001 + 2 * i));
      }
      expect(spool.stats().droppedSpans.overflow).toBe(360);
      const errors = lines.filter((l) => l.level === 'error');
      const summaries = lines.filter((l) => l.level === 'warn');
      expect(errors).toHaveLength(1);
      expect(errors[0]?.context).toMatchObject({ reason: 'overflow', dropped: 2 });
      expect(summaries.length).toBeGreaterThanOrEqual(2);
      expect(summaries.length).toBeLessThanOrEqual(3);
      // Drops at 2 s … 60 s (the one at 1 s was the first line).
      expect(summaries[0]?.message).toBe('export spool: dropped 118 spans in the last 60 s');
      // Drops stop: the pending tail is summarized once, then the log stays quiet.
      await vi.advanceTimersByTimeAsync(60_000);
      const quiet = lines.length;
      await vi.advanceTimersByTimeAsync(600_000);
      expect(lines).toHaveLength(quiet);
      // Nothing dropped went unreported: the first line and the summaries add up.
      const reported = lines.reduce((sum, l) => sum + Number(l.context['dropped'] ?? 0), 0);
      expect(reported).toBe(360);
      // A new outage after a quiet interval is news again: logged at once, as an error.
      await spool.append(batchOf(1500, 1501));
      expect(lines.filter((l) => l.level === 'error')).toHaveLength(2);
      expect(lines.at(-1)?.context).toMatchObject({ reason: 'overflow', dropped: 2 });
      await spool.close();
    });
  });

  describe('draining', () => {
    it('starts each read at the oldest live batch, never at the drained (tombstoned) ones', async () => {
      // LevelDB keeps deleted keys until compaction; reads from the bottom of the range would step
      // over every batch drained so far. Measured on 20 000 batches: the first quarter drained in
      // 2.2 s reading from the oldest live batch, 50 s reading from the bottom.
      const store = new FailingStore();
      const ranges: Array<string | undefined> = [];
      const iterate = store.iterate.bind(store);
      store.iterate = (options?: KvIterateOptions) => {
        ranges.push(options?.gte);
        return iterate(options);
      };
      const spool = await ExportSpool.open(store);
      for (let i = 1; i <= 5; i++) await spool.append(batchOf(i));
      await drainAll(spool);
      await spool.append(batchOf(6));
      ranges.length = 0;
      expect((await spool.head())?.spans[0]?.name).toBe('span 6');
      expect(ranges).toEqual(['b/0000000000000006']);
    });
  });

  describe('corrupt records', () => {
    it('drops an undecodable batch as corrupt and hands out the next one', async () => {
      const store = new MemoryStore();
      const { lines, logger } = captureLogger();
      const spool = await ExportSpool.open(store, { logger });
      await spool.append(batchOf(1));
      await spool.append(batchOf(2));
      await store.batch([
        { type: 'put', key: 'b/0000000000000001', value: '{"n":1,"at":0}\n{"v":1,"r":[],"s":[["garbage"]]}' },
      ]);
      const head = await spool.head();
      expect(head?.spans[0]?.name).toBe('span 2');
      expect(spool.stats()).toMatchObject({ batches: 1, droppedSpans: { corrupt: 1 } });
      expect(lines.find((l) => l.level === 'error')?.context['err']).toMatch(/b\/0000000000000001.*corrupt/);
    });
  });
});
