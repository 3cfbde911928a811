import type { SpanData } from '../src/model/span.js';
import type { KvIterateOptions, KvStore, KvValue } from './kv-store.js';
import { StoreClosedError } from './errors.js';
import { DropReporter } from './drop-reporter.js';
import { PREFIX_END, seqKey } from './intake-codec.js';
import { BATCH, STATE, decodeBatch, decodeState, encodeBatch, encodeState } from './export-spool-codec.js';
import type { SpoolState } from './export-spool-codec.js';
import { GroupPlan, add, headerOf, slotOf } from './export-spool-plan.js';
import type { PlannedAppend, Slot } from './export-spool-plan.js';
import type {
  ExportSpoolOptions,
  ExportSpoolStats,
  SpoolAppendResult,
  SpoolDropReason,
  SpoolOverflowPolicy,
  SpooledBatch,
} from './export-spool-types.js';
import { DROP_REASONS, ExportSpoolFullError } from './export-spool-types.js';

export type {
  ExportSpoolOptions,
  ExportSpoolStats,
  SpoolAppendResult,
  SpoolDropReason,
  SpoolLogger,
  SpoolOverflowPolicy,
  SpooledBatch,
} from './export-spool-types.js';
export { ExportSpoolFullError } from './export-spool-types.js';

interface Settle<T> {
  readonly resolve: (value: T) => void;
  readonly reject: (error: unknown) => void;
}

interface AppendJob {
  readonly kind: 'append';
  readonly value: string;
  readonly spans: number;
  readonly settle: Settle<SpoolAppendResult>;
}

interface RemoveJob {
  readonly kind: 'remove';
  readonly seq: number;
  readonly reason: SpoolDropReason | 'acked';
  readonly context: object;
  readonly settle: Settle<boolean>;
}

interface HeadJob {
  readonly kind: 'head';
  readonly settle: Settle<SpooledBatch | undefined>;
}

type Job = AppendJob | RemoveJob | HeadJob;

const DROP_MESSAGES: Readonly<Record<SpoolDropReason, string>> = {
  overflow:
    'spool full: dropping the oldest spooled spans to make room for new ones (the OTLP backend is down or slow)',
  'too-large': 'a batch larger than the whole spool was dropped',
  'export-failed': 'the OTLP backend kept rejecting a batch as invalid; dropped it so the spool keeps draining',
  corrupt: 'a spooled batch could not be decoded (disk corruption?) and was dropped',
};

/**
 * A durable, byte-bounded FIFO of span batches on a `KvStore` (give it its own `namespace()`): the
 * export path appends a batch, and one drainer takes `head()`, exports it and `ack()`s it, so a
 * batch is deleted only once the backend took it and survives any crash before that.
 *
 * - Every append, ack and drop is one atomic store batch that also rewrites the usage record, so
 *   byte/batch/span totals survive restarts without reading the spool. Writes issued while one is
 *   in flight share the next batch (group commit: one fsync for many appends).
 * - Bound (`maxBytes`, UTF-8 of keys and values): with `drop-oldest` (default) the oldest batches
 *   are evicted to make room — during an outage the newest traces are what an operator looks at,
 *   and the oldest are the likeliest to be stale already. The batch being exported (the last
 *   `head()`) is never evicted. `reject-new` refuses the append instead (backpressure: the caller
 *   keeps the batch). A batch larger than `maxBytes` can never fit and is dropped.
 * - Drops are counted by reason in `stats()` and logged through a `DropReporter` (first of each
 *   reason at once, then one summary per `dropSummaryIntervalMs`).
 * - Sequences increase by one per batch and are never reused, even across restarts.
 *
 * One owner per store view (the spool keeps its totals in memory). Not a queue for many drainers.
 */
export class ExportSpool {
  readonly #store: KvStore;
  readonly #maxBytes: number;
  readonly #overflow: SpoolOverflowPolicy;
  readonly #nowMs: () => number;
  readonly #drops: DropReporter;
  readonly #queue: Job[] = [];
  #state: SpoolState = { lastSeq: 0, batches: 0, spans: 0, bytes: 0 };
  #oldest: { seq: number; atMs: number } | undefined;
  /**
   * No batch below this sequence exists. Reads start here rather than at the first key: LevelDB
   * keeps deleted keys as tombstones until compaction, and a FIFO that always walked from the
   * bottom would step over every batch it ever drained (quadratic over a long outage).
   */
  #floorSeq = 0;
  #leased: Slot | undefined;
  #writing: Promise<void> | undefined;
  #closing: Promise<void> | undefined;
  readonly #counts = {
    appendedBatches: 0,
    appendedSpans: 0,
    ackedBatches: 0,
    ackedSpans: 0,
    refusedSpans: 0,
    writeFailures: 0,
  };
  readonly #droppedSpans = zeroByReason();
  readonly #droppedBatches = zeroByReason();

  private constructor(store: KvStore, options: ExportSpoolOptions) {
    this.#store = store;
    this.#maxBytes = options.maxBytes ?? 256 * 1024 * 1024;
    if (!Number.isSafeInteger(this.#maxBytes) || this.#maxBytes < 1) {
      throw new TypeError(`export spool: maxBytes must be a positive integer, got ${options.maxBytes}`);
    }
    this.#overflow = options.overflow ?? 'drop-oldest';
    if (this.#overflow !== 'drop-oldest' && this.#overflow !== 'reject-new') {
      throw new TypeError(`export spool: overflow must be drop-oldest or reject-new, got ${String(options.overflow)}`);
    }
    this.#nowMs = options.nowMs ?? Date.now;
    this.#drops = new DropReporter({
      logger: options.logger,
      what: 'export spool',
      noun: 'spans',
      summaryIntervalMs: options.dropSummaryIntervalMs,
      nowMs: this.#nowMs,
    });
  }

  /**
   * Opens the spool on `store`, reloading its usage totals and oldest batch. Rejects with
   * `TypeError` for bad options, the store's read error, or an `Error` naming the key when the
   * usage record is not in this spool's format.
   */
  static async open(store: KvStore, options: ExportSpoolOptions = {}): Promise<ExportSpool> {
    const spool = new ExportSpool(store, options);
    await spool.#load();
    return spool;
  }

  /**
   * Stores one batch. Resolves once it is durable (`spooled`), or without storing it: `refused`
   * (spool full under `reject-new`; counted in `refusedSpans`, nothing dropped — keep the batch and
   * retry), or `dropped` (counted: larger than the whole spool, or too large to fit beside the
   * batch being exported). Rejects with `StoreClosedError` after `close()`, `TypeError` for spans
   * JSON cannot encode, or the store's write error (nothing of the group stored, nothing evicted).
   * Spans are encoded at once, so the caller may reuse the array.
   */
  append(spans: readonly SpanData[]): Promise<SpoolAppendResult> {
    let value: string;
    try {
      value = encodeBatch(spans, this.#nowMs());
    } catch (error: unknown) {
      return Promise.reject(error);
    }
    return this.#enqueue<SpoolAppendResult>((settle) => ({ kind: 'append', value, spans: spans.length, settle }));
  }

  /**
   * The oldest batch, decoded, or `undefined` when the spool is empty. It becomes the batch being
   * exported: eviction skips it until it is acked or dropped, or another `head()` is taken.
   * Undecodable batches met on the way are deleted and counted (`corrupt`). Rejects with
   * `StoreClosedError` after `close()` or the store's error.
   */
  head(): Promise<SpooledBatch | undefined> {
    return this.#enqueue<SpooledBatch | undefined>((settle) => ({ kind: 'head', settle }));
  }

  /**
   * Deletes batch `seq` after the backend accepted it. Resolves `true` once the delete is durable,
   * `false` when the batch was no longer there. Rejects like `append` (the batch then stays).
   */
  ack(seq: number): Promise<boolean> {
    return this.#enqueue<boolean>((settle) => ({ kind: 'remove', seq, reason: 'acked', context: {}, settle }));
  }

  /**
   * Deletes batch `seq` as dropped for `reason` (counted; logged with `context` if it is the first
   * drop of that reason, else summarized). Resolves and rejects like `ack`.
   */
  drop(seq: number, reason: SpoolDropReason, context: object = {}): Promise<boolean> {
    return this.#enqueue<boolean>((settle) => ({ kind: 'remove', seq, reason, context, settle }));
  }

  /** Counters and usage for /metrics. */
  stats(): ExportSpoolStats {
    const { lastSeq, batches, spans, bytes } = this.#state;
    return {
      batches,
      spans,
      bytes,
      maxBytes: this.#maxBytes,
      lastSeq,
      oldestSpooledAtMs: this.#oldest?.atMs,
      ...this.#counts,
      droppedSpans: { ...this.#droppedSpans },
      droppedBatches: { ...this.#droppedBatches },
    };
  }

  /**
   * Stops accepting calls, waits for queued work, and logs a last drop summary. Idempotent; never
   * rejects. Does not close the store; everything not acked stays on disk for the next open.
   */
  close(): Promise<void> {
    this.#closing ??= Promise.allSettled([this.#writing]).then(() => this.#drops.close());
    return this.#closing;
  }

  #enqueue<T>(make: (settle: Settle<T>) => Job): Promise<T> {
    if (this.#closing !== undefined) return Promise.reject(new StoreClosedError('export spool'));
    return new Promise<T>((resolve, reject) => {
      this.#queue.push(make({ resolve, reject }));
      this.#writing ??= this.#drain();
    });
  }

  async #load(): Promise<void> {
    this.#state = decodeState(await this.#store.get(STATE)) ?? (await this.#recount());
    await this.#readOldest();
  }

  /** Rebuilds the totals by reading every batch: only for a spool without a usage record. */
  async #recount(): Promise<SpoolState> {
    let lastSeq = 0;
    let batches = 0;
    let spans = 0;
    let bytes = 0;
    for await (const [key, value] of this.#store.iterate({ gte: BATCH, lt: BATCH + PREFIX_END })) {
      const slot = slotOf(key, value);
      lastSeq = Math.max(lastSeq, slot.seq);
      batches++;
      spans += slot.spans;
      bytes += slot.bytes;
    }
    return { lastSeq, batches, spans, bytes };
  }

  async #readOldest(): Promise<void> {
    this.#oldest = undefined;
    for await (const [key, value] of this.#store.iterate(this.#fromFloor(1))) {
      this.#oldest = { seq: slotOf(key, value).seq, atMs: headerOf(key, value)?.spooledAtMs ?? this.#nowMs() };
    }
    this.#floorSeq = this.#oldest?.seq ?? this.#state.lastSeq + 1;
  }

  /** The range of every batch that may exist, or of the first `limit` of them. */
  #fromFloor(limit?: number): KvIterateOptions {
    const range = { gte: seqKey(BATCH, this.#floorSeq), lt: BATCH + PREFIX_END };
    return limit === undefined ? range : { ...range, limit };
  }

  async #drain(): Promise<void> {
    // One turn's grace so appends issued together share the first batch.
    await Promise.resolve();
    try {
      while (this.#queue.length > 0) {
        const first = this.#queue[0];
        if (first?.kind === 'head') {
          this.#queue.shift();
          await this.#takeHead().then(first.settle.resolve, first.settle.reject);
          continue;
        }
        const cut = this.#queue.findIndex((job) => job.kind === 'head');
        await this.#writeGroup(this.#queue.splice(0, cut < 0 ? this.#queue.length : cut));
      }
    } finally {
      this.#writing = undefined;
    }
  }

  async #writeGroup(group: readonly Job[]): Promise<void> {
    const limits = { maxBytes: this.#maxBytes, overflow: this.#overflow };
    const plan = new GroupPlan(this.#store, limits, this.#state, this.#leased, this.#fromFloor());
    const outcomes: Array<() => void> = [];
    try {
      for (const job of group) {
        if (job.kind === 'append') outcomes.push(this.#outcome(job, await plan.append(job.value, job.spans)));
        else if (job.kind === 'remove')
          outcomes.push(this.#removed(job, await plan.remove(job.seq, job.reason, job.context)));
      }
      await this.#store.batch(plan.ops());
    } catch (error: unknown) {
      this.#counts.writeFailures++;
      for (const job of group) job.settle.reject(error);
      return;
    } finally {
      await plan.close();
    }
    const hadOldest = this.#oldest;
    this.#state = plan.state;
    for (const { reason, slot, context } of plan.drops) this.#countDrop(reason, slot, context);
    if (this.#leased !== undefined && plan.removed.has(this.#leased.seq)) this.#leased = undefined;
    if (hadOldest === undefined || plan.removed.has(hadOldest.seq)) await this.#readOldest().catch(() => undefined);
    for (const outcome of outcomes) outcome();
  }

  /** What to tell an appender once the group is durable. */
  #outcome(job: AppendJob, planned: PlannedAppend): () => void {
    const { slot } = planned;
    return () => {
      if (planned.status === 'spooled') {
        this.#counts.appendedBatches++;
        this.#counts.appendedSpans += slot.spans;
        job.settle.resolve({ status: 'spooled', seq: slot.seq, bytes: slot.bytes });
      } else if (planned.status === 'refused') {
        this.#counts.refusedSpans += slot.spans;
        job.settle.resolve({ status: 'refused', error: new ExportSpoolFullError(slot.bytes, this.#maxBytes, 'full') });
      } else {
        const why = planned.reason === 'too-large' ? 'too-large' : 'full';
        const error = new ExportSpoolFullError(slot.bytes, this.#maxBytes, why);
        job.settle.resolve({ status: 'dropped', reason: planned.reason, error });
      }
    };
  }

  #removed(job: RemoveJob, slot: Slot | undefined): () => void {
    return () => {
      if (slot !== undefined && job.reason === 'acked') {
        this.#counts.ackedBatches++;
        this.#counts.ackedSpans += slot.spans;
      }
      job.settle.resolve(slot !== undefined);
    };
  }

  async #takeHead(): Promise<SpooledBatch | undefined> {
    for (;;) {
      let found: readonly [string, KvValue] | undefined;
      for await (const entry of this.#store.iterate(this.#fromFloor(1))) found = entry;
      if (found === undefined) {
        this.#leased = undefined;
        return undefined;
      }
      const [key, value] = found;
      const slot = slotOf(key, value);
      try {
        const spans = decodeBatch(key, value);
        this.#leased = slot;
        const spooledAtMs = headerOf(key, value)?.spooledAtMs ?? this.#nowMs();
        return { seq: slot.seq, spans, bytes: slot.bytes, spooledAtMs };
      } catch (error: unknown) {
        await this.#deleteCorrupt(slot, error);
      }
    }
  }

  async #deleteCorrupt(slot: Slot, error: unknown): Promise<void> {
    const state = add(this.#state, slot, -1);
    await this.#store.batch([
      { type: 'del', key: seqKey(BATCH, slot.seq) },
      { type: 'put', key: STATE, value: encodeState(state) },
    ]);
    this.#state = state;
    this.#countDrop('corrupt', slot, { err: error instanceof Error ? error.message : String(error) });
    await this.#readOldest();
  }

  #countDrop(reason: SpoolDropReason, slot: Slot, context: object = {}): void {
    this.#droppedSpans[reason] += slot.spans;
    this.#droppedBatches[reason]++;
    const detail = { ...context, seq: slot.seq, bytes: slot.bytes, maxBytes: this.#maxBytes, policy: this.#overflow };
    this.#drops.record(reason, slot.spans, 1, DROP_MESSAGES[reason], detail);
  }
}

function zeroByReason(): Record<SpoolDropReason, number> {
  return Object.fromEntries(DROP_REASONS.map((reason) => [reason, 0])) as Record<SpoolDropReason, number>;
}
