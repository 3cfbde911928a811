import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { IngestRecord } from '../../src/model/records.js';
import type { SpanData } from '../../src/model/span.js';
import { synthesizeRecords } from '../../src/replay.js';
import { readRecording } from '../../src/sources/recording/read-recording.js';
import { runScenario, writeRecording } from '../../tools/sim/index.js';
import { checkInvariants } from '../support/invariants.js';
import { cutAt } from '../perturb/perturb.js';

// kubestitch started (or its watch relisted) while a Deployment's only pod crash-loops: the
// Deployment is unavailable, but its Progressing condition says its rollout completed
// (NewReplicaSetAvailable) — first sight must not invent a rollout running since its creation.

let records: readonly IngestRecord[] = [];
beforeAll(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ks-rolled-out-'));
  await writeRecording(dir, runScenario('crashloop'));
  records = (await readRecording(dir)).records;
});

function synthesize(input: readonly IngestRecord[]): SpanData[] {
  const spans = synthesizeRecords(input, { cluster: 'cut' }).flat();
  expect(checkInvariants(spans)).toEqual([]);
  return spans;
}

const parentName = (spans: readonly SpanData[], s: SpanData): string =>
  spans.find((p) => p.traceId === s.traceId && p.spanId === s.parentSpanId)?.name ?? '(root)';

describe('a Deployment first seen rolled out, its pod crash-looping', () => {
  it('opens no rollout; its controllers’ status writes go where the whole recording puts them', () => {
    const cutMs = records[Math.floor(records.length / 4)]?.timeMs ?? 0;
    const base = synthesize(records);
    const rollouts = base.filter((s) => s.name === 'Deployment rollout');
    expect(rollouts).toHaveLength(1);
    expect(rollouts[0]?.endMs).toBeLessThan(cutMs); // it had ended before the cut
    const cut = synthesize(cutAt(records, cutMs).records);
    expect(cut.filter((s) => s.name === 'Deployment rollout')).toEqual([]);
    const writes = (spans: SpanData[]) =>
      spans
        .filter((s) => s.name === 'update deployments/status' && s.startMs >= cutMs)
        .map((s) => `${String(s.attributes['audit-id'])} ${parentName(spans, s)}`)
        .sort();
    expect(writes(cut).length).toBeGreaterThan(0);
    expect(writes(cut)).toEqual(writes(base));
  });
});
