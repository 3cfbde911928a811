import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CaptureSink } from '../../src/export/capture-sink.js';
import type { SpanData } from '../../src/model/span.js';
import { parseTimeMs } from '../../src/model/kube-json.js';
import { synthesizeRecords } from '../../src/replay.js';
import type { FakeApiserver } from '../../tools/sim/apiserver/index.js';
import { runScenario, writeRecording } from '../../tools/sim/index.js';
import { readRecording } from '../../src/sources/recording/read-recording.js';
import { renderTraces } from '../support/render-trace.js';
import { Recorder } from '../../src/live/recorder.js';
import { DEFAULT_RESOURCES, EVENT_RESOURCES } from '../../src/sources/watch/resources.js';
import {
  VirtualClock,
  fakeCluster,
  mergedLines,
  playLines,
  silent,
  startWatching,
  until,
} from './support/live-harness.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function replayDir(dir: string): Promise<SpanData[]> {
  return synthesizeRecords((await readRecording(dir)).records, { cluster: 'live' }).flat();
}

const byId = (spans: readonly SpanData[]): SpanData[] =>
  [...spans].sort((a, b) => (a.spanId < b.spanId ? -1 : a.spanId > b.spanId ? 1 : 0));

async function cluster(): Promise<{ api: FakeApiserver; http: Awaited<ReturnType<typeof fakeCluster>>['http'] }> {
  const c = await fakeCluster();
  cleanups.push(() => c.api.close());
  return c;
}

describe('kubestitch run against a (fake) apiserver', () => {
  it('gives the same traces as replaying the recording `kubestitch record` made of it', async () => {
    const rec = runScenario('rolling-update');
    const lines = mergedLines(rec);
    const { api, http } = await cluster();
    const clock = new VirtualClock(parseTimeMs(lines[0]?.ts) ?? 0);
    const sink = new CaptureSink();
    const { svc } = await startWatching(http, clock, sink);
    cleanups.push(() => svc.stop());
    const dir = await mkdtemp(join(tmpdir(), 'ks-record-'));
    const recorder = await Recorder.start({
      http,
      dir,
      resources: [...DEFAULT_RESOURCES, ...EVENT_RESOURCES],
      logger: silent,
      nowMs: clock.read,
    });
    await until(() => svc.status().synced, 'informers to sync');
    await recorder.waitSynced();
    await playLines(api, svc, clock, lines, recorder);
    await recorder.stop();
    // An hour later every activity window has ended: a tick closes them, as a replay's flush does.
    clock.nowMs += 3_600_000;
    await svc.tick();
    const replayed = await replayDir(dir);
    expect(renderTraces(byId(sink.spans))).toBe(renderTraces(byId(replayed)));
    expect(byId(sink.spans)).toEqual(byId(replayed));
    // And the same trace tree as replaying the simulator's own recording of the scenario.
    const original = await mkdtemp(join(tmpdir(), 'ks-live-replay-'));
    await writeRecording(original, { ...rec, audit: [] });
    expect(renderTraces(byId(sink.spans))).toBe(renderTraces(byId(await replayDir(original))));
    // Never asked for what it must not see.
    expect(api.requests.some((r) => r.path.includes('secrets'))).toBe(false);
  });
});
