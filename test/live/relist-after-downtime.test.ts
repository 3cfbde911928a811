import { afterEach, describe, expect, it } from 'vitest';
import { CaptureSink } from '../../src/export/capture-sink.js';
import { parseTimeMs } from '../../src/model/kube-json.js';
import type { SpanData } from '../../src/model/span.js';
import { splitInitialList } from '../../tools/sim/apiserver/index.js';
import { runScenario } from '../../tools/sim/index.js';
import { checkInvariants } from '../support/invariants.js';
import { VirtualClock, fakeCluster, mergedLines, playLines, startWatching, until } from './support/live-harness.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const isDeletedPod = (l: { type: string; object: unknown }): boolean =>
  l.type === 'DELETED' && (l.object as { kind?: string }).kind === 'Pod';

describe.each(['in-stream', 'http'] as const)('a watch that answers 410 (%s) after kubestitch was down', (mode) => {
  it('relists, ends operations of objects deleted meanwhile as deleted-while-down, and finishes the rest', async () => {
    const rec = runScenario('rolling-update');
    const { initial, rest } = splitInitialList(rec);
    const lines = mergedLines(rest);
    const c = await fakeCluster();
    cleanups.push(() => c.api.close());
    c.api.preload(initial);
    c.api.setExpiredWatchMode(mode);
    const clock = new VirtualClock(parseTimeMs(lines[0]?.ts) ?? 0);
    const sink = new CaptureSink();
    const first = await startWatching(c.http, clock, sink);
    await until(() => first.svc.status().synced, 'informers to sync');
    // Down just before the first old pod goes away: its termination is open.
    const gone = lines.findIndex(isDeletedPod);
    expect(gone).toBeGreaterThan(0);
    await playLines(c.api, first.svc, clock, lines.slice(0, gone));
    await first.svc.stop();
    const exportedBefore = sink.spans.length;

    // While down: the pod is deleted, more changes happen, and history is compacted away.
    const resumeAt = gone + 12;
    for (const line of lines.slice(gone, resumeAt)) {
      clock.nowMs = parseTimeMs(line.ts) ?? clock.nowMs;
      c.api.apply(line.type, line.object as Record<string, unknown>);
    }
    c.api.compact();

    const second = await startWatching(c.http, clock, sink, first.dataDir);
    cleanups.push(() => second.svc.stop());
    const pods = (): { relistsOn410: number; lists: number; phase: string } | undefined =>
      second.svc.status().informers.find((i) => i.resource === 'pods.v1');
    // The resumed watch is refused (410); the informer relists and watches again.
    await until(() => (pods()?.lists ?? 0) >= 1 && pods()?.phase === 'watching', 'the relist');
    expect(pods()?.relistsOn410).toBeGreaterThanOrEqual(1);
    await until(
      () => second.svc.pipeline.readSeq >= second.svc.status().journal.lastSeq,
      'the relist diff to be processed',
    );
    await playLines(c.api, second.svc, clock, lines.slice(resumeAt));
    clock.nowMs += 3_600_000;
    await second.svc.tick();

    const spans: readonly SpanData[] = sink.spans;
    expect(exportedBefore).toBeLessThan(spans.length);
    const ids = spans.map((s) => `${s.traceId}/${s.spanId}`);
    expect(ids.length - new Set(ids).size).toBe(0);
    // The pod that went away while kubestitch was down: its termination ends as such.
    const deletedWhileDown = spans.filter((s) => s.attributes['kubestitch.outcome'] === 'deleted-while-down');
    expect(deletedWhileDown.map((s) => s.name)).toContain('pod termination');
    // Every operation ended (none left hanging until max-age), and the rollout finished.
    expect(spans.filter((s) => s.attributes['kubestitch.close_reason'] === 'max-age')).toEqual([]);
    const rollout = spans.find((s) => s.name === 'Deployment rollout');
    expect(rollout?.attributes['kubestitch.outcome']).toBe('ok');
    const trace = spans.filter((s) => s.traceId === rollout?.traceId);
    expect(trace.filter((s) => s.name === 'pod startup')).toHaveLength(3);
    expect(checkInvariants(spans)).toEqual([]);
  });
});
