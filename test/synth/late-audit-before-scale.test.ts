import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { IngestRecord } from '../../src/model/records.js';
import type { SpanData } from '../../src/model/span.js';
import { synthesizeRecords } from '../../src/replay.js';
import { readRecording } from '../../src/sources/recording/read-recording.js';
import { auditBatches } from '../perturb/perturb.js';
import { compare, partition } from '../perturb/partition.js';

// The real deploy recording: its rollout's old ReplicaSet and the Deployment write their status
// at 10:23:39.0 (the last old pod gone), and `kubectl scale` patches the Deployment 3 → 5 at
// 10:23:40.97. With the audit webhook batching for 10 s, a batch window that closes after the
// scale (phases 1–4 s) delivers those two writes once the scale has opened from the Deployment's
// watch event: they went under the scale, which stretched back 1.9 s to cover them. They were
// written before it — the Deployment's at generation 2, the scale's change is generation 3 — and
// replayed in order the ReplicaSet's is in its scale-down step (it reports that step's last pod
// gone: test/synth/replicaset-last-status-write), the Deployment's in its activity window.

const DEPLOY = fileURLToPath(new URL('../fixtures/real/deploy', import.meta.url));
const RS_STATUS = 'f67948fd-815c-4ed2-9e14-c7c125762071';
const DEPLOYMENT_STATUS = '518ae5c6-888f-4ac9-977f-3cdbd4d7b6d6';

function synth(records: readonly IngestRecord[]): SpanData[] {
  return synthesizeRecords(records, { cluster: 'c' }).flat();
}

function parentOf(spans: readonly SpanData[], auditId: string): SpanData | undefined {
  const span = spans.find((s) => s.attributes['audit-id'] === auditId);
  return spans.find((s) => s.traceId === span?.traceId && s.spanId === span.parentSpanId);
}

describe('status writes from before a scale, in a webhook batch delivered after it opened', () => {
  it('stay out of the scale at every batch phase, which starts at kubectl’s request', async () => {
    const { records } = await readRecording(DEPLOY);
    const base = synth(records);
    for (let phaseMs = 0; phaseMs < 10_000; phaseMs += 1000) {
      const spans = synth(auditBatches(records, 10_000, phaseMs).records);
      const at = `phase ${phaseMs / 1000} s`;
      expect(parentOf(spans, RS_STATUS)?.name, at).toBe('ReplicaSet scale down');
      expect(parentOf(spans, DEPLOYMENT_STATUS)?.name, at).toBe('Deployment activity');
      const scale = spans.find((s) => s.name === 'Deployment scale');
      expect(new Date(scale?.startMs ?? 0).toISOString(), at).toBe('2026-12-07T10:23:40.972Z');
      expect(compare(partition(base), partition(spans)).examples, at).toEqual([]);
    }
  });
});
