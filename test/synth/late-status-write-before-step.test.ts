import { beforeAll, describe, expect, it } from 'vitest';
import type { IngestRecord } from '../../src/model/records.js';
import type { SpanData } from '../../src/model/span.js';
import { synthesizeRecords } from '../../src/replay.js';
import { largeClusterRecords } from '../perturb/large-cluster.js';
import { compare, partition } from '../perturb/partition.js';
import { auditBatches } from '../perturb/perturb.js';

// The large generated cluster (test/perturb/large.test.ts), audit in 10 s webhook batches:
// team-1/web-api scaled 4→6 and, 130 ms later, rolled out. The old ReplicaSet's status writes
// during its scale-up (generation 2, 10:00:08.12 and .16) arrived, in their batch, after the
// rollout's scale-down 6→5 (generation 3) had opened at its record (10:00:08.194), and went under
// it: OperationIndex.at prefers the open operation within a second of slack, and a ReplicaSet's
// step carried no generation to tell that a write of generation 2 is not a generation-3 step's.

let records: IngestRecord[] = [];
beforeAll(async () => {
  records = await largeClusterRecords({ deployments: 2, seed: 1 });
}, 60_000);

function statusWrites(spans: readonly SpanData[]): Set<string> {
  const ids = spans.filter((s) => s.name === 'update replicasets/status').map((s) => s.attributes['audit-id']);
  return new Set(ids.map((id) => `audit:${String(id)}`));
}

describe('a ReplicaSet’s status writes whose audit arrives after its next step opened', () => {
  it('stay in the step of their generation, as when delivered in time', () => {
    const base = synthesizeRecords(records, { cluster: 'c' }).flat();
    const late = synthesizeRecords(auditBatches(records, 10_000).records, { cluster: 'c' }).flat();
    const writes = statusWrites(base);
    expect(writes.size).toBeGreaterThan(0);
    const c = compare(partition(base), partition(late), (p) => writes.has(p.id), Infinity);
    expect(c.examples).toEqual([]);
  });
});
