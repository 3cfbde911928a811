/** One retained id: the sequence it was appended under and when. */
interface Seen {
  readonly seq: number;
  readonly atMs: number;
}

/** An index record to delete from disk: its id and the sequence its key is built from. */
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
  readonly #byId = new Map<string, Seen>();
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
    this.#byId.delete(id);
    this.#byId.set(id, { seq, atMs });
  }

  /** Whether `id` was appended within the retention window. */
  has(id: string, nowMs: number): boolean {
    const seen = this.#byId.get(id);
    return seen !== undefined && !this.#expired(seen, nowMs);
  }

  /**
   * What to drop so that, after adding `incoming` ids, the index holds no expired record, no stale
   * record of a re-added id, and (existing records permitting) at most `maxEntries` records.
   */
  planRemovals(incoming: readonly string[], nowMs: number): DedupeRemoval[] {
    const removals = new Map<string, DedupeRemoval>();
    for (const id of incoming) {
      const seen = this.#byId.get(id);
      if (seen !== undefined) removals.set(id, { id, seq: seen.seq });
    }
    let excess = this.#byId.size - removals.size + incoming.length - this.#maxEntries;
    for (const [id, seen] of this.#byId) {
      if (removals.has(id)) continue;
      const expired = this.#expired(seen, nowMs);
      if (!expired && excess <= 0) break;
      removals.set(id, { id, seq: seen.seq });
      excess--;
    }
    return [...removals.values()];
  }

  /** Applies a plan once it is on disk. */
  apply(removals: readonly DedupeRemoval[], added: readonly DedupeRemoval[], nowMs: number): void {
    for (const { id } of removals) this.#byId.delete(id);
    for (const { id, seq } of added) this.#byId.set(id, { seq, atMs: nowMs });
  }

  #expired(seen: Seen, nowMs: number): boolean {
    return seen.atMs <= nowMs - this.#windowMs;
  }
}
