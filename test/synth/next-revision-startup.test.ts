import { describe, expect, it } from 'vitest';
import type { SpanData } from '../../src/model/span.js';
import { synthesizeRecords } from '../../src/replay.js';
import { readRecording } from '../../src/sources/recording/read-recording.js';
import { checkInvariants } from '../support/invariants.js';
import { snapshotOnly } from '../perturb/perturb.js';

// A rollout brings pods of one revision up. The real StatefulSet and DaemonSet recordings as one
// snapshot per object plus every Event (issue 14's snapshot-only input): the workload is seen only
// at the end, so its second rollout opens from the Events (a pod deleted that the first rollout
// created), applied seconds after the first pod of the new revision was seen starting. That pod's
// startup must wait for the second rollout, not join the first one because it happens to be open.

const FIXTURES = new URL('../fixtures/real/', import.meta.url).pathname;

/** The rollout (1 = first, 2 = second) holding the startup of pod `uid`. */
function rolloutOf(spans: readonly SpanData[], kind: string, uid: string): string {
  const rollouts = spans.filter((s) => s.name === `${kind} rollout`).sort((a, b) => a.startMs - b.startMs);
  const startup = spans.find((s) => s.name === 'pod startup' && s.attributes['k8s.pod.uid'] === uid);
  const i = rollouts.findIndex((r) => r.spanId === startup?.parentSpanId && r.traceId === startup.traceId);
  return i < 0 ? 'none' : String(i + 1);
}

describe('a workload pod of the next revision first seen starting while the last rollout is open', () => {
  it.each([
    ['sts', 'StatefulSet', '7013a92d-2f66-4a72-a942-672b4eb9461f', [2, 3]],
    ['ds', 'DaemonSet', 'd2026e4d-8eb7-4f9e-b4c0-372838536075', [1, 2, 3]],
  ] as const)('real/%s: its startup is under the second rollout', async (dir, kind, uid, seeds) => {
    const { records } = await readRecording(`${FIXTURES}${dir}`);
    for (const seed of seeds) {
      const spans = synthesizeRecords(snapshotOnly(records, seed).records, { cluster: 'c' }).flat();
      expect(checkInvariants(spans)).toEqual([]);
      expect(`${String(seed)}: ${rolloutOf(spans, kind, uid)}`).toBe(`${String(seed)}: 2`);
    }
  });
});
