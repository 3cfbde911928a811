import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { IngestRecord } from '../../src/model/records.js';
import type { SpanData } from '../../src/model/span.js';
import { synthesizeRecords } from '../../src/replay.js';
import { readRecording } from '../../src/sources/recording/read-recording.js';
import { runScenario, writeRecording } from '../../tools/sim/index.js';
import { checkInvariants } from '../support/invariants.js';
import { cutAt } from '../perturb/perturb.js';

// kubestitch started (or its watch relisted) while a Deployment scaled up: its rollout is long
// complete and two new pods are starting. The lists must show a scale in progress — not nothing,
// so that the next scale is not taken for the first and the starting pods do not wait for it.

function synthesize(input: readonly IngestRecord[]): SpanData[] {
  const spans = synthesizeRecords(input, { cluster: 'cut' }).flat();
  expect(checkInvariants(spans)).toEqual([]);
  return spans;
}

// Each operation of the Deployment that ran after `cutMs`, with what its trace holds.
function scales(spans: readonly SpanData[], cutMs: number): string[] {
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const rootOf = (s: SpanData): SpanData => {
    let r = s;
    for (let p = byId.get(r.parentSpanId ?? ''); p !== undefined; p = byId.get(p.parentSpanId ?? '')) r = p;
    return r;
  };
  return spans
    .filter((s) => s.name === 'Deployment scale' && s.endMs >= cutMs)
    .map((d) => {
      const held = spans
        .filter((s) => s !== d && s.traceId === d.traceId && rootOf(s) === d && s.startMs >= cutMs)
        .filter((s) => s.name.startsWith('ReplicaSet scale') || s.name.startsWith('pod ') || s.name.includes('/'))
        .map((s) => `${s.name} ${String(s.attributes['k8s.pod.name'] ?? s.attributes['audit-id'] ?? '')}`)
        .sort();
      return `${String(d.attributes['kubestitch.replicas.to'])}: ${held.join(', ')}`;
    });
}

describe('a Deployment first seen scaling up', () => {
  it('real deploy recording cut during its 3→5 scale: both scales hold what the whole recording puts in them', async () => {
    const records = (await readRecording('test/fixtures/real/deploy')).records;
    // 10:23:42.771: the scale to 5 began at :41, two of its pods are starting; the scale to 2 comes at :47.
    const cutMs = records[Math.floor(records.length * 0.75)]?.timeMs ?? 0;
    const base = synthesize(records);
    const cut = synthesize(cutAt(records, cutMs).records);
    const want = scales(base, cutMs);
    expect(want).toHaveLength(2);
    expect(scales(cut, cutMs)).toEqual(want);
    const first = cut.find((s) => s.name === 'Deployment scale' && s.startMs < cutMs);
    expect(first?.attributes['kubestitch.replicas.to']).toBe(5);
    // The lists do not say what it scaled from.
    expect(first?.attributes['kubestitch.replicas.from']).toBeUndefined();
  });

  it('a pod that had been Ready (its node lost) is no scale: none is opened', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ks-first-scaling-'));
    await writeRecording(dir, runScenario('node-not-ready'));
    const records = (await readRecording(dir)).records;
    const cutMs = records[Math.floor(records.length * 0.5)]?.timeMs ?? 0;
    expect(synthesize(records).filter((s) => s.name === 'Deployment scale')).toEqual([]);
    expect(synthesize(cutAt(records, cutMs).records).filter((s) => s.name === 'Deployment scale')).toEqual([]);
  });
});
