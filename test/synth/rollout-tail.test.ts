import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { IngestRecord } from '../../src/model/records.js';
import type { SpanData } from '../../src/model/span.js';
import { synthesizeRecords } from '../../src/replay.js';
import { readRecording } from '../../src/sources/recording/read-recording.js';
import { cutAt } from '../perturb/perturb.js';

// A cut (issue 14): `run` installed while a rollout's last old pod terminates. The initial lists
// show the Deployment complete at revision 2, its old ReplicaSet (revision 1) at 0 and that pod
// with a deletionTimestamp; nothing in progress opened the rollout, so the pod's termination, its
// kubelet's status patch and the final delete stood as a trace of their own where the whole
// recording has them under the old ReplicaSet's scale-down in the rollout's trace. The old
// ReplicaSet at 0 still owning a terminating pod is the rollout's tail: first sight opens it.

const EXAMPLE = fileURLToPath(new URL('../../examples/rolling-update-audit', import.meta.url));

function threeQuarters(records: readonly IngestRecord[]): number {
  return records[Math.floor(records.length * 0.75)]?.timeMs ?? 0;
}

// The termination's chain up to its root, by span name, and the names of its children from `fromMs`.
function chainOf(spans: readonly SpanData[], fromMs: number): { chain: string[]; children: string[] } {
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const termination = spans.find((s) => s.name === 'pod termination' && s.startMs > Date.parse('2026-03-01T10:00:35Z'));
  const chain: string[] = [];
  for (let s = termination; s !== undefined; s = s.parentSpanId === undefined ? undefined : byId.get(s.parentSpanId)) {
    chain.push(s.name);
  }
  const children = spans.filter((s) => s.parentSpanId === termination?.spanId && s.startMs >= fromMs);
  return { chain, children: children.map((s) => s.name).sort() };
}

describe('a rollout’s last old pod first seen terminating', () => {
  it('nests its termination under the old ReplicaSet’s scale-down in the rollout, lists owner-first or shuffled', async () => {
    const { records } = await readRecording(EXAMPLE);
    const cutMs = threeQuarters(records);
    const whole = chainOf(synthesizeRecords(records, { cluster: 'c' }).flat(), cutMs);
    expect(whole).toEqual({
      chain: ['pod termination', 'ReplicaSet scale down', 'Deployment rollout'],
      children: ['delete pods', 'patch pods/status'],
    });
    // Owner-first lists; events first; pods before their owners (shuffle seed 4).
    for (const seed of [undefined, 1, 4]) {
      const spans = synthesizeRecords(cutAt(records, cutMs, seed).records, { cluster: 'c' }).flat();
      expect(chainOf(spans, cutMs), `lists shuffled with seed ${String(seed)}`).toEqual(whole);
    }
  });

  it('opens no rollout for an old ReplicaSet at 0 whose pods are gone', async () => {
    const { records } = await readRecording(EXAMPLE);
    const lastDelete = records.findLast(
      (r) => r.source === 'object' && r.type === 'DELETED' && (r.object['kind'] as string) === 'Pod',
    );
    const cutMs = (lastDelete?.timeMs ?? 0) + 1;
    const spans = synthesizeRecords(cutAt(records, cutMs).records, { cluster: 'c' }).flat();
    expect(spans.filter((s) => s.name === 'Deployment rollout' || s.name === 'ReplicaSet scale down')).toEqual([]);
  });
});
