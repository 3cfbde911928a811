import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { SpanData } from '../../src/model/span.js';
import { synthesizeRecords } from '../../src/replay.js';
import { readRecording } from '../../src/sources/recording/read-recording.js';
import { compare, partition } from '../perturb/partition.js';
import { skewed } from './skewed-records.js';

// Kind skew in the large generated cluster (test/perturb/large.test.ts, seed 1): the Deployment's
// watch 2.6 s late, the ReplicaSets' 3.6 s, Events 4.9 s. The Deployment showed its rollout
// complete before the old ReplicaSet's record of its last step (1→0) arrived, and the Event naming
// that step came later still: the rollout closed the old ReplicaSet's scale-down (settled at 1),
// the late record opened a second scale-down, and the last old pod's termination went under it.
// late-replicaset-step covers the same record arriving after the Event.

const EXAMPLE = fileURLToPath(new URL('../../examples/rolling-update', import.meta.url));
const DELAYS = { Deployment: 2637, Event: 4905, Node: 1000, Pod: 3064, ReplicaSet: 3603 };

function scaleDowns(spans: readonly SpanData[]): SpanData[] {
  return spans.filter((s) => s.name === 'ReplicaSet scale down');
}

describe('a ReplicaSet’s record of its last step arriving after its rollout closed, before the Event', () => {
  it('goes on in the scale-down the rollout settled: one scale-down holding every termination', async () => {
    const { records } = await readRecording(EXAMPLE);
    const spans = synthesizeRecords(skewed(records, DELAYS), { cluster: 'c' }).flat();
    const downs = scaleDowns(spans);
    expect(
      downs.map((s) => [s.attributes['kubestitch.replicas.from'], s.attributes['kubestitch.replicas.to']]),
    ).toEqual([[3, 0]]);
    const terminations = spans.filter((s) => s.name === 'pod termination');
    expect(terminations).toHaveLength(3);
    for (const t of terminations) expect(t.parentSpanId).toBe(downs[0]?.spanId);
  });

  it('gives the replay’s trees', async () => {
    const { records } = await readRecording(EXAMPLE);
    const base = partition(synthesizeRecords(records, { cluster: 'c' }).flat());
    const late = partition(synthesizeRecords(skewed(records, DELAYS), { cluster: 'c' }).flat());
    expect(compare(base, late, () => true, Infinity).examples).toEqual([]);
  });
});
