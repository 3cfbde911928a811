import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { SpanData } from '../../src/model/span.js';
import { synthesizeRecords } from '../../src/replay.js';
import { readRecording } from '../../src/sources/recording/read-recording.js';
import { compare, partition } from '../perturb/partition.js';
import { skewed } from './skewed-records.js';

// Kind skew (issue 14, the harness's seed 1): with the ReplicaSet watch 4.8 s late and the
// Deployment's 3.1 s, the rolling-update example's Deployment showed the rollout complete before
// the old ReplicaSet's record of its last step (1→0) arrived. The rollout closed the old
// ReplicaSet's scale-down (settled at 1, its range already 3→0 from the 'Scaled down … from 1 to 0'
// Event), the late record opened a second scale-down, and the last old pod's termination, its
// ReplicaSet's operations over by then, went under the rollout itself. The record tells of a step
// the Event already put in the scale-down: it is that operation's.

const EXAMPLE = fileURLToPath(new URL('../../examples/rolling-update', import.meta.url));
const DELAYS = { Deployment: 3135, Event: 13, Node: 2637, Pod: 4905, ReplicaSet: 4841 };

function scaleDowns(spans: readonly SpanData[]): SpanData[] {
  return spans.filter((s) => s.name === 'ReplicaSet scale down');
}

describe('a ReplicaSet’s record of its last step arriving after its rollout closed', () => {
  it('is the step the Event already put in the scale-down: one scale-down holding every termination', async () => {
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
