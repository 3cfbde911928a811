import { str } from '../../src/model/kube-json.js';
import type { IngestRecord } from '../../src/model/records.js';
import { DELETE_OPERATION } from '../../src/synth/operation-index.js';
import { type Comparison, type Hidden, operationUid } from './partition.js';
import type { Perturbed } from './perturb.js';

// What perturbation.test.ts and large.test.ts share: the tally of one perturbation kind, its row
// in the printed table, and which operations a perturbed input cannot contain.

export interface Tally {
  runs: number;
  tried: number;
  matched: number;
  examples: string[];
  /** Differences by operation type and how (see partition.ts compare). */
  misses: Map<string, number>;
  /** Placements under an operation the input cannot contain, right in what it shows, by reason. */
  unobservable: Map<string, number>;
}

export function newTally(): Tally {
  return { runs: 0, tried: 0, matched: 0, examples: [], misses: new Map(), unobservable: new Map() };
}

/** Adds one variant's comparison to `t` (examples are the caller's: they name the recording). */
export function addComparison(t: Tally, c: Comparison): void {
  t.runs++;
  t.tried += c.tried;
  t.matched += c.matched;
  for (const [k, n] of c.misses) t.misses.set(k, (t.misses.get(k) ?? 0) + n);
  for (const [k, n] of c.unobservable) t.unobservable.set(k, (t.unobservable.get(k) ?? 0) + n);
}

/** The table row of one perturbation kind: tried, matching, then where the differences are. */
export function tallyRow(kind: string, t: Tally): string {
  return (
    `${kind.padEnd(20)} runs=${String(t.runs).padStart(4)} operations tried=${String(t.tried).padStart(6)} ` +
    `matching unperturbed=${String(t.matched).padStart(6)} (${((100 * t.matched) / Math.max(1, t.tried)).toFixed(1)}%)` +
    missesLine(t.misses) +
    unobservableLine(t.unobservable)
  );
}

// Where the differences are, largest first: what to work on next.
function missesLine(misses: ReadonlyMap<string, number>): string {
  const top = [...misses].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, 6);
  return top.length === 0 ? '' : `\n${' '.repeat(22)}${top.map(([k, n]) => `${k} ${n}`).join(', ')}`;
}

export function total(by: ReadonlyMap<string, number>): number {
  return [...by.values()].reduce((a, b) => a + b, 0);
}

// Not in tried, not silently dropped either: how many placements sat under an operation the
// perturbed input cannot hold, and why (each present, under its expected parent where that parent
// is observable; any other difference of theirs is a miss).
function unobservableLine(by: ReadonlyMap<string, number>): string {
  const n = total(by);
  if (n === 0) return '';
  const reasons = [...by].sort((a, b) => b[1] - a[1]).map(([r, k]) => `${r}: ${k}`);
  return `\n${' '.repeat(22)}unobservable ${n} — ${reasons.join('; ')}`;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function objectUids(records: readonly IngestRecord[]): Set<string> {
  const out = new Set<string>();
  for (const r of records) if (r.source === 'object') out.add(str(r.object, 'metadata', 'uid') ?? '');
  return out;
}

/**
 * Operations the perturbed input cannot contain: a deletion when no DELETED record reached synth
 * (snapshot-only), and any operation on an object the whole recording has but the perturbed input
 * never shows (a cut taken after it was gone: its uid is in no list and no later record).
 */
export function hiddenIn(p: Perturbed, whole: ReadonlySet<string>): Hidden {
  const seen = objectUids(p.records);
  return (id) => {
    if (p.deletes === false && id.startsWith(`${DELETE_OPERATION}:`)) return 'a deletion, with no DELETED record';
    const uid = operationUid(id);
    if (uid !== undefined && UUID.test(uid) && whole.has(uid) && !seen.has(uid)) return 'an object gone before the cut';
    return undefined;
  };
}
