import { beforeAll, describe, expect, it } from 'vitest';
import type { IngestRecord } from '../../src/model/records.js';
import type { SpanData } from '../../src/model/span.js';
import { synthesizeRecords } from '../../src/replay.js';
import { largeClusterRecords } from '../perturb/large-cluster.js';
import { auditBatches } from '../perturb/perturb.js';

// The large generated cluster (test/perturb/large.test.ts), audit in 10 s webhook batches:
// team-1/web-api scaled 4→6 and, 130 ms later, rolled out. The old ReplicaSet's scale-up created
// two pods (10:00:08.10–.11); the rollout's scale-down 6→5 opened at its record (10:00:08.194).
// The creates' audit batch, arriving after, went under the scale-down — `at` prefers the open
// operation when its start, a receive time, is within a second after the request — though a
// ReplicaSet creates pods only scaling up, and the scale-up's own interval holds them.

let records: IngestRecord[] = [];
beforeAll(async () => {
  records = await largeClusterRecords({ deployments: 2, seed: 1 });
}, 60_000);

// The parent span name of every pod create by the replicaset-controller, by audit id.
function createParents(spans: readonly SpanData[]): Map<string, string> {
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const out = new Map<string, string>();
  for (const s of spans) {
    if (s.name !== 'create pods') continue;
    const parent = byId.get(s.parentSpanId ?? '');
    if (parent?.name.startsWith('ReplicaSet') === true) out.set(String(s.attributes['audit-id']), parent.name);
  }
  return out;
}

describe('a ReplicaSet’s pod creates whose audit arrives after its next step, a scale-down, opened', () => {
  it('are in the scale-up that made them, as when delivered in time', () => {
    const base = createParents(synthesizeRecords(records, { cluster: 'c' }).flat());
    const late = createParents(synthesizeRecords(auditBatches(records, 10_000).records, { cluster: 'c' }).flat());
    expect([...new Set(base.values())]).toEqual(['ReplicaSet scale up']);
    expect([...late].filter(([, parent]) => parent !== 'ReplicaSet scale up')).toEqual([]);
    expect(late.size).toBe(base.size);
  });
});
