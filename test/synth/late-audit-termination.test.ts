import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { IngestRecord } from '../../src/model/records.js';
import { synthesizeRecords } from '../../src/replay.js';
import { readRecording } from '../../src/sources/recording/read-recording.js';
import { compare, partition } from '../perturb/partition.js';

// Live with the apiserver's audit webhook batching for 10 s (issue 14): a batch holding a pod's
// binding and status patches may arrive once the pod is being deleted (a StatefulSet rollout
// replacing it seconds after it came up). Those writes are the startup's, not the termination's:
// under the termination they stretched it, and its rollout, back to the pod's creation (the e2e
// StatefulSet's second rollout began 9 s early live, not in the replay).

const STS = fileURLToPath(new URL('../fixtures/real/sts', import.meta.url));

/** Audit delivered in `batchMs` webhook batches whose windows start `phaseMs` into each period. */
function batched(records: readonly IngestRecord[], batchMs: number, phaseMs: number): IngestRecord[] {
  const at = (r: IngestRecord): number =>
    r.source === 'audit' ? Math.floor((r.timeMs - phaseMs) / batchMs) * batchMs + batchMs + phaseMs + 50 : r.timeMs;
  return records
    .map((r, i) => ({ r: { ...r, timeMs: at(r) } as IngestRecord, i }))
    .sort((a, b) => a.r.timeMs - b.r.timeMs || a.i - b.i)
    .map((x) => x.r);
}

describe('audit of a pod’s startup in a batch that arrives once it is being deleted', () => {
  it('the real StatefulSet rollouts with 10 s batches at every phase: the replay’s trees', async () => {
    const { records } = await readRecording(join(STS));
    const base = partition(synthesizeRecords(records, { cluster: 'c' }).flat());
    const misplaced: string[] = [];
    for (let phaseMs = 0; phaseMs < 10_000; phaseMs += 1000) {
      const spans = synthesizeRecords(batched(records, 10_000, phaseMs), { cluster: 'c' }).flat();
      const c = compare(base, partition(spans), () => true);
      misplaced.push(...c.examples.map((e) => `phase ${phaseMs / 1000} s: ${e}`));
    }
    expect(misplaced).toEqual([]);
  });
});
