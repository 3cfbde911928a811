import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { synthesizeRecords } from '../../src/replay.js';
import { readRecording } from '../../src/sources/recording/read-recording.js';
import { compare, partition } from '../perturb/partition.js';
import { skewed } from './skewed-records.js';

// Kind skew (issue 14): with the ReplicaSet watch on time and the rest 3–3.5 s late, the real deploy
// recording's "Scaled up replica set web-765c69d446 from 3 to 5" Event (10:23:41) was applied once
// that ReplicaSet's 5→2 step had opened (its records came first). The open step, 'seen' within the
// Event's 10 s of receive slack, was a scale-down, so the Event opened a second 3→5 step under the
// 5→2 Deployment scale, and that scale's ReplicaSet step, terminations and writes were numbered
// one further. The step that covers the Event's time is the one it tells of.

const DEPLOY = fileURLToPath(new URL('../fixtures/real/deploy', import.meta.url));

describe('a ScalingReplicaSet Event applied after its ReplicaSet’s next step opened', () => {
  it('the real deploy recording with the ReplicaSet watch ahead of the rest: the replay’s trees', async () => {
    const { records } = await readRecording(DEPLOY);
    const base = partition(synthesizeRecords(records, { cluster: 'c' }).flat());
    const late = skewed(records, { Deployment: 3500, Event: 3500, Pod: 3000, audit: 3000 });
    const c = compare(base, partition(synthesizeRecords(late, { cluster: 'c' }).flat()), () => true, Infinity);
    expect(c.examples).toEqual([]);
  });
});
