import { str } from '../../src/model/kube-json.js';
import type { IngestRecord, ObjectRecord } from '../../src/model/records.js';
import { prng } from '../support/prng.js';
import { kindRank } from '../../src/sources/recording/record-order.js';

/** One way real delivery differs from the simulator's complete, totally ordered stream. */
export type PerturbationKind =
  | 'unperturbed'
  | 'kind-skew'
  | 'audit-batches-1s'
  | 'audit-batches-10s'
  | 'audit-batches-10s-offsets'
  | 'cut'
  | 'cut-shuffled-lists'
  | 'snapshot-only';

export interface Perturbed {
  readonly records: IngestRecord[];
  /** Operations that started before this were not observable (cuts); -Infinity otherwise. */
  readonly cutMs: number;
  /** Whether audit reached synth (snapshot-only input has none). */
  readonly audit: boolean;
  /** False when no DELETED record reached synth (snapshot-only): deletions were not observable. */
  readonly deletes?: boolean;
}

/** The stream a record arrives on: its object kind, Events, or audit. */
function streamOf(r: IngestRecord): string {
  if (r.source === 'audit') return 'audit';
  if (r.source === 'event') return 'Event';
  return str(r.object, 'kind') ?? '';
}

// Re-delivers records at new times; records of one stream keep their order (one informer, one
// webhook), streams interleave by the new time, ties keep the original processing order.
function redeliver(records: readonly IngestRecord[], timeOf: (r: IngestRecord) => number): IngestRecord[] {
  return records
    .map((r, i) => ({ r: { ...r, timeMs: timeOf(r) } as IngestRecord, i }))
    .sort((a, b) => a.r.timeMs - b.r.timeMs || a.i - b.i)
    .map((x) => x.r);
}

/** (b) Each stream (object kind, Events, audit) delayed independently by 0–5 s. */
export function kindSkew(records: readonly IngestRecord[], seed: number): Perturbed {
  const rand = prng(seed);
  const delays = new Map<string, number>();
  for (const s of [...new Set(records.map(streamOf))].sort()) delays.set(s, Math.floor(rand() * 5000));
  return {
    records: redeliver(records, (r) => r.timeMs + (delays.get(streamOf(r)) ?? 0)),
    cutMs: -Infinity,
    audit: true,
  };
}

/**
 * (c) Audit delivered in webhook batches: everything of a batch window arrives at its end. Windows
 * start `offsetMs` after each whole `batchMs`: where the boundary falls decides which writes
 * arrive after the changes they caused, and a late-audit bug may show at one phase only.
 */
export function auditBatches(records: readonly IngestRecord[], batchMs: number, offsetMs = 0): Perturbed {
  const at = (r: IngestRecord): number =>
    r.source === 'audit' ? Math.floor((r.timeMs - offsetMs) / batchMs) * batchMs + offsetMs + batchMs + 50 : r.timeMs;
  return { records: redeliver(records, at), cutMs: -Infinity, audit: true };
}

/**
 * (d, e) Observation starts at `cutMs`: everything before is gone; what existed then arrives as
 * initial lists (objects and Events as of `cutMs`), one kind after another in `kindOrder` (or in
 * owner-first order), 20 ms apart; audit from before the cut is lost.
 */
export function cutAt(records: readonly IngestRecord[], cutMs: number, shuffleSeed?: number): Perturbed {
  const lastObject = new Map<string, ObjectRecord>();
  const lastEvent = new Map<string, IngestRecord>();
  const after: IngestRecord[] = [];
  for (const r of records) {
    if (r.timeMs >= cutMs) after.push(r);
    else if (r.source === 'object') {
      const uid = str(r.object, 'metadata', 'uid') ?? `${streamOf(r)}/${str(r.object, 'metadata', 'name') ?? ''}`;
      if (r.type === 'DELETED') lastObject.delete(uid);
      else lastObject.set(uid, r);
    } else if (r.source === 'event') {
      if (r.type === 'DELETED') lastEvent.delete(r.event.key);
      else lastEvent.set(r.event.key, r);
    }
  }
  const lists = new Map<string, IngestRecord[]>();
  for (const r of [...lastObject.values(), ...lastEvent.values()]) {
    const list = lists.get(streamOf(r)) ?? [];
    list.push(r);
    lists.set(streamOf(r), list);
  }
  let kinds = [...lists.keys()].sort((a, b) => kindRank(a) - kindRank(b) || (a < b ? -1 : 1));
  if (shuffleSeed !== undefined) kinds = shuffle(kinds, prng(shuffleSeed));
  const initial: IngestRecord[] = [];
  kinds.forEach((kind, k) => {
    for (const r of lists.get(kind) ?? []) {
      const timeMs = cutMs + k * 20;
      initial.push(
        r.source === 'object' ? { ...r, type: 'ADDED', timeMs } : ({ ...r, type: 'ADDED', timeMs } as IngestRecord),
      );
    }
  });
  const listEnd = cutMs + kinds.length * 20;
  // Changes of the first moments arrive behind the lists (a watch starts after its list).
  const rest = redeliver(after, (r) => Math.max(r.timeMs, listEnd));
  return { records: [...initial, ...rest], cutMs, audit: true };
}

/** (f) Each object kept at one random state of its history, plus every Event; no audit. */
export function snapshotOnly(records: readonly IngestRecord[], seed: number): Perturbed {
  const rand = prng(seed);
  const states = new Map<string, ObjectRecord[]>();
  for (const r of records) {
    if (r.source !== 'object' || r.type === 'DELETED') continue;
    const uid = str(r.object, 'metadata', 'uid') ?? `${streamOf(r)}/${str(r.object, 'metadata', 'name') ?? ''}`;
    const list = states.get(uid) ?? [];
    list.push(r);
    states.set(uid, list);
  }
  const kept = new Set<IngestRecord>();
  for (const uid of [...states.keys()].sort()) {
    const list = states.get(uid) ?? [];
    const pick = list[Math.floor(rand() * list.length)];
    if (pick !== undefined) kept.add(pick);
  }
  const out = records
    .filter((r) => r.source === 'event' || kept.has(r))
    .map((r) => (r.source === 'object' ? ({ ...r, type: 'ADDED' } as IngestRecord) : r));
  return { records: out, cutMs: -Infinity, audit: false, deletes: false };
}

function shuffle<T>(items: readonly T[], rand: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const tmp = out[i] as T;
    out[i] = out[j] as T;
    out[j] = tmp;
  }
  return out;
}
