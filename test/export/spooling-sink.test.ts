import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { OtlpGrpcSink } from '../../src/export/otlp-grpc-sink.js';
import type { ExportResult, SpanSink } from '../../src/export/sink.js';
import { SpoolingSink } from '../../src/export/spooling-sink.js';
import type { SpoolingSinkOptions } from '../../src/export/spooling-sink.js';
import type { SpanData } from '../../src/model/span.js';
import { synthesizeRecords } from '../../src/replay.js';
import { runScenario, writeRecording } from '../../tools/sim/index.js';
import { readRecording } from '../../src/sources/recording/read-recording.js';
import { ExportSpool, MemoryStore, openLevelStore } from '../../storage/index.js';
import type { ExportSpoolOptions, KvStore, SpoolLogger } from '../../storage/index.js';
import { OtlpGrpcReceiver } from '../support/otlp-grpc-receiver.js';

/**
 * Spans of a few golden scenarios (audit included), in batches of up to ten: few enough Export
 * calls to keep the tests fast, with events, links and every attribute type synth produces.
 */
async function goldenBatches(): Promise<SpanData[][]> {
  const spans: SpanData[] = [];
  for (const scenario of ['rolling-update', 'job-retries', 'node-not-ready'] as const) {
    const dir = await mkdtemp(join(tmpdir(), `ks-spooling-${scenario}-`));
    await writeRecording(dir, runScenario(scenario));
    spans.push(...synthesizeRecords((await readRecording(dir)).records, { cluster: 'sim' }).flat());
    await rm(dir, { recursive: true, force: true });
  }
  return Array.from({ length: Math.ceil(spans.length / 10) }, (_, i) => spans.slice(i * 10, i * 10 + 10));
}

/** Polls `check` until it holds (the drainer runs in the background); fails after `ms`. */
async function until(check: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function portOf(url: string): number {
  return Number(new URL(url).port);
}

interface LogLine {
  readonly level: string;
  readonly context: Record<string, unknown>;
  readonly message: string;
}
function captureLogger(): { lines: LogLine[]; logger: SpoolLogger } {
  const lines: LogLine[] = [];
  const at = (level: string) => (context: object, message: string) =>
    lines.push({ level, context: { ...context }, message });
  return { lines, logger: { info: at('info'), warn: at('warn'), error: at('error') } };
}

/** A scripted inner sink: answers from `script` in turn (then `ok`), recording every call. */
class ScriptedSink implements SpanSink {
  readonly calls: SpanData[][] = [];
  readonly script: ExportResult[];
  shutdowns = 0;

  constructor(script: ExportResult[] = []) {
    this.script = script;
  }

  async write(spans: readonly SpanData[]): Promise<ExportResult> {
    this.calls.push([...spans]);
    return this.script.shift() ?? { status: 'ok' };
  }
  async flush(): Promise<void> {}
  async shutdown(): Promise<void> {
    this.shutdowns++;
  }
}

/** A real sink that counts calls as they start (to stop a test while one is in flight). */
class CountingSink implements SpanSink {
  started = 0;
  readonly #inner: SpanSink;
  constructor(inner: SpanSink) {
    this.#inner = inner;
  }
  write(spans: readonly SpanData[]): Promise<ExportResult> {
    this.started++;
    return this.#inner.write(spans);
  }
  flush(): Promise<void> {
    return this.#inner.flush();
  }
  shutdown(): Promise<void> {
    return this.#inner.shutdown();
  }
}

const FAST = { initialBackoffMs: 10, maxBackoffMs: 100 } as const;

describe('SpoolingSink', () => {
  let golden: SpanData[][] = [];
  const cleanups: Array<() => Promise<unknown>> = [];
  beforeAll(async () => {
    golden = await goldenBatches();
  });
  afterEach(async () => {
    vi.useRealTimers();
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  const allSpanIds = (): string[] => golden.flat().map((s) => s.spanId);

  async function receiverAt(port = 0): Promise<{ receiver: OtlpGrpcReceiver; url: string }> {
    const receiver = new OtlpGrpcReceiver();
    const { url } = await receiver.start(port);
    cleanups.push(() => receiver.stop());
    return { receiver, url };
  }

  async function dataDir(): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'ks-spooling-sink-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    return dir;
  }

  /** A LevelDB store, an export spool on it and a sink exporting to `url` over real OTLP gRPC. */
  async function openSink(
    dir: string,
    url: string,
    options: Partial<Omit<SpoolingSinkOptions, 'spool' | 'inner'>> & { spool?: ExportSpoolOptions } = {},
  ): Promise<{ sink: SpoolingSink; store: KvStore; grpc: CountingSink }> {
    const store = await openLevelStore(dir, { schemaVersion: 1 });
    const { spool: spoolOptions, ...sinkOptions } = options;
    const spool = await ExportSpool.open(store.namespace('export-spool'), spoolOptions);
    const grpc = new CountingSink(new OtlpGrpcSink({ url, timeoutMillis: 2_000, retryAfterMs: 10 }));
    const sink = new SpoolingSink({ ...FAST, ...sinkOptions, spool, inner: grpc });
    cleanups.push(async () => {
      await sink.shutdown();
      await store.close();
    });
    return { sink, store, grpc };
  }

  describe('with the OTLP backend down', () => {
    it('answers ok once spooled, and every span arrives exactly once, in batch order, after it returns', async () => {
      const { receiver: probe, url } = await receiverAt();
      await probe.stop(); // the port is closed: nothing listens there
      const { sink } = await openSink(await dataDir(), url);

      for (const batch of golden) expect(await sink.write(batch)).toEqual({ status: 'ok' });
      await until(() => sink.stats().retries >= 3, 'export attempts against the closed port');
      expect(sink.stats()).toMatchObject({ spooledBatches: golden.length, exportedSpans: 0 });
      expect(sink.stats().lastError).toBeTypeOf('string');
      expect(sink.stats().backlogAgeMs).toBeGreaterThanOrEqual(0);

      const { receiver } = await receiverAt(portOf(url));
      await sink.flush({ deadlineMs: 20_000 });

      // Every span once (as a multiset: scenarios share a few deterministic ids), and one Export
      // request per spooled batch, in the order the batches were written.
      const received = receiver.spans().map((s) => s.spanId);
      expect(received.slice().sort()).toEqual(allSpanIds().sort());
      expect(receiver.requests).toHaveLength(golden.length);
      let offset = 0;
      for (const batch of golden) {
        const arrived = received.slice(offset, offset + batch.length);
        expect(arrived.sort()).toEqual(batch.map((s) => s.spanId).sort());
        offset += batch.length;
      }
      expect(sink.stats()).toMatchObject({ spooledBatches: 0, spooledBytes: 0, exportedSpans: received.length });
      expect(sink.stats().backlogAgeMs).toBe(0);
    });

    it('keeps the newest batches within the bound and counts every dropped span', async () => {
      const { receiver: probe, url } = await receiverAt();
      await probe.stop();
      const sizes = golden.map((b) => JSON.stringify(b).length);
      const maxBytes = Math.max(...sizes) * 4;
      const { lines, logger } = captureLogger();
      const { sink } = await openSink(await dataDir(), url, { logger, spool: { maxBytes, logger } });

      for (const batch of golden) {
        const result = await sink.write(batch);
        expect(result.status, result.status === 'ok' ? '' : result.error.message).toBe('ok');
      }
      const dropped = sink.stats().droppedSpans.overflow;
      expect(dropped).toBeGreaterThan(0);
      expect(sink.stats().spooledBytes).toBeLessThanOrEqual(maxBytes);
      expect(lines.filter((l) => l.level === 'error' && /spool full/.test(l.message))).toHaveLength(1);

      const { receiver } = await receiverAt(portOf(url));
      await sink.flush({ deadlineMs: 20_000 });
      const received = receiver.spans().map((s) => s.spanId);
      // Nothing lost within the bound: what arrived plus what was counted dropped is everything.
      expect(received.length + dropped).toBe(allSpanIds().length);
      const newest = golden.at(-1)?.map((s) => s.spanId) ?? [];
      expect(received).toEqual(expect.arrayContaining(newest));
    });

    it('flush gives up at its deadline and leaves the rest durable for the next start', async () => {
      const { receiver: probe, url } = await receiverAt();
      await probe.stop();
      const dir = await dataDir();
      const { lines, logger } = captureLogger();
      const first = await openSink(dir, url, { logger });
      for (const batch of golden.slice(0, 5)) await first.sink.write(batch);
      await first.sink.flush({ deadlineMs: 200 });
      expect(lines.some((l) => l.level === 'warn' && /flush deadline passed/.test(l.message))).toBe(true);
      await first.sink.shutdown();
      await first.store.close();

      const { receiver } = await receiverAt(portOf(url));
      const second = await openSink(dir, url);
      expect(second.sink.stats().spooledBatches).toBe(5);
      await second.sink.flush({ deadlineMs: 20_000 });
      expect(
        receiver
          .spans()
          .map((s) => s.spanId)
          .sort(),
      ).toEqual(
        golden
          .slice(0, 5)
          .flat()
          .map((s) => s.spanId)
          .sort(),
      );
    });
  });

  describe('across a restart', () => {
    it('loses nothing and re-sends nothing acknowledged', async () => {
      const { receiver, url } = await receiverAt();
      const dir = await dataDir();
      const half = Math.floor(golden.length / 2);
      const first = await openSink(dir, url);
      for (const batch of golden.slice(0, half)) await first.sink.write(batch);
      await first.sink.flush({ deadlineMs: 20_000 });
      expect(receiver.spans()).toHaveLength(golden.slice(0, half).flat().length);

      receiver.respondWith({ code: status.UNAVAILABLE });
      for (const batch of golden.slice(half)) await first.sink.write(batch);
      await until(() => first.sink.stats().retries >= 2, 'retries while the backend is unavailable');
      await first.sink.shutdown(); // "kill": the unexported half stays in LevelDB
      await first.store.close();

      receiver.respondWith({});
      const second = await openSink(dir, url);
      expect(second.sink.stats().spooledBatches).toBe(golden.length - half);
      await second.sink.flush({ deadlineMs: 20_000 });
      const received = receiver.spans().map((s) => s.spanId);
      expect(received).toHaveLength(allSpanIds().length);
      expect(received.slice().sort()).toEqual(allSpanIds().sort());
    });

    it('acknowledges an export that was in flight at shutdown, so the next start does not send it again', async () => {
      const { receiver, url } = await receiverAt();
      receiver.respondWith({ delayMs: 300 });
      const dir = await dataDir();
      const first = await openSink(dir, url);
      const batch = golden[0] ?? [];
      await first.sink.write(batch);
      await until(() => first.grpc.started === 1, 'the export to start');
      await first.sink.shutdown();
      await first.store.close();
      expect(receiver.spans()).toHaveLength(batch.length);

      receiver.respondWith({});
      const second = await openSink(dir, url);
      expect(second.sink.stats().spooledBatches).toBe(0);
      await second.sink.flush({ deadlineMs: 1_000 });
      expect(second.grpc.started).toBe(0);
      expect(receiver.spans()).toHaveLength(batch.length);
    });
  });

  describe('with a backend answering UNAVAILABLE, then OK', () => {
    it('retries with backoff until the backend accepts, then delivers each span once', async () => {
      const { receiver, url } = await receiverAt();
      receiver.respondWith({ code: status.UNAVAILABLE });
      const { lines, logger } = captureLogger();
      const { sink } = await openSink(await dataDir(), url, { logger });
      for (const batch of golden.slice(0, 4)) await sink.write(batch);
      await until(() => sink.stats().retries >= 4, 'retries');
      expect(receiver.spans()).toHaveLength(0);
      expect(sink.stats().lastError).toMatch(/UNAVAILABLE|unavailable/);
      expect(lines.filter((l) => /OTLP export failing/.test(l.message))).toHaveLength(1);

      receiver.respondWith({});
      await sink.flush({ deadlineMs: 20_000 });
      const expected = golden
        .slice(0, 4)
        .flat()
        .map((s) => s.spanId)
        .sort();
      expect(
        receiver
          .spans()
          .map((s) => s.spanId)
          .sort(),
      ).toEqual(expected);
      expect(lines.filter((l) => /OTLP export recovered/.test(l.message))).toHaveLength(1);
    });

    it('drops a batch the backend keeps rejecting as invalid, after the attempt limit, and goes on', async () => {
      const { receiver, url } = await receiverAt();
      receiver.respondWith({ code: status.INVALID_ARGUMENT });
      const { lines, logger } = captureLogger();
      const { sink } = await openSink(await dataDir(), url, { maxFailedAttempts: 3, spool: { logger } });
      const poison = golden[0] ?? [];
      await sink.write(poison);
      await until(() => sink.stats().droppedSpans['export-failed'] === poison.length, 'the poison batch to be dropped');
      expect(sink.stats().retries).toBe(3);
      const drop = lines.find((l) => l.level === 'error');
      expect(drop?.message).toMatch(/kept rejecting a batch/);
      expect(String(drop?.context['err'])).toMatch(/INVALID_ARGUMENT/);

      receiver.respondWith({});
      const good = golden[1] ?? [];
      await sink.write(good);
      await sink.flush({ deadlineMs: 20_000 });
      expect(
        receiver
          .spans()
          .map((s) => s.spanId)
          .sort(),
      ).toEqual(good.map((s) => s.spanId).sort());
    });
  });

  describe('backoff', () => {
    it('honours afterMs and doubles the pause up to its cap, with full jitter', async () => {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
      const unavailable = (afterMs: number): ExportResult => ({
        status: 'retryable',
        afterMs,
        error: new Error('down'),
      });
      const inner = new ScriptedSink([unavailable(5_000), unavailable(0), unavailable(0), unavailable(0)]);
      const spool = await ExportSpool.open(new MemoryStore());
      // random() just below 1: each pause is (almost) its ceiling, 100 → 200 → 400 → 400 capped.
      const sink = new SpoolingSink({ spool, inner, initialBackoffMs: 100, maxBackoffMs: 400, random: () => 0.999 });
      cleanups.push(() => sink.shutdown());
      await sink.write(golden[0] ?? []);
      await vi.advanceTimersByTimeAsync(0);
      expect(inner.calls).toHaveLength(1);
      await vi.advanceTimersByTimeAsync(399); // afterMs 5000 is capped at maxBackoffMs (400)
      expect(inner.calls).toHaveLength(1);
      await vi.advanceTimersByTimeAsync(1);
      expect(inner.calls).toHaveLength(2);
      await vi.advanceTimersByTimeAsync(199); // second pause: 200 × 0.999
      expect(inner.calls).toHaveLength(3);
      await vi.advanceTimersByTimeAsync(398);
      expect(inner.calls).toHaveLength(3);
      await vi.advanceTimersByTimeAsync(2);
      expect(inner.calls).toHaveLength(4);
      await vi.advanceTimersByTimeAsync(400); // capped at 400
      expect(inner.calls).toHaveLength(5);
      expect(spool.stats().batches).toBe(0);
      expect(inner.calls.every((c) => c.length === (golden[0] ?? []).length)).toBe(true);
    });
  });

  describe('write', () => {
    it('answers retryable when a reject-new spool is full, and failed for a batch larger than the spool', async () => {
      const inner = new ScriptedSink(
        Array.from(
          { length: 100 },
          () => ({ status: 'retryable', afterMs: 10_000, error: new Error('down') }) as const,
        ),
      );
      const small = golden[0] ?? [];
      const spool = await ExportSpool.open(new MemoryStore(), {
        maxBytes: JSON.stringify(small).length * 2,
        overflow: 'reject-new',
      });
      const sink = new SpoolingSink({ spool, inner, ...FAST });
      cleanups.push(() => sink.shutdown());
      const results: ExportResult[] = [];
      for (let i = 0; i < 6; i++) results.push(await sink.write(small));
      expect(results[0]).toEqual({ status: 'ok' });
      expect(results.at(-1)?.status).toBe('retryable');
      expect(sink.stats().refusedSpans).toBeGreaterThan(0);
      const huge = golden.flat();
      expect((await sink.write(huge)).status).toBe('failed');
      expect(sink.stats().droppedSpans['too-large']).toBe(huge.length);
    });

    it('answers failed after shutdown, and shutdown closes the inner sink once', async () => {
      const inner = new ScriptedSink();
      const sink = new SpoolingSink({ spool: await ExportSpool.open(new MemoryStore()), inner });
      await sink.shutdown();
      await sink.shutdown();
      expect(inner.shutdowns).toBe(1);
      expect((await sink.write(golden[0] ?? [])).status).toBe('failed');
    });
  });
});
