import type { IntakeLog, KvOp, KvStore } from '../../storage/index.js';
import type { IngestRecord } from '../model/records.js';
import { isObject, str } from '../model/kube-json.js';
import { watchValueToRecords } from '../sources/recording/read-recording.js';

const BASE_KEY = 'base';
const OBJECT_PREFIX = 'o/';

/** What one compaction did. */
export interface CompactionResult {
  /** The journal's first sequence after it (unchanged when nothing was old enough). */
  readonly baseSeq: number;
  readonly truncatedEntries: number;
  /** Objects written to / removed from the baseline. */
  readonly baselinePuts: number;
  readonly baselineDeletes: number;
}

/**
 * Bounds the journal (DESIGN §6 retention): committed entries appended before `horizonMs` are
 * folded into the baseline — the last version of every object still alive, keyed by uid — and
 * truncated. Pick the horizon so every operation and activity window open at it has ended by now
 * (max operation age + window length + margin): then replaying baseline + journal rebuilds the
 * state that matters. The baseline is written (with its base sequence) in one atomic batch before
 * the journal is truncated, so a crash between the two only leaves entries the restore skips.
 * Rejects with the store's error; nothing is truncated then.
 */
export async function compactJournal(
  journal: IntakeLog,
  baseline: KvStore,
  horizonMs: number,
): Promise<CompactionResult> {
  const from = Math.max(journal.baseSeq, await baselineBase(baseline));
  const ops = new Map<string, KvOp>();
  let last = from - 1;
  let puts = 0;
  let deletes = 0;
  for await (const entry of journal.readFrom(from)) {
    if (entry.seq > journal.committedSeq || entry.appendedAtMs >= horizonMs) break;
    last = entry.seq;
    const line = objectLine(entry.body);
    if (line === undefined) continue;
    const key = OBJECT_PREFIX + line.uid;
    if (line.type === 'DELETED') ops.set(key, { type: 'del', key });
    else ops.set(key, { type: 'put', key, value: entry.body });
  }
  if (last < from) return { baseSeq: journal.baseSeq, truncatedEntries: 0, baselinePuts: 0, baselineDeletes: 0 };
  for (const op of ops.values()) {
    if (op.type === 'put') puts++;
    else deletes++;
  }
  await baseline.batch([...ops.values(), { type: 'put', key: BASE_KEY, value: String(last + 1) }]);
  const before = journal.baseSeq;
  await journal.truncateBefore(last + 1);
  return {
    baseSeq: journal.baseSeq,
    truncatedEntries: journal.baseSeq - before,
    baselinePuts: puts,
    baselineDeletes: deletes,
  };
}

/** The first journal sequence the baseline does not cover (1 when there is no baseline). */
export async function baselineBase(baseline: KvStore): Promise<number> {
  const v = await baseline.get(BASE_KEY);
  const n = typeof v === 'string' ? Number(v) : 1;
  return Number.isSafeInteger(n) && n >= 1 ? n : 1;
}

/**
 * The baseline as records to restore synth from (`baseline: true`: state, never a change), in uid
 * order so a restore is deterministic. Unusable stored lines are skipped and counted in
 * `skipped`. Rejects with the store's read error.
 */
export async function loadBaseline(baseline: KvStore): Promise<{ records: IngestRecord[]; skipped: number }> {
  const records: IngestRecord[] = [];
  let skipped = 0;
  for await (const [, value] of baseline.iterate({ gte: OBJECT_PREFIX, lt: `${OBJECT_PREFIX}\uffff` })) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(String(value));
    } catch {
      skipped++;
      continue;
    }
    const out = watchValueToRecords(parsed, { file: 'baseline', line: 0 });
    if (typeof out === 'string') {
      skipped++;
      continue;
    }
    for (const r of out) if (r.source === 'object') records.push({ ...r, type: 'ADDED', baseline: true });
  }
  return { records, skipped };
}

// Object watch lines only: Events are not state (they expire), ticks and audit entries neither.
function objectLine(body: string): { type: string; uid: string } | undefined {
  if (!body.startsWith('{"type":"')) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (!isObject(value) || !isObject(value['object'])) return undefined;
  const type = str(value, 'type');
  const uid = str(value, 'object', 'metadata', 'uid');
  if (type === undefined || uid === undefined || str(value, 'object', 'kind') === 'Event') return undefined;
  return { type, uid };
}
