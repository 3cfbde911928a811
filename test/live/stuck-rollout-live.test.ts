import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeOtlpJsonLine } from '../support/otlp-json-decode.js';
import { ExportedOnceSink } from '../../src/export/exported-once-sink.js';
import { OtlpJsonFileSink } from '../../src/export/otlp-json-file-sink.js';
import type { ExportResult, SpanSink } from '../../src/export/sink.js';
import type { KvStore } from '../../storage/index.js';
import { LiveOpenOperations } from '../../src/live/open-operations-source.js';
import type { RunningService } from '../../src/live/run-service.js';
import { parseTimeMs } from '../../src/model/kube-json.js';
import type { SpanData } from '../../src/model/span.js';
import type { AuditEventJson, WatchLine } from '../../tools/sim/index.js';
import { DEFAULT_ADOPTION_WINDOW_MS } from '../../src/synth/synthesizer.js';
import type { FakeApiserver } from '../../tools/sim/apiserver/index.js';
import { stuckRollout } from '../support/stuck-rollout.js';
import { VirtualClock, fakeCluster, mergedLines, playLines, startWatching, until } from './support/live-harness.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const TICK_MS = 1_000;
// The apiserver's audit webhook batch wait (docs/audit.md recommends 1 s).
const BATCH_WAIT_MS = 1_000;
const TOKEN = 's3cr3t-token';

/** What reached `--out`, and at which (virtual) time. */
class Arrivals implements SpanSink {
  readonly atMs = new Map<string, number>();
  constructor(
    readonly inner: SpanSink,
    readonly clock: VirtualClock,
  ) {}
  async write(spans: readonly SpanData[]): Promise<ExportResult> {
    const result = await this.inner.write(spans);
    if (result.status === 'ok')
      for (const s of spans) if (!this.atMs.has(s.spanId)) this.atMs.set(s.spanId, this.clock.nowMs);
    return result;
  }
  flush(): Promise<void> {
    return this.inner.flush();
  }
  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
}

/** The apiserver's audit webhook: events are posted in batches once BATCH_WAIT_MS old. */
class AuditFeed {
  #next = 0;
  constructor(readonly events: readonly AuditEventJson[]) {}

  async post(svc: RunningService, nowMs: number): Promise<void> {
    const batch: AuditEventJson[] = [];
    for (; this.#next < this.events.length; this.#next++) {
      const e = this.events[this.#next];
      if (e === undefined || (parseTimeMs(e.stageTimestamp) ?? 0) + BATCH_WAIT_MS > nowMs) break;
      batch.push(e);
    }
    if (batch.length === 0) return;
    const res = await fetch(`http://127.0.0.1:${svc.webhookAddress?.port ?? 0}/audit`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', items: batch }),
    });
    await res.text();
    expect(res.status).toBe(200);
    await svc.pipeline.drain();
  }
}

// Applies the lines at their receive times with a clock tick every virtual second between them,
// as `kubestitch run` ticks, and the audit batches as they fall due.
async function play(
  api: FakeApiserver,
  svc: RunningService,
  clock: VirtualClock,
  lines: readonly WatchLine[],
  audit: AuditFeed,
): Promise<void> {
  for (const line of lines) {
    const due = parseTimeMs(line.ts) ?? clock.nowMs;
    while (clock.nowMs + TICK_MS <= due) {
      clock.nowMs += TICK_MS;
      await audit.post(svc, clock.nowMs);
      await svc.tick();
    }
    await audit.post(svc, due);
    await playLines(api, svc, clock, [line]);
    // Its spans are written before the clock moves on (arrival times are exact).
    await svc.pipeline.drain();
  }
}

async function readOut(path: string): Promise<SpanData[]> {
  const text = await readFile(path, 'utf8');
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .flatMap((l) => decodeOtlpJsonLine(l));
}

describe('kubestitch run on a rollout whose new pods never become Ready', () => {
  it(
    'writes each finished phase to --out within the adoption window + one tick, lists the rollout as open with the unready pod, and exports nothing twice across a restart',
    { timeout: 120_000 },
    async () => {
      const rec = stuckRollout({ lengthS: 75 });
      const lines = mergedLines(rec);
      const byStage = (a: AuditEventJson, b: AuditEventJson): number =>
        a.stageTimestamp < b.stageTimestamp ? -1 : a.stageTimestamp > b.stageTimestamp ? 1 : 0;
      const audit = new AuditFeed([...rec.audit].sort(byStage));
      const { api, http } = await fakeCluster();
      cleanups.push(() => api.close());
      const clock = new VirtualClock(parseTimeMs(lines[0]?.ts) ?? 0);
      const out = join(await mkdtemp(join(tmpdir(), 'ks-stuck-out-')), 'spans.jsonl');
      const dataDir = await mkdtemp(join(tmpdir(), 'ks-stuck-data-'));
      const tokenFile = `${dataDir}.token`;
      await writeFile(tokenFile, `${TOKEN}\n`);
      const start = async (): Promise<{ svc: RunningService; arrivals: Arrivals }> => {
        const arrivals = new Arrivals(new OtlpJsonFileSink({ path: out }), clock);
        // As `kubestitch run --out` builds it: each span id once, across restarts.
        const sink = (store: KvStore): Promise<SpanSink> =>
          Promise.resolve(new ExportedOnceSink(arrivals, store.namespace('exported-file')));
        const { svc } = await startWatching(http, clock, arrivals, dataDir, {
          sink,
          webhook: { host: '127.0.0.1', port: 0, insecureHttp: true, tokenFile },
        });
        cleanups.push(() => svc.stop());
        await until(() => svc.status().synced, 'informers to sync');
        return { svc, arrivals };
      };
      const cut = lines.findIndex((l) => (parseTimeMs(l.ts) ?? 0) >= (parseTimeMs(lines[0]?.ts) ?? 0) + 50_000);
      const first = await start();
      await play(api, first.svc, clock, lines.slice(0, cut), audit);

      // While it is stuck: the rollout is open, waiting for its unready pod.
      const before = new LiveOpenOperations(first.svc.synth).list(clock.nowMs);
      const rollout = before.find((o) => o.operation === 'Deployment rollout' && o.name === 'web');
      expect(rollout?.waitingOn).toMatch(/^pod web-\w+-\w+: readiness \(unready \d+s\)/);
      await first.svc.stop(); // SIGTERM
      const second = await start();
      await play(api, second.svc, clock, lines.slice(cut), audit);
      for (let i = 0; i < 20; i++) {
        clock.nowMs += TICK_MS;
        await audit.post(second.svc, clock.nowMs);
        await second.svc.tick();
      }
      const after = new LiveOpenOperations(second.svc.synth).list(clock.nowMs);
      expect(after.find((o) => o.spanID === rollout?.spanID)?.traceID).toBe(rollout?.traceID);
      await second.svc.stop();

      const spans = await readOut(out);
      const ids = spans.map((s) => `${s.traceId}/${s.spanId}`);
      expect(ids.length - new Set(ids).size).toBe(0);
      // Every finished phase of the stuck pod, and the requests it made, under its (still open)
      // startup, in the rollout's trace.
      const startupId = spans.find((s) => s.traceId === rollout?.traceID && s.name === 'schedule')?.parentSpanId;
      const schedule = spans.find((s) => s.parentSpanId === startupId && s.name === 'schedule');
      const phases = spans.filter((s) => s.parentSpanId === startupId || s.parentSpanId === schedule?.spanId);
      expect(phases.map((s) => s.name)).toEqual(
        expect.arrayContaining([
          'schedule',
          'pull nginx:1.26',
          'start nginx',
          'create pods/binding',
          'patch pods/status',
        ]),
      );
      for (const s of phases) expect(s.traceId).toBe(rollout?.traceID);
      const arrivedAt = new Map([...first.arrivals.atMs, ...second.arrivals.atMs]);
      const delays = phases.map((s) => (arrivedAt.get(s.spanId) ?? Infinity) - s.endMs);
      for (const d of delays) expect(d).toBeLessThanOrEqual(DEFAULT_ADOPTION_WINDOW_MS + TICK_MS);
      expect(spans.some((s) => s.spanId === rollout?.spanID)).toBe(false);
    },
  );

  it(
    'with --adoption-window 5s, each finished phase is in --out 5–6 s after it ended',
    { timeout: 60_000 },
    async () => {
      const WINDOW_MS = 5_000;
      const rec = stuckRollout({ lengthS: 40 });
      const lines = mergedLines(rec);
      const { api, http } = await fakeCluster();
      cleanups.push(() => api.close());
      const clock = new VirtualClock(parseTimeMs(lines[0]?.ts) ?? 0);
      const out = join(await mkdtemp(join(tmpdir(), 'ks-stuck-out-')), 'spans.jsonl');
      const arrivals = new Arrivals(new OtlpJsonFileSink({ path: out }), clock);
      const { svc } = await startWatching(http, clock, arrivals, undefined, { adoptionWindowMs: WINDOW_MS });
      cleanups.push(() => svc.stop());
      await until(() => svc.status().synced, 'informers to sync');
      await play(api, svc, clock, lines, new AuditFeed([]));
      for (let i = 0; i < 10; i++) {
        clock.nowMs += TICK_MS;
        await svc.tick();
      }
      await svc.stop();
      const spans = await readOut(out);
      const phases = spans.filter((s) => ['schedule', 'pull nginx:1.26', 'start nginx'].includes(s.name));
      expect(phases.length).toBeGreaterThanOrEqual(3);
      for (const s of phases) {
        const delay = (arrivals.atMs.get(s.spanId) ?? Infinity) - s.endMs;
        expect(delay, s.name).toBeGreaterThanOrEqual(WINDOW_MS);
        expect(delay, s.name).toBeLessThanOrEqual(WINDOW_MS + TICK_MS);
      }
    },
  );
});
