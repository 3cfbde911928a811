import type { KvOp, KvStore } from './kv-store.js';
import type { DedupeRemoval } from './intake-dedupe.js';
import { DedupeIndex } from './intake-dedupe.js';
import { StoreClosedError } from './errors.js';
import type { AppendResult, IntakeEntry, IntakeLogOptions, IntakeLogStats, IntakeRecord } from './intake-types.js';
import { IntakeLogFullError } from './intake-types.js';
import {
  BASE_SEQ,
  CHECKPOINT,
  DEDUPE,
  ENTRY,
  LAST_SEQ,
  PREFIX_END,
  assertEntry,
  byteSize,
  decodeDedupe,
  decodeEntry,
  encodeDedupe,
  encodeEntry,
  parseSeq,
  seqKey,
} from './intake-codec.js';

export type { AppendResult, IntakeEntry, IntakeLogOptions, IntakeLogStats, IntakeRecord } from './intake-types.js';
export { IntakeLogFullError } from './intake-types.js';

interface QueuedAppend {
  readonly entries: readonly IntakeEntry[];
  readonly resolve: (result: AppendResult) => void;
  readonly reject: (error: unknown) => void;
}

interface Planned {
  readonly job: QueuedAppend;
  readonly result: AppendResult | IntakeLogFullError;
  readonly bytes: number;
}

/**
 * A durable, deduplicating intake log on a `KvStore` (give it its own `namespace()`): the audit
 * webhook answers 200 only after `append` resolved, and a consumer reads `pending()` and
 * `commit()`s what it has processed, so nothing acknowledged is lost to a crash.
 *
 * - Appends are group-committed: appends issued while a write is in flight share the next store
 *   batch; each append is all-or-nothing within it and resolves only after that batch resolved
 *   (durable when the store fsyncs, the `openLevelStore` default).
 * - Dedupe window: an id is dropped as a duplicate while it is among the newest `dedupeMaxEntries`
 *   ids and younger than `dedupeWindowMs`; the index survives restarts. Older redeliveries are
 *   appended again (consumers must tolerate that rare repeat).
 * - Sequences start at 1, increase by one per accepted entry and are never reused, even after
 *   compaction and restart.
 *
 * Not safe for two instances on one store; one owner per store view.
 */
export class IntakeLog {
  readonly #store: KvStore;
  readonly #maxBytes: number;
  readonly #nowMs: () => number;
  readonly #dedupe: DedupeIndex;
  readonly #queue: QueuedAppend[] = [];
  #lastSeq = 0;
  #committedSeq = 0;
  #pendingEntries = 0;
  #pendingBytes = 0;
  readonly #retain: boolean;
  #baseSeq = 1;
  #retainedEntries = 0;
  #retainedBytes = 0;
  #writing: Promise<void> | undefined;
  #commits: Promise<void> = Promise.resolve();
  #closing: Promise<void> | undefined;
  #counts = { accepted: 0, duplicates: 0, rejectedFull: 0, appendFailures: 0 };

  private constructor(store: KvStore, options: IntakeLogOptions) {
    this.#store = store;
    this.#maxBytes = positiveInteger('maxBytes', options.maxBytes ?? 256 * 1024 * 1024);
    this.#nowMs = options.nowMs ?? Date.now;
    this.#retain = options.retainCommitted === true;
    this.#dedupe = new DedupeIndex(
      positiveInteger('dedupeMaxEntries', options.dedupeMaxEntries ?? 100_000),
      positiveInteger('dedupeWindowMs', options.dedupeWindowMs ?? 60 * 60 * 1000),
    );
  }

  /**
   * Opens the log on `store`, reloading sequence, checkpoint, dedupe index and byte usage.
   * Rejects with `TypeError` for bad options, with the store's read error, or with an `Error`
   * naming the key when a stored record is not in this log's format.
   */
  static async open(store: KvStore, options: IntakeLogOptions = {}): Promise<IntakeLog> {
    const log = new IntakeLog(store, options);
    await log.#load();
    return log;
  }

  /**
   * Appends entries not seen within the dedupe window, in order, as one atomic write. Resolves once
   * durable. Rejects — with nothing of this call stored — with `IntakeLogFullError` when the
   * accepted bytes would exceed `maxBytes`, `TypeError` for an entry without a non-empty id or with
   * a lone surrogate, `StoreClosedError` after `close()`, or the store's write error.
   */
  append(entries: readonly IntakeEntry[]): Promise<AppendResult> {
    if (this.#closing !== undefined) return Promise.reject(new StoreClosedError('intake log'));
    try {
      for (const entry of entries) assertEntry(entry);
    } catch (error: unknown) {
      return Promise.reject(error);
    }
    return new Promise((resolve, reject) => {
      this.#queue.push({ entries, resolve, reject });
      this.#writing ??= this.#drain();
    });
  }

  /**
   * Walks durable entries with `seq >= fromSeq` in order, from a snapshot taken at the first
   * `next()`. Rejects with the store's error, `StoreClosedError`, or an `Error` for a corrupt record.
   */
  async *readFrom(fromSeq: number): AsyncGenerator<IntakeRecord> {
    const gte = seqKey(ENTRY, Number.isFinite(fromSeq) ? Math.max(0, Math.floor(fromSeq)) : 0);
    for await (const [key, value] of this.#store.iterate({ gte, lt: ENTRY + PREFIX_END })) {
      yield decodeEntry(key, value);
    }
  }

  /** Everything appended but not committed, in order (what to process after a restart). */
  pending(): AsyncGenerator<IntakeRecord> {
    return this.readFrom(this.#committedSeq + 1);
  }

  /**
   * Marks every entry up to `seq` processed: persists the checkpoint and deletes those entries in
   * one atomic write (freeing their bytes) — or, with `retainCommitted`, keeps them for replay
   * until `truncateBefore()`. A `seq` at or below the checkpoint is a no-op. Rejects
   * with `RangeError` past the last durable sequence, `StoreClosedError` after `close()`, or the
   * store's error (checkpoint and entries then unchanged).
   */
  commit(seq: number): Promise<void> {
    if (this.#closing !== undefined) return Promise.reject(new StoreClosedError('intake log'));
    if (!Number.isSafeInteger(seq) || seq < 0 || seq > this.#lastSeq) {
      return Promise.reject(new RangeError(`intake log: cannot commit ${seq}; last sequence is ${this.#lastSeq}`));
    }
    const run = this.#commits.then(() => this.#compactTo(seq));
    this.#commits = run.catch(() => undefined);
    return run;
  }

  /**
   * Deletes retained entries with a sequence below `seq` (clamped to the checkpoint + 1: pending
   * entries are never truncated) and persists the new base, in one atomic write. Rejects with
   * `StoreClosedError` after `close()` or the store's error (nothing changed then).
   */
  truncateBefore(seq: number): Promise<void> {
    if (this.#closing !== undefined) return Promise.reject(new StoreClosedError('intake log'));
    const run = this.#commits.then(() => this.#truncate(seq));
    this.#commits = run.catch(() => undefined);
    return run;
  }

  /** The first sequence still stored (1 until something was truncated). */
  get baseSeq(): number {
    return this.#baseSeq;
  }

  /** The last durable sequence (0 when empty). */
  get lastSeq(): number {
    return this.#lastSeq;
  }

  /** The last committed sequence (0 when nothing was committed). */
  get committedSeq(): number {
    return this.#committedSeq;
  }

  stats(): IntakeLogStats {
    return {
      lastSeq: this.#lastSeq,
      committedSeq: this.#committedSeq,
      pendingEntries: this.#pendingEntries,
      pendingBytes: this.#pendingBytes,
      baseSeq: this.#baseSeq,
      retainedEntries: this.#retainedEntries,
      retainedBytes: this.#retainedBytes,
      dedupeEntries: this.#dedupe.size,
      ...this.#counts,
    };
  }

  /** Stops accepting calls and waits for queued appends and commits. Idempotent; never rejects. Does not close the store. */
  close(): Promise<void> {
    this.#closing ??= Promise.allSettled([this.#writing, this.#commits]).then(() => undefined);
    return this.#closing;
  }

  async #load(): Promise<void> {
    this.#lastSeq = parseSeq(await this.#store.get(LAST_SEQ), LAST_SEQ);
    this.#committedSeq = parseSeq(await this.#store.get(CHECKPOINT), CHECKPOINT);
    this.#baseSeq = Math.max(1, parseSeq(await this.#store.get(BASE_SEQ), BASE_SEQ));
    if (this.#retain) {
      const retained = { gte: seqKey(ENTRY, this.#baseSeq), lt: seqKey(ENTRY, this.#committedSeq + 1) };
      for await (const [key, value] of this.#store.iterate(retained)) {
        this.#retainedEntries++;
        this.#retainedBytes += byteSize(key, String(value));
      }
    }
    for await (const [key, value] of this.#store.iterate({ gte: DEDUPE, lt: DEDUPE + PREFIX_END })) {
      const { id, seq, atMs } = decodeDedupe(key, value);
      this.#dedupe.load(id, seq, atMs);
    }
    const pending = { gte: seqKey(ENTRY, this.#committedSeq + 1), lt: ENTRY + PREFIX_END };
    for await (const [key, value] of this.#store.iterate(pending)) {
      this.#pendingEntries++;
      this.#pendingBytes += byteSize(key, String(value));
    }
  }

  async #drain(): Promise<void> {
    // One turn's grace so appends issued together share the first batch too.
    await Promise.resolve();
    try {
      while (this.#queue.length > 0) await this.#writeGroup(this.#queue.splice(0));
    } finally {
      this.#writing = undefined;
    }
  }

  async #writeGroup(group: readonly QueuedAppend[]): Promise<void> {
    const nowMs = this.#nowMs();
    const planned = this.#plan(group, nowMs);
    const added = planned.flatMap((p) => (p.result instanceof IntakeLogFullError ? [] : p.result.records));
    const removals = this.#dedupe.planRemovals(
      added.map((r) => r.id),
      nowMs,
    );
    try {
      await this.#store.batch(this.#ops(added, removals, nowMs));
    } catch (error: unknown) {
      this.#counts.appendFailures += group.length;
      for (const { job } of planned) job.reject(error);
      return;
    }
    this.#dedupe.apply(removals, added, nowMs);
    this.#lastSeq += added.length;
    this.#pendingEntries += added.length;
    for (const { job, result, bytes } of planned) {
      if (result instanceof IntakeLogFullError) {
        this.#counts.rejectedFull++;
        job.reject(result);
        continue;
      }
      this.#pendingBytes += bytes;
      this.#counts.accepted += result.accepted;
      this.#counts.duplicates += result.duplicates;
      job.resolve(result);
    }
  }

  /** Dedupes, numbers and sizes each append against the index and the appends before it. */
  #plan(group: readonly QueuedAppend[], nowMs: number): Planned[] {
    let seq = this.#lastSeq;
    let bytes = this.#pendingBytes;
    const inGroup = new Set<string>();
    return group.map((job) => {
      const records: IntakeRecord[] = [];
      const ids = new Set<string>();
      let needed = 0;
      for (const { id, body } of job.entries) {
        if (inGroup.has(id) || ids.has(id) || this.#dedupe.has(id, nowMs)) continue;
        ids.add(id);
        const record = { seq: seq + records.length + 1, id, body, appendedAtMs: nowMs };
        records.push(record);
        needed += byteSize(seqKey(ENTRY, record.seq), encodeEntry(record));
      }
      if (bytes + needed > this.#maxBytes) {
        return { job, result: new IntakeLogFullError(bytes, needed, this.#maxBytes), bytes: 0 };
      }
      seq += records.length;
      bytes += needed;
      for (const id of ids) inGroup.add(id);
      const result = { accepted: records.length, duplicates: job.entries.length - records.length, records };
      return { job, result, bytes: needed };
    });
  }

  #ops(added: readonly IntakeRecord[], removals: readonly DedupeRemoval[], nowMs: number): KvOp[] {
    if (added.length === 0) return [];
    const ops: KvOp[] = removals.map(({ seq }) => ({ type: 'del', key: seqKey(DEDUPE, seq) }));
    for (const record of added) {
      ops.push({ type: 'put', key: seqKey(ENTRY, record.seq), value: encodeEntry(record) });
      ops.push({ type: 'put', key: seqKey(DEDUPE, record.seq), value: encodeDedupe(record.id, nowMs) });
    }
    ops.push({ type: 'put', key: LAST_SEQ, value: String(this.#lastSeq + added.length) });
    return ops;
  }

  async #compactTo(seq: number): Promise<void> {
    if (seq <= this.#committedSeq) return;
    const ops: KvOp[] = [];
    let bytes = 0;
    const range = { gte: seqKey(ENTRY, this.#committedSeq + 1), lt: seqKey(ENTRY, seq + 1) };
    let entries = 0;
    for await (const [key, value] of this.#store.iterate(range)) {
      if (!this.#retain) ops.push({ type: 'del', key });
      entries++;
      bytes += byteSize(key, String(value));
    }
    ops.push({ type: 'put', key: CHECKPOINT, value: String(seq) });
    await this.#store.batch(ops);
    this.#committedSeq = seq;
    this.#pendingEntries -= entries;
    this.#pendingBytes -= bytes;
    if (this.#retain) {
      this.#retainedEntries += entries;
      this.#retainedBytes += bytes;
    }
  }

  async #truncate(seq: number): Promise<void> {
    const to = Math.min(Math.floor(seq), this.#committedSeq + 1);
    if (!(to > this.#baseSeq)) return;
    const ops: KvOp[] = [];
    let bytes = 0;
    for await (const [key, value] of this.#store.iterate({
      gte: seqKey(ENTRY, this.#baseSeq),
      lt: seqKey(ENTRY, to),
    })) {
      ops.push({ type: 'del', key });
      bytes += byteSize(key, String(value));
    }
    ops.push({ type: 'put', key: BASE_SEQ, value: String(to) });
    await this.#store.batch(ops);
    this.#baseSeq = to;
    if (this.#retain) {
      this.#retainedEntries -= ops.length - 1;
      this.#retainedBytes -= bytes;
    }
  }
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new TypeError(`intake log: ${name} must be a positive integer, got ${value}`);
  }
  return value;
}
