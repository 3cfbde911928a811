import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ATTR } from '../../src/model/attributes.js';
import type { SpanData } from '../../src/model/span.js';
import { synthesizeRecords } from '../../src/replay.js';
import { readRecording } from '../../src/sources/recording/read-recording.js';
import { skewed } from './skewed-records.js';

// Issue 14, kind skew: in the real deploy recording the old ReplicaSet web-84c8ff55c9's scale-down
// settled at 0 replicas (rv 583, terminatingReplicas 1) at 10:23:37.8; its last pod's termination
// ended at 10:23:39.0; 23 ms later the replicaset-controller wrote status rv 606 (observedGeneration
// 4, terminatingReplicas 1 → 0: the pods it deleted are gone). The same write after each earlier
// termination (10:23:32.48, 10:23:35.67) was inside the step; this one fell more than 1 s after the
// step's own settle time and went to a ReplicaSet activity root of its own, unless the ReplicaSet
// stream was late enough to move the settle time (kind-skew seeds 4–5). The step's interval includes
// its terminations, so the write is the step's, in order and skewed.

const DEPLOY = fileURLToPath(new URL('../fixtures/real/deploy', import.meta.url));
const WRITE = 'f67948fd-815c-4ed2-9e14-c7c125762071';

function parentOfWrite(spans: readonly SpanData[]): string | undefined {
  const write = spans.find((s) => s.attributes[ATTR.auditId] === WRITE);
  const parent = spans.find((s) => s.spanId === write?.parentSpanId);
  return parent === undefined ? undefined : `${parent.name} ${String(parent.attributes['k8s.replicaset.name'])}`;
}

describe('a ReplicaSet status write right after its scale step’s last pod termination', () => {
  it('is the scale step’s, with the streams in order or skewed', async () => {
    const { records } = await readRecording(DEPLOY);
    const inputs = [
      records,
      skewed(records, { Pod: 400 }),
      skewed(records, { ReplicaSet: 1500, audit: 300 }),
      skewed(records, { Pod: 2000, Event: 1000 }),
    ];
    for (const input of inputs) {
      expect(parentOfWrite(synthesizeRecords(input, { cluster: 'c' }).flat())).toBe(
        'ReplicaSet scale down web-84c8ff55c9',
      );
    }
  });
});
