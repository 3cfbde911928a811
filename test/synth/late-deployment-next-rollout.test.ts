import { beforeAll, describe, expect, it } from 'vitest';
import type { IngestRecord } from '../../src/model/records.js';
import type { SpanData } from '../../src/model/span.js';
import { synthesizeRecords } from '../../src/replay.js';
import { largeClusterRecords } from '../perturb/large-cluster.js';
import { type Placement, compare, partition } from '../perturb/partition.js';
import { snapshotOnly } from '../perturb/perturb.js';

// The large generated cluster (test/perturb/large.test.ts, 16 Deployments), each object kept at
// one state, team-1/search alone: its only snapshot is from mid-way through its first rollout
// (10:00:22, the new ReplicaSet at 2 of 4), which the records it opened had shown nothing to end
// (the old ReplicaSet's Event to 0 at 10:00:29 says it is over). The second rollout's new
// ReplicaSet, brought up from 0 at 10:01:20 (its snapshot at 10:01:28), was taken for the first
// rollout's: one rollout spanned both.

let records: IngestRecord[] = [];
let sampled: IngestRecord[] = [];
beforeAll(async () => {
  const all = await largeClusterRecords({ deployments: 16, seed: 1 });
  records = all.filter(isSearch);
  // Sampled as the harness does (the states kept depend on every object of the recording).
  sampled = snapshotOnly(all, 1).records.filter(isSearch);
}, 60_000);

function isSearch(r: IngestRecord): boolean {
  if (r.source === 'event')
    return r.event.regarding.namespace === 'team-1' && r.event.regarding.name.startsWith('search');
  if (r.source !== 'object') return false;
  const meta = r.object['metadata'] as Record<string, unknown> | undefined;
  return meta?.['namespace'] === 'team-1' && String(meta['name']).startsWith('search');
}

function rollouts(spans: readonly SpanData[]): SpanData[] {
  return spans.filter((s) => s.name === 'Deployment rollout');
}

describe('a Deployment’s next rollout when its record showed the previous one unfinished', () => {
  it('is a rollout of its own, its ReplicaSets’ steps and pods under it, as when every state is seen', () => {
    const base = synthesizeRecords(records, { cluster: 'c' }).flat();
    const late = synthesizeRecords(sampled, { cluster: 'c' }).flat();
    expect(rollouts(base)).toHaveLength(2);
    expect(rollouts(late)).toHaveLength(2);
    const expected = partition(base);
    const uid = String(rollouts(base)[0]?.attributes['k8s.object.uid']);
    const second = `deployment.rollout:${uid}#1`;
    const include = (p: Placement): boolean => p.root === second && !p.id.startsWith('audit:');
    expect([...expected.values()].filter(include).length).toBeGreaterThan(10);
    expect(compare(expected, partition(late), include, Infinity).examples).toEqual([]);
  });
});
