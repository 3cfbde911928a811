import { beforeAll, describe, expect, it } from 'vitest';
import type { IngestRecord } from '../../src/model/records.js';
import type { SpanData } from '../../src/model/span.js';
import { synthesizeRecords } from '../../src/replay.js';
import { largeClusterRecords } from '../perturb/large-cluster.js';
import { auditBatches } from '../perturb/perturb.js';

// The large generated cluster (test/perturb/large.test.ts), audit in 10 s webhook batches:
// team-1/web-api scaled 4→6 and, 130 ms later, rolled out; the rollout deleted a pod the scale had
// created 100 ms before, still Pending. The pod's deletion record ended its startup and opened its
// termination at that record's time; the scheduler's pods/binding (before the deletion), arriving
// with its batch afterwards, went under the termination — `at` prefers the open operation within
// a second of slack — and pulled its start back. A binding is its pod's scheduling, in its startup.

let records: IngestRecord[] = [];
beforeAll(async () => {
  records = await largeClusterRecords({ deployments: 2, seed: 1 });
}, 60_000);

function bindingParents(spans: readonly SpanData[]): Map<string, string> {
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const out = new Map<string, string>();
  for (const s of spans) {
    if (s.name !== 'create pods/binding') continue;
    out.set(String(s.attributes['audit-id']), byId.get(s.parentSpanId ?? '')?.name ?? '(root)');
  }
  return out;
}

describe('a pod’s binding whose audit arrives after the pod’s deletion record', () => {
  it('is in the pod’s startup (its schedule phase), as when delivered in time', () => {
    const base = bindingParents(synthesizeRecords(records, { cluster: 'c' }).flat());
    const late = bindingParents(synthesizeRecords(auditBatches(records, 10_000).records, { cluster: 'c' }).flat());
    expect([...new Set(base.values())]).toEqual(['schedule']);
    expect([...late].filter(([, parent]) => parent !== 'schedule')).toEqual([]);
  });
});
