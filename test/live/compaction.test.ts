import { afterEach, describe, expect, it } from 'vitest';
import { CaptureSink } from '../../src/export/capture-sink.js';
import { parseTimeMs } from '../../src/model/kube-json.js';
import { splitInitialList } from '../../tools/sim/apiserver/index.js';
import { runScenario } from '../../tools/sim/index.js';
import { VirtualClock, fakeCluster, mergedLines, playLines, startWatching, until } from './support/live-harness.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('journal compaction', () => {
  it('folds old history into a baseline that restores the graph after a restart, exporting nothing again', async () => {
    const rec = runScenario('rolling-update');
    const { initial, rest } = splitInitialList(rec);
    const lines = mergedLines(rest);
    const c = await fakeCluster();
    cleanups.push(() => c.api.close());
    c.api.preload(initial);
    const clock = new VirtualClock(parseTimeMs(lines[0]?.ts) ?? 0);
    const sink = new CaptureSink();
    const first = await startWatching(c.http, clock, sink);
    await until(() => first.svc.status().synced, 'informers to sync');
    await playLines(c.api, first.svc, clock, lines);
    // Three hours on, everything has ended and the whole journal is past the retention horizon.
    clock.nowMs += 3 * 3_600_000;
    await first.svc.tick();
    const before = first.svc.status().journal;
    await first.svc.compact();
    const after = first.svc.status().journal;
    expect(after.baseSeq).toBeGreaterThan(before.baseSeq);
    expect(after.retainedEntries).toBeLessThan(before.retainedEntries);
    const graphSize = first.svc.synth.graphSize;
    const pods = [...first.svc.synth.knownObjects('Pod')].map(([uid]) => uid).sort();
    expect(pods).toHaveLength(3);
    await first.svc.stop();
    const exported = sink.spans.length;

    const second = await startWatching(c.http, clock, sink, first.dataDir);
    cleanups.push(() => second.svc.stop());
    expect(second.svc.synth.graphSize).toBe(graphSize);
    expect([...second.svc.synth.knownObjects('Pod')].map(([uid]) => uid).sort()).toEqual(pods);
    await second.svc.tick();
    expect(sink.spans.length).toBe(exported);

    // The owner chain survived: a pod deleted now is attributed to its ReplicaSet and Deployment.
    const pod = c.api.get('v1', 'Pod', 'shop', podName(lines));
    expect(pod).toBeDefined();
    clock.nowMs += 1_000;
    const journaled = second.svc.status().journal.accepted;
    c.api.apply('DELETED', pod as Record<string, unknown>);
    await until(() => second.svc.status().journal.accepted > journaled, 'the delete to be journaled');
    await until(() => second.svc.pipeline.readSeq >= second.svc.status().journal.lastSeq, 'processing');
    clock.nowMs += 3_600_000;
    await second.svc.tick();
    const deleted = sink.spans
      .slice(exported)
      .flatMap((s) => s.events.filter((e) => e.name === 'pod deleted').map(() => s));
    expect(deleted.length).toBeGreaterThan(0);
    expect(deleted[0]?.attributes['k8s.replicaset.name']).toBeDefined();
    expect(deleted[0]?.attributes['k8s.deployment.name']).toBe('web');
  });
});

// A pod of the new ReplicaSet that is still running at the end of the rollout.
function podName(lines: ReturnType<typeof mergedLines>): string {
  const added = lines.filter((l) => l.type === 'ADDED' && (l.object as { kind?: string }).kind === 'Pod');
  const name = (added.at(-1)?.object as { metadata?: { name?: string } } | undefined)?.metadata?.name;
  if (name === undefined) throw new Error('no pod in the scenario');
  return name;
}
