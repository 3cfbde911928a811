import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { IngestRecord } from '../../src/model/records.js';
import type { SpanData } from '../../src/model/span.js';
import { synthesizeRecords } from '../../src/replay.js';
import { readRecording } from '../../src/sources/recording/read-recording.js';
import { snapshotOnly } from '../perturb/perturb.js';

// Real deploy recording, one snapshot per object (issue 14): "Scaled up replica set web-765c69d446
// from 3 to 5" (received 10:23:41.025) is held 6 s before it is applied (event-evidence), and pod
// web-765c69d446-9mms5, created by that step, is first seen Pending (seed 1, 10:23:41.690) or
// Running (seed 3, 10:23:42.7) in between. The Event widened the ReplicaSet's rollout scale-up (open
// since 10:23:27.3: no ReplicaSet record closed it) on arrival, so the startup opened there, and the
// Deployment scale the Event then opened did not take it. Applied before the pod is seen (or the
// pod seen after the Event was applied), the startup is the 3→5 step's, as in the whole recording.

const DEPLOY = fileURLToPath(new URL('../fixtures/real/deploy', import.meta.url));
const POD = 'web-765c69d446-9mms5';

/** The pod's startup and what holds it: names, with replica ranges (`ranges`) or revisions. */
function chainOf(spans: readonly SpanData[], pod = POD, ranges = true): string[] {
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const startup = spans.find((s) => s.name === 'pod startup' && s.attributes['k8s.pod.name'] === pod);
  const out: string[] = [];
  for (let s = startup; s !== undefined; s = s.parentSpanId === undefined ? undefined : byId.get(s.parentSpanId)) {
    const from = s.attributes['kubestitch.replicas.from'];
    const revision = s.attributes['kubestitch.revision'];
    if (ranges && from !== undefined)
      out.push(`${s.name} ${String(from)}→${String(s.attributes['kubestitch.replicas.to'])}`);
    else out.push(!ranges && revision !== undefined ? `${s.name} revision ${String(revision)}` : s.name);
  }
  return out;
}

describe('a pod first seen while the scale-up that created it is announced by a held Event', () => {
  it('starts in that scale-up, as in the whole recording', async () => {
    const { records } = await readRecording(DEPLOY);
    const expected = ['pod startup', 'ReplicaSet scale up 3→5', 'Deployment scale 3→5'];
    expect(chainOf(synthesizeRecords(records, { cluster: 'c' }).flat())).toEqual(expected);
    for (const seed of [1, 3]) {
      const perturbed: IngestRecord[] = snapshotOnly(records, seed).records;
      const pod = perturbed.find((r) => r.source === 'object' && JSON.stringify(r.object).includes(`"${POD}"`));
      expect(pod?.timeMs, `seed ${seed}: the pod is seen before the Event is applied`).toBeLessThan(
        Date.parse('2026-12-07T10:23:47.025Z'),
      );
      expect(chainOf(synthesizeRecords(perturbed, { cluster: 'c' }).flat()), `seed ${seed}`).toEqual(expected);
    }
  });

  // Seed 1: "Created pod: web-765c69d446-d5t6b" (received 10:23:27.254) came 7 ms before "Scaled up
  // replica set web-765c69d446 from 0 to 1" (the ReplicaSet controller's Event before the
  // Deployment controller's), the ReplicaSet with no operation yet: the startup went under the
  // Deployment's operation of the time, the rollout to revision 1 its first snapshot opened.
  it('a pod a SuccessfulCreate names just before the scale-up that made it starts in that scale-up', async () => {
    const { records } = await readRecording(DEPLOY);
    const pod = 'web-765c69d446-d5t6b';
    const expected = ['pod startup', 'ReplicaSet scale up revision 2', 'Deployment rollout revision 2'];
    expect(chainOf(synthesizeRecords(records, { cluster: 'c' }).flat(), pod, false)).toEqual(expected);
    const spans = synthesizeRecords(snapshotOnly(records, 1).records, { cluster: 'c' }).flat();
    // (The rollout Events opened carries no revision; the one its snapshot opened does: 1.)
    expect(chainOf(spans, pod, false)).toEqual(['pod startup', 'ReplicaSet scale up revision 2', 'Deployment rollout']);
  });
});
