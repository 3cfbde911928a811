import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SpanSink } from '../../../src/export/sink.js';
import { startRunService } from '../../../src/live/run-service.js';
import type { RunServiceOptions, RunningService } from '../../../src/live/run-service.js';
import { parseTimeMs } from '../../../src/model/kube-json.js';
import { startFakeApiserver } from '../../../tools/sim/apiserver/index.js';
import type { FakeApiserver } from '../../../tools/sim/apiserver/index.js';
import type { Recording, WatchLine } from '../../../tools/sim/index.js';
import { KubeHttp, loadKubeConfig } from '../../../src/sources/watch/kube-http.js';
import type { Recorder } from '../../../src/live/recorder.js';

export const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** A virtual clock the service reads (receive times, ticks): tests move it line by line. */
export class VirtualClock {
  constructor(public nowMs: number) {}
  readonly read = (): number => this.nowMs;
}

/** Polls `check` until it holds (or fails the test after `timeoutMs`). */
export async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A fake apiserver plus a client for it. */
export async function fakeCluster(): Promise<{ api: FakeApiserver; http: KubeHttp; kubeconfig: string }> {
  const api = await startFakeApiserver({ bookmarkIntervalMs: 200 });
  const dir = await mkdtemp(join(tmpdir(), 'ks-kubeconfig-'));
  const kubeconfig = join(dir, 'config');
  await api.kubeconfig(kubeconfig);
  return { api, http: new KubeHttp(loadKubeConfig({ kubeconfig })), kubeconfig };
}

/** Starts the run service on the watch source with test-friendly timings. */
export async function startWatching(
  http: KubeHttp,
  clock: VirtualClock,
  sink: SpanSink,
  dataDir?: string,
  extra: Partial<RunServiceOptions> = {},
): Promise<{ svc: RunningService; dataDir: string }> {
  const dir = dataDir ?? (await mkdtemp(join(tmpdir(), 'ks-live-')));
  const svc = await startRunService({
    cluster: 'live',
    dataDir: dir,
    sink,
    logger: silent,
    nowMs: clock.read,
    // Ticks are driven by the test (svc.tick()), so they happen at known virtual times.
    tickMs: 3_600_000,
    watch: { http, backoffInitialMs: 20, backoffMaxMs: 200, random: () => 0.5 },
    ...extra,
  });
  return { svc, dataDir: dir };
}

/** Watch and Event lines merged by receive time (watch first on ties), as the recording orders them. */
export function mergedLines(rec: Recording): WatchLine[] {
  return [...rec.watch.map((l, i) => ({ l, i, k: 0 })), ...rec.events.map((l, i) => ({ l, i, k: 1 }))]
    .sort((a, b) => (a.l.ts < b.l.ts ? -1 : a.l.ts > b.l.ts ? 1 : a.k - b.k || a.i - b.i))
    .map((x) => x.l);
}

/**
 * Applies recording lines one at a time at their receive time, waiting for the service to journal
 * and process each before the next, so live receive times equal the recording's `ts`.
 */
export async function playLines(
  api: FakeApiserver,
  svc: RunningService,
  clock: VirtualClock,
  lines: readonly WatchLine[],
  recorder?: Recorder,
): Promise<void> {
  for (const line of lines) {
    clock.nowMs = parseTimeMs(line.ts) ?? clock.nowMs;
    const before = svc.status().journal.accepted;
    const recorded = recorder === undefined ? 0 : recorder.stats.watchLines + recorder.stats.eventLines;
    api.apply(line.type, line.object as Record<string, unknown>, { resourceVersion: 'recorded' });
    await until(() => svc.status().journal.accepted > before, `journal entry for ${line.type} ${kindName(line)}`);
    await until(() => svc.pipeline.readSeq >= svc.status().journal.lastSeq, 'pipeline to catch up');
    if (recorder !== undefined) {
      await until(() => recorder.stats.watchLines + recorder.stats.eventLines > recorded, 'the recorder');
    }
  }
}

function kindName(line: WatchLine): string {
  const o = line.object as { kind?: string; metadata?: { name?: string } };
  return `${o.kind ?? '?'}/${o.metadata?.name ?? '?'}`;
}
