import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { IngestRecord } from '../../src/model/records.js';
import type { SpanData } from '../../src/model/span.js';
import { synthesizeRecords } from '../../src/replay.js';
import { readRecording } from '../../src/sources/recording/read-recording.js';
import { snapshotOnly } from '../perturb/perturb.js';

// Real DaemonSet and StatefulSet recordings, one snapshot per object (seed 1, issue 14): the
// workloads' operations are the ones only Events opened, and the controller's SuccessfulDelete of
// a pod its rollout created — which ends that rollout and opens the image rollout — is held 6 s
// before it is applied (event-evidence). A pod first seen in between (ds: agent-dxph7 terminating,
// seen 1.4 s after its SuccessfulDelete; sts: db-1 created again, first seen Running 4.9 s after db-1's
// SuccessfulDelete) opened its operation in the rollout the Event was about to end.

const fixture = (name: string): string => fileURLToPath(new URL(`../fixtures/real/${name}`, import.meta.url));

/** The parent span of the pod's first operation of that name, and the parent of `other`'s. */
function parents(spans: readonly SpanData[], op: string, pod: string, nth: number, other: [string, string]): string[] {
  const of = (name: string, p: string): SpanData[] =>
    spans.filter((s) => s.name === name && s.attributes['k8s.pod.name'] === p).sort((a, b) => a.startMs - b.startMs);
  return [of(op, pod)[nth]?.parentSpanId ?? 'none', of(other[0], other[1])[0]?.parentSpanId ?? 'none'];
}

async function bothWays(name: string): Promise<[SpanData[], SpanData[]]> {
  const { records } = await readRecording(fixture(name));
  const perturbed: IngestRecord[] = snapshotOnly(records, 1).records;
  return [synthesizeRecords(records, { cluster: 'c' }).flat(), synthesizeRecords(perturbed, { cluster: 'c' }).flat()];
}

describe('a pod first seen while a held Event is about to end its workload’s Events-only rollout', () => {
  it('DaemonSet: the old pod’s termination is in the image rollout, with its replacement’s startup', async () => {
    for (const spans of await bothWays('ds')) {
      const [termination, replacement] = parents(spans, 'pod termination', 'agent-dxph7', 0, [
        'pod startup',
        'agent-8dzpj',
      ]);
      expect(termination).not.toBe('none');
      expect(termination).toBe(replacement);
    }
  });

  it('StatefulSet: db-1 created again starts in the rollout that deleted it', async () => {
    for (const spans of await bothWays('sts')) {
      const [startup, termination] = parents(spans, 'pod startup', 'db-1', 1, ['pod termination', 'db-1']);
      expect(startup).not.toBe('none');
      expect(startup).toBe(termination);
    }
  });
});
