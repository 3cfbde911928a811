import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { synthesizeRecords } from '../../src/replay.js';
import { readRecording } from '../../src/sources/recording/read-recording.js';
import { compare, partition } from '../perturb/partition.js';
import { skewed } from './skewed-records.js';

// Informers of different kinds deliver seconds apart (issue 14, kind skew). With the DaemonSet's
// watch 3.5 s behind, the status write that completed its first rollout (10:23:24.750) arrived at
// 10:23:28.25 and ended that rollout then, so the second rollout's spec patch (10:23:28.384) and
// its first pod deletion (10:23:28.447), a fraction of a second later, went under the first: the
// audit record of that same status write, which came later, says when the rollout really ended.
// With the pods on time, that deletion arrives before the audit record: it must not join the first
// rollout then either (moving it once joined would change a trace id the stitcher was given) —
// a completed rollout deletes no pod after its end, so it waits for the next one.

const DS = fileURLToPath(new URL('../fixtures/real/ds', import.meta.url));

describe('a workload operation ended by a watch event its informer delivered late', () => {
  it('the real DaemonSet rollouts with its watch 3.5 s and audit 4.5 s late: the replay’s trees', async () => {
    const { records } = await readRecording(DS);
    const base = partition(synthesizeRecords(records, { cluster: 'c' }).flat());
    const misplaced: string[] = [];
    // The pod informer 1 s or 5 s late: the deletion arrives after the audit of that write.
    for (const pod of [1000, 5000]) {
      const late = skewed(records, { DaemonSet: 3500, audit: 4500, Pod: pod });
      const spans = synthesizeRecords(late, { cluster: 'c' }).flat();
      misplaced.push(...compare(base, partition(spans)).examples.map((e) => `pods +${pod} ms: ${e}`));
    }
    expect(misplaced).toEqual([]);
  });

  it('the pod deletion delivered before the late audit record of the write that ended the first rollout', async () => {
    const { records } = await readRecording(DS);
    const base = partition(synthesizeRecords(records, { cluster: 'c' }).flat());
    const misplaced: string[] = [];
    // Pods on time or 0.5 s late: agent-dxph7's deletion (10:23:28.49) arrives after the first
    // rollout ended at its status write's late receive time (10:23:28.25), before the audit of it.
    for (const pod of [0, 500]) {
      const late = skewed(records, { DaemonSet: 3500, audit: 4500, Pod: pod });
      const spans = synthesizeRecords(late, { cluster: 'c' }).flat();
      misplaced.push(...compare(base, partition(spans)).examples.map((e) => `pods +${pod} ms: ${e}`));
    }
    expect(misplaced).toEqual([]);
  });
});
