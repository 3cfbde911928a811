import { str } from '../../model/kube-json.js';
import type { IngestRecord, WatchType } from '../../model/records.js';
import { numericResourceVersion } from './object-time.js';

// Owners sort before what they own when times tie (second-precision timestamps tie often), so a
// child never arrives before a parent created in the same instant.
const KIND_RANK: Readonly<Record<string, number>> = {
  Namespace: 0,
  Node: 0,
  CronJob: 1,
  Deployment: 2,
  StatefulSet: 3,
  DaemonSet: 3,
  Job: 3,
  ReplicaSet: 4,
  Pod: 5,
};
const OTHER_KIND_RANK = 6;
const EVENT_RANK = 7;

/** Where a kind sorts among records of one instant: owners first, then what they own, Events last. */
export function kindRank(kind: string): number {
  return kind === 'Event' ? EVENT_RANK : (KIND_RANK[kind] ?? OTHER_KIND_RANK);
}
// An audited request causes the watch change stamped the same instant.
const AUDIT_RANK = -1;
const TYPE_RANK: Readonly<Record<WatchType, number>> = { ADDED: 0, MODIFIED: 1, DELETED: 2 };

/** A record plus the raw text it was parsed from, the last tie-breaker of the total order. */
export interface RankedRecord {
  readonly record: IngestRecord;
  readonly raw: string;
}

/**
 * Compares two records in processing order: time, then owner-before-owned, then resourceVersion,
 * then watch type, then raw text. The order is total, so any permutation of the input lines sorts
 * to the same sequence (DESIGN §3.5 invariant 4).
 */
export function compareRecords(a: RankedRecord, b: RankedRecord): number {
  return compareOrderKeys(orderKeyOf(a), orderKeyOf(b));
}

/** What compareRecords compares, computed once per record (a reorder window compares each often). */
export interface OrderKey {
  readonly wholeMs: number;
  readonly rank: number;
  readonly timeMs: number;
  readonly rv: number;
  readonly typeRank: number;
  readonly raw: string;
}

export function orderKeyOf(r: RankedRecord): OrderKey {
  const record = r.record;
  return {
    wholeMs: Math.floor(record.timeMs),
    rank: rank(record),
    timeMs: record.timeMs,
    rv: rvOf(record),
    typeRank: typeRank(record),
    raw: r.raw,
  };
}

/** compareRecords on the records' keys. */
export function compareOrderKeys(a: OrderKey, b: OrderKey): number {
  return (
    // Receive times (`ts`) have millisecond precision, audit times microseconds: within one
    // millisecond, the request comes before the watch event it caused.
    a.wholeMs - b.wholeMs ||
    a.rank - b.rank ||
    a.timeMs - b.timeMs ||
    a.rv - b.rv ||
    a.typeRank - b.typeRank ||
    (a.raw < b.raw ? -1 : a.raw > b.raw ? 1 : 0)
  );
}

function typeRank(r: IngestRecord): number {
  return r.source === 'audit' ? 0 : TYPE_RANK[r.type];
}

function rank(r: IngestRecord): number {
  if (r.source === 'event') return EVENT_RANK;
  if (r.source === 'audit') return AUDIT_RANK;
  return KIND_RANK[str(r.object, 'kind') ?? ''] ?? OTHER_KIND_RANK;
}

function rvOf(r: IngestRecord): number {
  return r.source === 'object' ? (numericResourceVersion(r.object) ?? 0) : 0;
}
