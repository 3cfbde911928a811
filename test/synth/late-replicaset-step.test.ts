import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { SpanData } from '../../src/model/span.js';
import { synthesizeRecords } from '../../src/replay.js';
import { readRecording } from '../../src/sources/recording/read-recording.js';
import { compare, partition } from '../perturb/partition.js';
import { skewed } from './skewed-records.js';

// The rolling-update example's Deployment shows its rollout complete before the old ReplicaSet's
// record of its last step (1→0) arrives. The rollout closes the old ReplicaSet's scale-down (settled
// at 1); the late record opened a second scale-down, and the last old pod's termination went under
// it or, its ReplicaSet's operations over by then, under the rollout itself. The record tells of a
// step the rollout already settled: it goes on in that scale-down, whether the Event naming the step
// ('Scaled down … from 1 to 0') came before the record or after it.
const CASES = [
  {
    // Kind skew of the main harness, seed 1: the Event on time, before the record (07cd409).
    when: 'after the Event',
    delays: { Deployment: 3135, Event: 13, Node: 2637, Pod: 4905, ReplicaSet: 4841 },
  },
  {
    // Kind skew of the large generated cluster (test/perturb/large.test.ts), seed 1: the Event
    // later still than the record (be69fb8).
    when: 'before the Event',
    delays: { Deployment: 2637, Event: 4905, Node: 1000, Pod: 3064, ReplicaSet: 3603 },
  },
] as const;

const EXAMPLE = fileURLToPath(new URL('../../examples/rolling-update', import.meta.url));

function scaleDowns(spans: readonly SpanData[]): SpanData[] {
  return spans.filter((s) => s.name === 'ReplicaSet scale down');
}

describe.each(CASES)(
  'a ReplicaSet’s record of its last step arriving after its rollout closed, $when',
  ({ delays }) => {
    it('goes on in the scale-down the rollout settled: one scale-down holding every termination', async () => {
      const { records } = await readRecording(EXAMPLE);
      const spans = synthesizeRecords(skewed(records, delays), { cluster: 'c' }).flat();
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
      const late = partition(synthesizeRecords(skewed(records, delays), { cluster: 'c' }).flat());
      expect(compare(base, late, () => true, Infinity).examples).toEqual([]);
    });
  },
);
