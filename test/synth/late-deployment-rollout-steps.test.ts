import { beforeAll, describe, expect, it } from 'vitest';
import type { IngestRecord } from '../../src/model/records.js';
import type { SpanData } from '../../src/model/span.js';
import { synthesizeRecords } from '../../src/replay.js';
import { largeClusterRecords } from '../perturb/large-cluster.js';
import { type Placement, compare, partition } from '../perturb/partition.js';
import { snapshotOnly } from '../perturb/perturb.js';

// The large generated cluster (test/perturb/large.test.ts) at 2 Deployments, each object kept at
// one state: team-1/web-api's only snapshot comes near the end of its second rollout (10:01:34),
// the new ReplicaSet's at its creation (10:01:19.105). The old ReplicaSet's scale-downs 6→5, …
// (ScalingReplicaSet Events) had no Deployment revision to be compared with, and each opened a
// "Deployment scale", the first of which took the new ReplicaSet's scale-up waiting for its owner:
// no rollout at all. The new ReplicaSet, brought up from 0 and not yet taken down, shows it.

let records: IngestRecord[] = [];
beforeAll(async () => {
  records = await largeClusterRecords({ deployments: 2, seed: 1 });
}, 60_000);

function deploymentUid(namespace: string, name: string): string {
  for (const r of records) {
    if (r.source !== 'object') continue;
    const meta = r.object['metadata'] as Record<string, unknown> | undefined;
    if (r.object['kind'] === 'Deployment' && meta?.['namespace'] === namespace && meta['name'] === name) {
      return String(meta['uid']);
    }
  }
  throw new Error(`no Deployment ${namespace}/${name}`);
}

function rollouts(spans: readonly SpanData[], uid: string): number {
  return spans.filter((s) => s.name === 'Deployment rollout' && s.attributes['k8s.object.uid'] === uid).length;
}

describe('a rollout whose Deployment’s record arrives late, known from its ReplicaSets’ steps', () => {
  it('keeps both ReplicaSets’ steps and their pods under the rollout, as when every state is seen', () => {
    const uid = deploymentUid('team-1', 'web-api');
    const base = synthesizeRecords(records, { cluster: 'c' }).flat();
    const late = synthesizeRecords(snapshotOnly(records, 1).records, { cluster: 'c' }).flat();
    const rollout = `deployment.rollout:${uid}#1`;
    // As the harness judges snapshot-only: audited requests are not in its input.
    const include = (p: Placement): boolean => p.root === rollout && !p.id.startsWith('audit:');
    const expected = partition(base);
    expect([...expected.values()].filter(include).length).toBeGreaterThan(10);
    expect(rollouts(late, uid)).toBe(rollouts(base, uid));
    const c = compare(expected, partition(late), include, Infinity);
    expect(c.examples).toEqual([]);
  });
});
