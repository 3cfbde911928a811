/**
 * Event records for the Events-as-evidence tests (issue 14): a core/v1 Event about an object in
 * namespace `shop`, as the Event informer would deliver it.
 */
import type { IngestRecord } from '../../src/model/records.js';
import { normalizeEvent } from '../../src/sources/event-normalize.js';

export interface Regarding {
  readonly kind: string;
  readonly name: string;
  readonly uid: string;
}

const API_VERSIONS: Readonly<Record<string, string>> = { Pod: 'v1', Node: 'v1', Job: 'batch/v1', CronJob: 'batch/v1' };
const iso = (ms: number): string => new Date(ms).toISOString();
let n = 0;

/** An Event that happened at `atMs` (second precision) and was received `receivedAfter` ms later. */
export function event(
  regarding: Regarding,
  reason: string,
  note: string,
  atMs: number,
  receivedAfter = 20,
): IngestRecord {
  n++;
  const e = normalizeEvent({
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: `e.${n}`, namespace: 'shop', uid: `ev-${n}` },
    involvedObject: { ...regarding, namespace: 'shop', apiVersion: API_VERSIONS[regarding.kind] ?? 'apps/v1' },
    reason,
    message: note,
    type: 'Normal',
    source: { component: 'test' },
    firstTimestamp: iso(atMs),
    lastTimestamp: iso(atMs),
    count: 1,
  });
  if (typeof e === 'string') throw new Error(e);
  const origin = { file: 't', line: 1 };
  return { source: 'event', type: 'ADDED', event: e, timeMs: atMs + receivedAfter, timeEstimated: false, origin };
}
