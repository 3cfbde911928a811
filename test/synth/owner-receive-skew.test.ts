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

// An owner's operation starts at the receive time of the owner's change; its children's evidence
// is dated precisely. When the owner's informer runs seconds behind, the owner's operation may
// begin — and end — after its children started: it still holds them (ADR 0004).

let records: readonly IngestRecord[] = [];
beforeAll(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ks-receive-skew-'));
  await writeRecording(dir, { ...runScenario('scale-up-down'), audit: [] });
  records = (await readRecording(dir)).records;
});

function kindOf(r: IngestRecord): string {
  return r.source === 'object' ? String(r.object['kind']) : r.source;
}

// Each stream re-delivered `delays[kind]` ms late, in its own order.
function skewed(delays: Readonly<Record<string, number>>): IngestRecord[] {
  return records
    .map((r, i) => ({ r: { ...r, timeMs: r.timeMs + (delays[kindOf(r)] ?? 0) } as IngestRecord, i }))
    .sort((a, b) => a.r.timeMs - b.r.timeMs || a.i - b.i)
    .map((x) => x.r);
}

function terminationParents(input: readonly IngestRecord[]): string[] {
  const spans: SpanData[] = synthesizeRecords(input, { cluster: 'skew' }).flat();
  expect(checkInvariants(spans)).toEqual([]);
  return spans
    .filter((s) => s.name === 'pod termination')
    .map((t) => spans.find((p) => p.traceId === t.traceId && p.spanId === t.parentSpanId)?.name ?? '(root)');
}

describe('a scale-down whose Deployment and ReplicaSet informers run behind the pods’', () => {
  it('nests each pod termination under the ReplicaSet scale down, as delivered in order', () => {
    expect(terminationParents(records)).toEqual(Array(4).fill('ReplicaSet scale down'));
    // Events on time, the Deployment 3 s, the ReplicaSet 4.5 s, the pods 5 s late: the scale-down
    // step (and the Deployment's scale) open and end before the pods' deletions arrive.
    const late = skewed({ Deployment: 3_000, ReplicaSet: 4_500, Pod: 5_000 });
    expect(terminationParents(late)).toEqual(Array(4).fill('ReplicaSet scale down'));
  });
});
