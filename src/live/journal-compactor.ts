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

// Journal entries folded per atomic baseline write. One write for everything past the horizon
// held every object's last line in the heap and the whole batch in LevelDB's native memory at
// once: the first compaction of a 100,000-pod cluster (its initial list, 2.4 KB lines) peaked at
// 544 MB heap and 1.35 GB RSS for 17 s of CPU. Folding a prefix of the journal is a compaction
// with an earlier horizon, so each chunk leaves a complete baseline of its own.
const ENTRIES_PER_WRITE = 10_000;

/**
 * Bounds the journal (DESIGN §6 retention): committed entries appended before `horizonMs` are
 * folded into the baseline — the last version of every object still alive, keyed by uid — and
 * truncated. Pick the horizon so every operation and activity window open at it has ended by now
 * (max operation age + window length + margin): then replaying baseline + journal rebuilds the
 * state that matters. The entries are folded `entriesPerWrite` at a time, oldest first; each
 * chunk's baseline is written (with its base sequence) in one atomic batch before the journal is
 * truncated to it, so a crash between the two only leaves entries the restore skips, and a crash
 * between chunks leaves the baseline of the chunks done. Rejects with the store's error; the
 * chunks done before it stay done.
 */
export async function compactJournal(
  journal: IntakeLog,
  baseline: KvStore,
  horizonMs: number,
  entriesPerWrite = ENTRIES_PER_WRITE,
): Promise<CompactionResult> {
  const before = journal.baseSeq;
  let puts = 0;
  let deletes = 0;
  for (;;) {
    const chunk = await compactChunk(journal, baseline, horizonMs, Math.max(1, entriesPerWrite));
    if (chunk === undefined) break;
    puts += chunk.puts;
    deletes += chunk.deletes;
  }
  return {
    baseSeq: journal.baseSeq,
    truncatedEntries: journal.baseSeq - before,
    baselinePuts: puts,
    baselineDeletes: deletes,
  };
}

// Folds up to `limit` entries past the baseline; undefined when none was old enough.
async function compactChunk(
  journal: IntakeLog,
  baseline: KvStore,
  horizonMs: number,
  limit: number,
): Promise<{ puts: number; deletes: number } | undefined> {
  const from = Math.max(journal.baseSeq, await baselineBase(baseline));
  const ops = new Map<string, KvOp>();
  let last = from - 1;
  for await (const entry of journal.readFrom(from)) {
    if (entry.seq > journal.committedSeq || entry.appendedAtMs >= horizonMs || entry.seq - from >= limit) break;
    last = entry.seq;
    const line = objectLine(entry.body);
    if (line === undefined) continue;
    const key = OBJECT_PREFIX + line.uid;
    if (line.type === 'DELETED') ops.set(key, { type: 'del', key });
    else ops.set(key, { type: 'put', key, value: entry.body });
  }
  if (last < from) return undefined;
  let puts = 0;
  for (const op of ops.values()) if (op.type === 'put') puts++;
  await baseline.batch([...ops.values(), { type: 'put', key: BASE_KEY, value: String(last + 1) }]);
  await journal.truncateBefore(last + 1);
  return { puts, deletes: ops.size - puts };
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
