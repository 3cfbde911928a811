import { describe, expect, it } from 'vitest';
import type { SpanData } from '../../src/model/span.js';
import { synthesizeRecords } from '../../src/replay.js';
import { readRecording } from '../../src/sources/recording/read-recording.js';
import { checkInvariants } from '../support/invariants.js';
import { snapshotOnly } from '../perturb/perturb.js';

// A ReplicaSet scaling up deletes no pod. The real deploy recording as one snapshot per object plus
// every Event (issue 14's snapshot-only input): its first ReplicaSet's scale-up to 3 is open (only
// Events showed it, and none of its pods was seen Ready) when web-84c8ff55c9-7245b is first seen
// terminating (10:23:32.5); the "Scaled down … from 3 to 2" Event that opens the step which
// deleted it is applied seconds later. The termination must wait for that step, not join the
// scale-up that happens to be open.

const DEPLOY = new URL('../fixtures/real/deploy/', import.meta.url).pathname;

function parentOf(spans: readonly SpanData[], s: SpanData | undefined): SpanData | undefined {
  return spans.find((p) => s !== undefined && p.spanId === s.parentSpanId && p.traceId === s.traceId);
}

describe('a pod terminating while its ReplicaSet’s open operation is a scale-up', () => {
  it('goes under the scale-down that deleted it, in every snapshot-only sample', async () => {
    const { records } = await readRecording(DEPLOY);
    for (const seed of [1, 2, 3]) {
      const spans = synthesizeRecords(snapshotOnly(records, seed).records, { cluster: 'c' }).flat();
      expect(checkInvariants(spans)).toEqual([]);
      const term = spans.find(
        (s) => s.name === 'pod termination' && s.attributes['k8s.pod.name'] === 'web-84c8ff55c9-7245b',
      );
      const parent = parentOf(spans, term);
      expect(`${String(seed)}: ${parent?.name ?? '(root)'} ${String(parent?.attributes['k8s.replicaset.name'])}`).toBe(
        `${String(seed)}: ReplicaSet scale down web-84c8ff55c9`,
      );
    }
  });
});
