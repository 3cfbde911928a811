/** An index record to delete from disk: its id (as the index keys it) and the sequence its key is built from. */
export interface DedupeRemoval {
  readonly id: string;
  readonly seq: number;
}

/**
 * The in-memory half of the intake log's dedupe index; the log persists it (one key per id, keyed
 * by sequence) and reloads it on open. A Map keeps insertion order, which is sequence order, so
 * the oldest ids come first when pruning.
 *
 * Retention: an id counts as a duplicate while it is younger than `windowMs` and among the newest
 * `maxEntries` ids. Pruning happens only through `planRemovals` + `apply`, so a failed write leaves
 * memory exactly as it was. Pure bookkeeping: nothing here throws.
 */
export class DedupeIndex {
  // id → its sequence. When it was appended lives in #times, per run of sequences appended at
  // the same time (an append batch): a { seq, atMs } object per id cost ~56 retained bytes each,
  // 11 MB for the 200,000 ids `kubestitch run` keeps (issue 16).
  readonly #byId = new Map<string, number>();
  readonly #times = new SeqTimes();
  readonly #maxEntries: number;
  readonly #windowMs: number;

  constructor(maxEntries: number, windowMs: number) {
    this.#maxEntries = maxEntries;
    this.#windowMs = windowMs;
  }

  get size(): number {
    return this.#byId.size;
  }

  /** Adds a record read back from disk; records must be loaded in sequence order. */
  load(id: string, seq: number, atMs: number): void {
    const key = compactId(id);
    this.#byId.delete(key);
    this.#byId.set(key, seq);
    this.#times.add(seq, atMs);
  }

  /** Whether `id` was appended within the retention window. */
  has(id: string, nowMs: number): boolean {
    const seq = this.#byId.get(compactId(id));
    return seq !== undefined && !this.#expired(seq, nowMs);
  }

  /**
   * What to drop so that, after adding `incoming` ids, the index holds no expired record, no stale
   * record of a re-added id, and (existing records permitting) at most `maxEntries` records.
   */
  planRemovals(incoming: readonly string[], nowMs: number): DedupeRemoval[] {
    const removals = new Map<string, DedupeRemoval>();
    for (const incomingId of incoming) {
      const id = compactId(incomingId);
      const seq = this.#byId.get(id);
      if (seq !== undefined) removals.set(id, { id, seq });
    }
    let excess = this.#byId.size - removals.size + incoming.length - this.#maxEntries;
    for (const [id, seq] of this.#byId) {
      if (removals.has(id)) continue;
      const expired = this.#expired(seq, nowMs);
      if (!expired && excess <= 0) break;
      removals.set(id, { id, seq });
      excess--;
    }
    return [...removals.values()];
  }

  /** Applies a plan once it is on disk (`removals` from planRemovals; `added` with their ids as appended). */
  apply(removals: readonly DedupeRemoval[], added: readonly DedupeRemoval[], nowMs: number): void {
    for (const { id } of removals) this.#byId.delete(id);
    for (const { id, seq } of added) {
      this.#byId.set(compactId(id), seq);
      this.#times.add(seq, nowMs);
    }
    const oldest = this.#byId.values().next();
    this.#times.forgetBefore(oldest.done === true ? Infinity : oldest.value);
  }

  #expired(seq: number, nowMs: number): boolean {
    return this.#times.at(seq) <= nowMs - this.#windowMs;
  }
}

/**
 * When each sequence was appended, as runs: sequences from `seqs[i]` up to the next run's start
 * were appended at `times[i]`. Sequences are added in increasing order.
 */
class SeqTimes {
  readonly #seqs: number[] = [];
  readonly #times: number[] = [];
  // Runs before #head are forgotten; the arrays are compacted once they are half dead.
  #head = 0;

  add(seq: number, atMs: number): void {
    const last = this.#seqs.length - 1;
    if (last >= this.#head && this.#times[last] === atMs && (this.#seqs[last] ?? Infinity) <= seq) return;
    this.#seqs.push(seq);
    this.#times.push(atMs);
  }

  /** When `seq` was appended (-Infinity before every run: treated as expired). */
  at(seq: number): number {
    let lo = this.#head;
    let hi = this.#seqs.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if ((this.#seqs[mid] ?? Infinity) <= seq) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found < 0 ? -Infinity : (this.#times[found] ?? -Infinity);
  }

  /** Forgets the runs that end at or before `seq` (no retained id is older); Infinity: all. */
  forgetBefore(seq: number): void {
    const end = this.#seqs.length;
    if (seq === Infinity) this.#head = end;
    while (this.#head + 1 < end && (this.#seqs[this.#head + 1] ?? Infinity) <= seq) this.#head++;
    if (this.#head > 1024 && this.#head * 2 > end) {
      this.#seqs.splice(0, this.#head);
      this.#times.splice(0, this.#head);
      this.#head = 0;
    } else if (this.#head === end) {
      this.#seqs.length = 0;
      this.#times.length = 0;
      this.#head = 0;
    }
  }
}

// The ids the journal dedupes are mostly `o:<uid>:<resourceVersion>[:d]` (watch) and
// `<auditID>/<stage>` (audit): a UUID's 36 characters are 16 bytes. The index keys such an id by
// a marker, the 16 bytes as one character each and the rest unchanged, built in one flat string
// (a template literal's id is a cons string over a flat copy once hashed): 200,000 ids, the
// number `kubestitch run` keeps, took ~190 bytes each. Injective: the marker says which prefix
// the UUID had, and an id that itself starts with a marker character gets the escape marker.
const UUID_AT = /^(?:o:)?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;
const WITH_PREFIX = 1;
const WITHOUT_PREFIX = 2;
const ESCAPE = 3;
// Offsets of the UUID's 16 bytes (two hex digits each) from its first character.
const BYTE_AT = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34];

/** The key the index holds for `id`: equal keys for equal ids only. */
export function compactId(id: string): string {
  if (!UUID_AT.test(id)) return id.charCodeAt(0) <= ESCAPE ? String.fromCharCode(ESCAPE) + id : id;
  const start = id.charCodeAt(0) === 0x6f ? 2 : 0; // 'o': the `o:` prefix (a UUID's first digit is 0-9a-f)
  const codes = [start === 2 ? WITH_PREFIX : WITHOUT_PREFIX];
  for (const at of BYTE_AT)
    codes.push(hexDigit(id.charCodeAt(start + at)) * 16 + hexDigit(id.charCodeAt(start + at + 1)));
  for (let i = start + 36; i < id.length; i++) codes.push(id.charCodeAt(i));
  return String.fromCharCode(...codes);
}

// A lowercase hex digit's value (UUID_AT has checked it is one).
function hexDigit(code: number): number {
  return code <= 0x39 ? code - 0x30 : code - 0x57;
}
