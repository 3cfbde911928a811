import type { KvOp, KvStore, KvValue } from './kv-store.js';
import { assertKvOp } from './key-space.js';
import { StoreClosedError } from './errors.js';

export interface WriteBatcherOptions {
  /** Most writes in one store batch. Default 1000. */
  readonly maxBatchOps?: number;
  /**
   * Approximate most bytes in one store batch (key plus value; strings counted in UTF-16 code
   * units). A single larger write still goes alone. Default 1 MiB.
   */
  readonly maxBatchBytes?: number;
  /**
   * How long the first queued write waits for company before its batch is written. 0 (default):
   * until the end of the current event-loop turn, so writes issued together share a batch.
   */
  readonly lingerMs?: number;
  /**
   * Most writes waiting for a batch; beyond it writes reject with `WriteBatcherFullError`.
   * Default 10 × maxBatchOps.
   */
  readonly maxQueuedOps?: number;
}

/** Counters for /metrics. */
export interface WriteBatcherStats {
  readonly queuedOps: number;
  readonly batchesWritten: number;
  readonly opsWritten: number;
  readonly batchesFailed: number;
  readonly rejectedFull: number;
}

/** The write was refused because `maxQueuedOps` writes are already waiting; nothing was queued. */
export class WriteBatcherFullError extends Error {
  override readonly name = 'WriteBatcherFullError';

  constructor(maxQueuedOps: number) {
    super(`storage: write queue full (${maxQueuedOps} writes waiting); retry later`);
  }
}

interface Pending {
  readonly op: KvOp;
  readonly bytes: number;
  readonly seq: number;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

interface FlushWaiter {
  readonly seq: number;
  readonly resolve: () => void;
}

/**
 * Group commit: coalesces many small writes into few `KvStore.batch` calls — one per event-loop
 * turn (or `lingerMs`), or sooner once `maxBatchOps` / `maxBatchBytes` are queued. One batch is in
 * flight at a time, so writes reach the store in call order.
 *
 * Each write's promise resolves only after the store batch holding it has resolved — durable when
 * the store fsyncs (`openLevelStore` default) — which is what "answer 200 only after the batch is
 * durable" rests on. It rejects with the store's error when that batch fails (every write of the
 * batch rejects together; nothing of it was applied), with `TypeError` for a malformed write (alone,
 * before queueing), with `WriteBatcherFullError` when the queue is full, or with `StoreClosedError`
 * after `close()`.
 *
 * The linger timer is unref()ed: it never keeps the process alive, so the owner must `close()` the
 * batcher on shutdown. The batcher does not own the store and does not close it.
 */
export class WriteBatcher {
  readonly #store: KvStore;
  readonly #maxBatchOps: number;
  readonly #maxBatchBytes: number;
  readonly #lingerMs: number;
  readonly #maxQueuedOps: number;
  readonly #queue: Pending[] = [];
  #queuedBytes = 0;
  #lastSeq = 0;
  #settledSeq = 0;
  #flushWaiters: FlushWaiter[] = [];
  #cancelTimer: (() => void) | undefined;
  #writing = false;
  #loop: Promise<void> = Promise.resolve();
  #closing: Promise<void> | undefined;
  #stats = { batchesWritten: 0, opsWritten: 0, batchesFailed: 0, rejectedFull: 0 };

  constructor(store: KvStore, options: WriteBatcherOptions = {}) {
    this.#store = store;
    this.#maxBatchOps = positiveInteger('maxBatchOps', options.maxBatchOps ?? 1000);
    this.#maxBatchBytes = positiveInteger('maxBatchBytes', options.maxBatchBytes ?? 1 << 20);
    this.#lingerMs = Math.max(0, options.lingerMs ?? 0);
    this.#maxQueuedOps = positiveInteger('maxQueuedOps', options.maxQueuedOps ?? 10 * this.#maxBatchOps);
  }

  /** Queues a put; see the class comment for when it resolves and how it fails. */
  put(key: string, value: KvValue): Promise<void> {
    return this.#enqueue({ type: 'put', key, value });
  }

  /** Queues a delete; see the class comment for when it resolves and how it fails. */
  del(key: string): Promise<void> {
    return this.#enqueue({ type: 'del', key });
  }

  /**
   * Writes everything queued so far without waiting for the timer. Resolves once those writes have
   * settled; never rejects (each write's own promise carries its failure).
   */
  flush(): Promise<void> {
    const seq = this.#lastSeq;
    if (this.#settledSeq >= seq) return Promise.resolve();
    return new Promise((resolve) => {
      this.#flushWaiters.push({ seq, resolve });
      this.#startWriting();
    });
  }

  /** Stops accepting writes, flushes the queue and waits for the last batch. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= this.flush().then(() => this.#loop);
    return this.#closing;
  }

  stats(): WriteBatcherStats {
    return { queuedOps: this.#queue.length, ...this.#stats };
  }

  #enqueue(op: KvOp): Promise<void> {
    if (this.#closing !== undefined) return Promise.reject(new StoreClosedError('write batcher'));
    try {
      assertKvOp(op);
    } catch (error: unknown) {
      return Promise.reject(error);
    }
    if (this.#queue.length >= this.#maxQueuedOps) {
      this.#stats.rejectedFull++;
      return Promise.reject(new WriteBatcherFullError(this.#maxQueuedOps));
    }
    return new Promise((resolve, reject) => {
      const bytes = estimateBytes(op);
      this.#queue.push({ op, bytes, seq: ++this.#lastSeq, resolve, reject });
      this.#queuedBytes += bytes;
      this.#schedule();
    });
  }

  #schedule(): void {
    // While a batch is in flight the write loop picks new writes up when it returns.
    if (this.#writing) return;
    if (this.#queue.length >= this.#maxBatchOps || this.#queuedBytes >= this.#maxBatchBytes) {
      this.#startWriting();
    } else if (this.#cancelTimer === undefined) {
      this.#startTimer();
    }
  }

  #startTimer(): void {
    const fire = (): void => {
      this.#cancelTimer = undefined;
      this.#startWriting();
    };
    if (this.#lingerMs > 0) {
      const timer = setTimeout(fire, this.#lingerMs).unref();
      this.#cancelTimer = () => clearTimeout(timer);
    } else {
      const immediate = setImmediate(fire).unref();
      this.#cancelTimer = () => clearImmediate(immediate);
    }
  }

  #startWriting(): void {
    this.#cancelTimer?.();
    this.#cancelTimer = undefined;
    if (this.#writing || this.#queue.length === 0) return;
    this.#writing = true;
    this.#loop = this.#writeUntilEmpty();
  }

  async #writeUntilEmpty(): Promise<void> {
    try {
      while (this.#queue.length > 0) await this.#writeOneBatch();
    } finally {
      // Cleared in the same turn as the last emptiness check, so no write can slip in unseen.
      this.#writing = false;
    }
  }

  async #writeOneBatch(): Promise<void> {
    const batch = this.#takeBatch();
    try {
      await this.#store.batch(batch.map((entry) => entry.op));
      this.#stats.batchesWritten++;
      this.#stats.opsWritten += batch.length;
      for (const entry of batch) entry.resolve();
    } catch (error: unknown) {
      this.#stats.batchesFailed++;
      for (const entry of batch) entry.reject(error);
    }
    this.#settledSeq = batch.at(-1)?.seq ?? this.#settledSeq;
    this.#wakeFlushWaiters();
  }

  #takeBatch(): Pending[] {
    let count = 0;
    let bytes = 0;
    for (const entry of this.#queue) {
      if (count >= this.#maxBatchOps) break;
      if (count > 0 && bytes + entry.bytes > this.#maxBatchBytes) break;
      count++;
      bytes += entry.bytes;
    }
    this.#queuedBytes -= bytes;
    return this.#queue.splice(0, count);
  }

  #wakeFlushWaiters(): void {
    const ready = this.#flushWaiters.filter((waiter) => waiter.seq <= this.#settledSeq);
    if (ready.length === 0) return;
    this.#flushWaiters = this.#flushWaiters.filter((waiter) => waiter.seq > this.#settledSeq);
    for (const waiter of ready) waiter.resolve();
  }
}

function estimateBytes(op: KvOp): number {
  if (op.type === 'del') return op.key.length;
  const value = op.value;
  return op.key.length + (typeof value === 'string' ? value.length : value.byteLength);
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new TypeError(`storage: ${name} must be a positive integer, got ${value}`);
  }
  return value;
}
