import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { IngestRecord } from '../../src/model/records.js';
import type { SpanData } from '../../src/model/span.js';
import { synthesizeRecords } from '../../src/replay.js';
import { readRecording } from '../../src/sources/recording/read-recording.js';
import { snapshotOnly } from '../perturb/perturb.js';

// Events, with at most one snapshot per object (issue 14): the real deploy recording's rollout
// ends with "Scaled down replica set web-84c8ff55c9 from 1 to 0", then kubectl scales 3→5 and
// 5→2. Without records nothing ended the Events' rollout, so both scales were folded into it (and
// the 5→2 into the 3→5 once that opened): the Deployment showed two rollouts and no scale.

const DEPLOY = fileURLToPath(new URL('../fixtures/real/deploy', import.meta.url));
const range = (s: SpanData): string =>
  `${String(s.attributes['kubestitch.replicas.from'])}→${String(s.attributes['kubestitch.replicas.to'])}`;

/** The Deployment's operations in time order, with their ReplicaSet steps; ranges of scales and steps. */
function deploymentOps(spans: readonly SpanData[]): string[] {
  return spans
    .filter((s) => s.name.startsWith('Deployment ') && s.name !== 'Deployment activity')
    .sort((a, b) => a.startMs - b.startMs)
    .map((d) => {
      const steps = spans
        .filter((c) => c.parentSpanId === d.spanId && c.name.startsWith('ReplicaSet scale'))
        .sort((a, b) => a.startMs - b.startMs);
      const name = d.name === 'Deployment scale' ? `${d.name} ${range(d)}` : d.name;
      return `${name}: ${steps.map((c) => `${c.name} ${range(c)}`).join(', ')}`;
    });
}

describe('a Deployment scale after a rollout that only Events showed', () => {
  const expected = [
    'Deployment rollout: ReplicaSet scale up 0→3',
    'Deployment rollout: ReplicaSet scale up 0→3, ReplicaSet scale down 3→0',
    'Deployment scale 3→5: ReplicaSet scale up 3→5',
    'Deployment scale 5→2: ReplicaSet scale down 5→2',
    'Deployment delete: ',
  ];

  const names = expected.map((o) => o.split(/[ :]/, 2).join(' '));

  it('Events alone: each scale is its own operation with its ReplicaSet step, each range as Events say', async () => {
    const { records } = await readRecording(DEPLOY);
    const events = records.filter((r): r is IngestRecord => r.source === 'event');
    expect(deploymentOps(synthesizeRecords(events, { cluster: 'c' }).flat())).toEqual(expected.slice(0, 4));
  });

  it('one snapshot per object: the scales of the whole recording', async () => {
    const { records } = await readRecording(DEPLOY);
    const whole = deploymentOps(synthesizeRecords(records, { cluster: 'c' }).flat());
    expect(whole).toEqual(expected);
    for (const seed of [1, 2, 3]) {
      const spans = synthesizeRecords(snapshotOnly(records, seed).records, { cluster: 'c' }).flat();
      // (The rollouts' ReplicaSet ranges take in steps of the snapshot's ReplicaSet, seen mid-way.)
      const ops = deploymentOps(spans);
      expect(
        ops.map((o) => o.split(/[ :]/, 2).join(' ')),
        `seed ${seed}`,
      ).toEqual(names.slice(0, 4));
      expect(ops.slice(2), `seed ${seed}`).toEqual(expected.slice(2, 4));
    }
  });
});
