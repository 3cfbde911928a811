import { str } from '../../src/model/kube-json.js';
import type { IngestRecord } from '../../src/model/records.js';

/**
 * Records re-delivered with each stream (an object kind, 'Event', 'audit') late by its delay in
 * ms, as informers of different kinds deliver; a stream keeps its order, ties keep the original.
 */
export function skewed(records: readonly IngestRecord[], delays: Readonly<Record<string, number>>): IngestRecord[] {
  const stream = (r: IngestRecord): string =>
    r.source === 'audit' ? 'audit' : r.source === 'event' ? 'Event' : (str(r.object, 'kind') ?? '');
  return records
    .map((r, i) => ({ r: { ...r, timeMs: r.timeMs + (delays[stream(r)] ?? 0) } as IngestRecord, i }))
    .sort((a, b) => a.r.timeMs - b.r.timeMs || a.i - b.i)
    .map((x) => x.r);
}
