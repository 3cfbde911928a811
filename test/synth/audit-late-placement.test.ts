import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import type { IngestRecord } from '../../src/model/records.js';
import type { SpanData } from '../../src/model/span.js';
import { synthesizeRecords } from '../../src/replay.js';
import { readRecording } from '../../src/sources/recording/read-recording.js';
import { checkInvariants } from '../support/invariants.js';

// Audited requests delivered late (a webhook batch, an audit stream behind the watches) go where
// they go when they arrive in time (ADR 0004): their place depends on when they happened.

const REAL_JOB = fileURLToPath(new URL('../fixtures/real/job', import.meta.url));
let records: readonly IngestRecord[] = [];
beforeAll(async () => {
  records = (await readRecording(join(REAL_JOB))).records;
});

function synthesize(input: readonly IngestRecord[]): SpanData[] {
  const spans = synthesizeRecords(input, { cluster: 'late' }).flat();
  expect(checkInvariants(spans)).toEqual([]);
  return spans;
}

// Re-delivers the records `late` picks `delayMs` after they were recorded (the others keep theirs).
function deliverLate(input: readonly IngestRecord[], late: (r: IngestRecord) => boolean, delayMs: number) {
  return input
    .map((r, i) => ({ r: late(r) ? ({ ...r, timeMs: r.timeMs + delayMs } as IngestRecord) : r, i }))
    .sort((a, b) => a.r.timeMs - b.r.timeMs || a.i - b.i)
    .map((x) => x.r);
}

const isBinding = (r: IngestRecord): boolean =>
  r.source === 'audit' && r.audit.verb === 'create' && r.audit.objectRef?.subresource === 'binding';

function parentName(spans: readonly SpanData[], s: SpanData): string | undefined {
  return spans.find((p) => p.traceId === s.traceId && p.spanId === s.parentSpanId)?.name;
}

describe('a pods/binding request delivered after its pod started (real control plane, Job)', () => {
  it('goes under the startup’s schedule phase, as when it arrives in time', () => {
    expect(records.filter(isBinding)).toHaveLength(2);
    // 10 s late: both pods have passed their startup (Failed, Ready) before their binding arrives.
    for (const input of [records, deliverLate(records, isBinding, 10_000)]) {
      const spans = synthesize(input);
      const bindings = spans.filter((s) => s.name === 'create pods/binding');
      expect(bindings).toHaveLength(2);
      for (const b of bindings) expect(parentName(spans, b)).toBe('schedule');
    }
  });
});

const isPodWatch = (r: IngestRecord): boolean => r.source === 'object' && r.object['kind'] === 'Pod';

describe('a pod write whose audit body arrives late (real control plane, Job)', () => {
  // The audit stream 3 s behind, the Pod informer 4 s: each kubelet status write reaches synth
  // first as a late audit body. The first pod fails (exit 1) and the job-controller drops its
  // tracking finalizer a second later.
  const late = (input: readonly IngestRecord[]): IngestRecord[] =>
    deliverLate(
      deliverLate(input, (r) => r.source === 'audit', 3_000),
      isPodWatch,
      4_000,
    );

  it('ends the failed startup at the status write that failed it, not when the write arrived', () => {
    const [base, skewed] = [synthesize(records), synthesize(late(records))];
    const failed = (spans: SpanData[]) =>
      spans.find((s) => s.name === 'pod startup' && s.attributes['kubestitch.outcome'] === 'failed');
    expect(failed(base)?.endMs).toBeDefined();
    expect(failed(skewed)?.endMs).toBe(failed(base)?.endMs);
  });

  it('keeps the job-controller’s finalizer patches out of the pod’s finished startup and run', () => {
    // Also with the Pod informer ahead of the audit (2 s and 4 s late): the pod's finish is then
    // seen first, dated by when its update arrived.
    const watchFirst = deliverLate(
      deliverLate(records, (r) => r.source === 'audit', 4_000),
      isPodWatch,
      2_000,
    );
    for (const input of [records, late(records), watchFirst]) {
      const spans = synthesize(input);
      const patches = spans.filter(
        (s) => s.name === 'patch pods' && String(s.attributes['kubestitch.audit.user']).endsWith(':job-controller'),
      );
      expect(patches).toHaveLength(2);
      for (const p of patches) expect(parentName(spans, p)).toBe('Pod activity');
    }
  });
});
