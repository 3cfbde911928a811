import type { ExportSpool, SpoolDropReason, SpoolLogger, SpooledBatch } from '../../storage/export-spool.js';
import { StoreClosedError } from '../../storage/errors.js';
import { type Clock, systemClock } from '../model/clock.js';
import type { SpanData } from '../model/span.js';
import type { ExportResult, SpanSink } from './sink.js';

export interface SpoolingSinkOptions {
  /** Where batches wait; the sink owns it from now on (shutdown() closes it). */
  readonly spool: ExportSpool;
  /** Where batches go, e.g. an `OtlpGrpcSink`; owned too (shutdown() shuts it down). */
  readonly inner: SpanSink;
  readonly logger?: SpoolLogger;
  /** First retry delay; doubles per failed attempt up to `maxBackoffMs`, with full jitter. Default 250. */
  readonly initialBackoffMs?: number;
  /** Longest pause between attempts; also caps a `retryable` answer's `afterMs`. Default 30 000. */
  readonly maxBackoffMs?: number;
  /** A batch the inner sink answers `failed` this many times in a row is dropped (counted). Default 5. */
  readonly maxFailedAttempts?: number;
  /** How long `flush()` without a deadline waits. Default 30 000. */
  readonly flushDeadlineMs?: number;
  readonly clock?: Clock;
  /** [0, 1) source for jitter; injectable for tests. */
  readonly random?: () => number;
}

/** Counters for /metrics. */
export interface SpoolingSinkStats {
  readonly spooledBatches: number;
  readonly spooledSpans: number;
  readonly spooledBytes: number;
  readonly maxBytes: number;
  readonly exportedBatches: number;
  readonly exportedSpans: number;
  readonly droppedSpans: Readonly<Record<SpoolDropReason, number>>;
  /** Spans a full `reject-new` spool refused (answered `retryable`; the caller kept them). */
  readonly refusedSpans: number;
  /** Attempts that did not end in `ok` (each one was retried, or dropped after the last). */
  readonly retries: number;
  readonly lastError: string | undefined;
  /** Age of the oldest spooled batch; 0 when the spool is empty. */
  readonly backlogAgeMs: number;
}

interface FlushWaiter {
  readonly seq: number;
  readonly resolve: () => void;
}

/**
 * A `SpanSink` that makes a batch durable in an `ExportSpool` before answering, and exports
 * spooled batches to an inner sink in the background: the durability boundary of the export path
 * (upstream may commit its intake once `write()` answered `ok`) and what lets an OTLP backend be
 * down for a while without losing spans, up to the spool's bound.
 *
 * One drainer exports the oldest batch, deletes it only after the inner sink answered `ok`, and
 * only then moves on: order is kept, an acknowledged batch is never sent again, an unacknowledged
 * one never lost (it may be sent twice if the process dies between the backend's answer and the
 * delete — OTLP has no exactly-once; ids are deterministic, so backends collapse the repeat).
 * On `retryable` or `failed` it waits (exponential backoff, full jitter, at least `afterMs`) and
 * tries again; a batch answered `failed` `maxFailedAttempts` times in a row is dropped (counted,
 * logged) so one poison batch cannot block the spool. Pending batches of an earlier run drain
 * first, in order, as soon as the sink is constructed.
 */
export class SpoolingSink implements SpanSink {
  readonly #spool: ExportSpool;
  readonly #inner: SpanSink;
  readonly #logger: SpoolLogger | undefined;
  readonly #initialBackoffMs: number;
  readonly #maxBackoffMs: number;
  readonly #maxFailedAttempts: number;
  readonly #flushDeadlineMs: number;
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #counts = { exportedBatches: 0, exportedSpans: 0, refusedSpans: 0, retries: 0 };
  #lastError: string | undefined;
  #failingSinceMs: number | undefined;
  #streak = 0;
  #failed = { seq: 0, attempts: 0 };
  #doneThroughSeq = 0;
  #flushWaiters: FlushWaiter[] = [];
  #pokes = 0;
  #waiting: { readonly kind: 'idle' | 'backoff'; readonly wake: () => void } | undefined;
  #stopped = false;
  readonly #loop: Promise<void>;
  #shutdown: Promise<void> | undefined;

  constructor(options: SpoolingSinkOptions) {
    this.#spool = options.spool;
    this.#inner = options.inner;
    this.#logger = options.logger;
    this.#initialBackoffMs = Math.max(1, options.initialBackoffMs ?? 250);
    this.#maxBackoffMs = Math.max(this.#initialBackoffMs, options.maxBackoffMs ?? 30_000);
    this.#maxFailedAttempts = Math.max(1, options.maxFailedAttempts ?? 5);
    this.#flushDeadlineMs = Math.max(0, options.flushDeadlineMs ?? 30_000);
    this.#clock = options.clock ?? systemClock;
    this.#random = options.random ?? Math.random;
    // Owned: shutdown() awaits it. It handles its own errors; this catch is for a bug, so the
    // process gets a log line instead of an unhandled rejection.
    this.#loop = this.#drain().catch((error: unknown) => {
      this.#logger?.error(
        { err: asError(error).message },
        'export drainer stopped unexpectedly; spooled spans wait for a restart',
      );
    });
  }

  /**
   * Spools the batch. `ok` once it is durable (not yet exported); `retryable` when the spool
   * refused it (full under `reject-new`) or the store failed to write; `failed` when it can never
   * be spooled (larger than the spool; counted as dropped), after shutdown, or for unencodable
   * spans. Never rejects; an empty batch is `ok`.
   */
  async write(spans: readonly SpanData[]): Promise<ExportResult> {
    if (this.#stopped) return { status: 'failed', error: new Error('spooling sink is shut down') };
    if (spans.length === 0) return { status: 'ok' };
    try {
      const result = await this.#spool.append(spans);
      if (result.status === 'spooled') {
        this.#poke();
        return { status: 'ok' };
      }
      if (result.status === 'dropped') return { status: 'failed', error: result.error };
      this.#counts.refusedSpans += spans.length;
      return { status: 'retryable', afterMs: Math.min(this.#maxBackoffMs, 1_000), error: result.error };
    } catch (error: unknown) {
      const err = asError(error);
      if (error instanceof StoreClosedError || error instanceof TypeError) return { status: 'failed', error: err };
      this.#logger?.error({ err: err.message }, 'export spool write failed; batch not accepted');
      return { status: 'retryable', afterMs: this.#initialBackoffMs, error: err };
    }
  }

  /**
   * Waits until every batch spooled before this call has been exported (or dropped), or until
   * `deadlineMs` (how long to wait, default `flushDeadlineMs`) has passed; what is left stays
   * durable for the next start. A pending backoff is cut short once, so a SIGTERM flush tries at
   * once. Never rejects.
   */
  async flush(options: { readonly deadlineMs?: number } = {}): Promise<void> {
    const seq = this.#spool.stats().lastSeq;
    if (this.#stopped || this.#doneThroughSeq >= seq) return;
    if (this.#waiting?.kind === 'backoff') this.#waiting.wake();
    let timer: NodeJS.Timeout | undefined;
    const drained = new Promise<boolean>((resolve) => this.#flushWaiters.push({ seq, resolve: () => resolve(true) }));
    const deadline = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), options.deadlineMs ?? this.#flushDeadlineMs);
      timer.unref();
    });
    const done = await Promise.race([drained, deadline]);
    clearTimeout(timer);
    if (done) return;
    const { batches, spans, bytes } = this.#spool.stats();
    this.#logger?.warn(
      { batches, spans, bytes, lastError: this.#lastError },
      'export flush deadline passed; the rest stays spooled for the next start',
    );
  }

  /**
   * Stops the drainer (an export in flight is awaited and, if accepted, acknowledged), closes the
   * spool — everything not exported stays on disk — and shuts the inner sink down. Does not wait
   * for the backend: call `flush({ deadlineMs })` first for that. Idempotent; never rejects.
   */
  shutdown(): Promise<void> {
    this.#shutdown ??= this.#stop();
    return this.#shutdown;
  }

  /** A snapshot of the counters for /metrics. Never throws. */
  stats(): SpoolingSinkStats {
    const spool = this.#spool.stats();
    const oldest = spool.oldestSpooledAtMs;
    return {
      spooledBatches: spool.batches,
      spooledSpans: spool.spans,
      spooledBytes: spool.bytes,
      maxBytes: spool.maxBytes,
      ...this.#counts,
      droppedSpans: spool.droppedSpans,
      lastError: this.#lastError,
      backlogAgeMs: oldest === undefined ? 0 : Math.max(0, this.#clock.nowMs() - oldest),
    };
  }

  async #stop(): Promise<void> {
    this.#stopped = true;
    this.#waiting?.wake();
    await this.#loop;
    for (const waiter of this.#flushWaiters.splice(0)) waiter.resolve();
    await this.#spool.close();
    await this.#inner.shutdown().catch((error: unknown) => {
      this.#logger?.warn({ err: asError(error).message }, 'inner sink shutdown failed');
    });
  }

  async #drain(): Promise<void> {
    // Let the constructor return before the first store read.
    await Promise.resolve();
    while (!this.#stopped) {
      const pokes = this.#pokes;
      const lastSeq = this.#spool.stats().lastSeq;
      const batch = await this.#spool.head().catch((error: unknown) => this.#storeTrouble(error, 'read'));
      // Shut down while reading: leave the batch for the next start rather than export it now.
      if (batch === null || this.#stopped) continue;
      if (batch === undefined) {
        this.#done(lastSeq);
        if (this.#pokes === pokes) await this.#wait('idle', Infinity);
        continue;
      }
      await this.#exportOne(batch);
    }
  }

  async #exportOne(batch: SpooledBatch): Promise<void> {
    const result = await writeSafely(this.#inner, batch.spans);
    if (result.status === 'ok') {
      await this.#acknowledge(batch);
      return;
    }
    this.#counts.retries++;
    this.#lastError = result.error.message;
    if (this.#failingSinceMs === undefined) {
      this.#failingSinceMs = this.#clock.nowMs();
      const { batches, spans } = this.#spool.stats();
      this.#logger?.warn(
        { err: result.error.message, status: result.status, batches, spans },
        'OTLP export failing; spans wait in the export spool',
      );
    }
    if (result.status === 'failed' && this.#countFailure(batch.seq) >= this.#maxFailedAttempts) {
      const context = { err: result.error.message, attempts: this.#failed.attempts };
      const dropped = await this.#spool
        .drop(batch.seq, 'export-failed', context)
        .catch((e: unknown) => this.#storeTrouble(e, 'drop'));
      if (dropped !== null) this.#done(batch.seq);
    }
    const afterMs = result.status === 'retryable' ? Math.min(result.afterMs, this.#maxBackoffMs) : 0;
    await this.#wait('backoff', Math.max(afterMs, this.#nextBackoffMs()));
  }

  async #acknowledge(batch: SpooledBatch): Promise<void> {
    this.#counts.exportedBatches++;
    this.#counts.exportedSpans += batch.spans.length;
    if (this.#failingSinceMs !== undefined) {
      const outageMs = this.#clock.nowMs() - this.#failingSinceMs;
      this.#logger?.info(
        { outageMs, retries: this.#counts.retries, spooledBatches: this.#spool.stats().batches },
        'OTLP export recovered; draining the export spool',
      );
      this.#failingSinceMs = undefined;
    }
    this.#streak = 0;
    this.#failed = { seq: 0, attempts: 0 };
    // The backend has the batch: retry the delete (never the export) until it sticks, so an
    // acknowledged batch is not sent again — unless shutdown comes first (then it is, once, later).
    while ((await this.#spool.ack(batch.seq).catch((e: unknown) => this.#storeTrouble(e, 'ack'))) === null) {
      if (this.#stopped) return;
      await this.#wait('backoff', this.#nextBackoffMs());
    }
    this.#done(batch.seq);
  }

  #countFailure(seq: number): number {
    this.#failed = { seq, attempts: this.#failed.seq === seq ? this.#failed.attempts + 1 : 1 };
    return this.#failed.attempts;
  }

  /** Full jitter: uniform in [0, min(max, initial × 2^streak)). */
  #nextBackoffMs(): number {
    const ceiling = Math.min(this.#maxBackoffMs, this.#initialBackoffMs * 2 ** Math.min(this.#streak, 30));
    this.#streak++;
    return this.#random() * ceiling;
  }

  /** Logs a store error and pauses; resolves `null` so callers can tell it from a result. */
  async #storeTrouble(error: unknown, what: string): Promise<null> {
    this.#lastError = asError(error).message;
    if (!this.#stopped) {
      this.#logger?.error({ err: this.#lastError }, `export spool ${what} failed; retrying`);
      await this.#wait('backoff', this.#nextBackoffMs());
    }
    return null;
  }

  #done(seq: number): void {
    this.#doneThroughSeq = Math.max(this.#doneThroughSeq, seq);
    const ready = this.#flushWaiters.filter((w) => w.seq <= this.#doneThroughSeq);
    this.#flushWaiters = this.#flushWaiters.filter((w) => w.seq > this.#doneThroughSeq);
    for (const waiter of ready) waiter.resolve();
  }

  #poke(): void {
    this.#pokes++;
    if (this.#waiting?.kind === 'idle') this.#waiting.wake();
  }

  /** Sleeps `ms` (Infinity: until woken); woken early by write() (idle only), flush() (backoff) or shutdown. */
  #wait(kind: 'idle' | 'backoff', ms: number): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = Number.isFinite(ms) ? setTimeout(() => wake(), ms).unref() : undefined;
      const wake = (): void => {
        clearTimeout(timer);
        this.#waiting = undefined;
        resolve();
      };
      this.#waiting = { kind, wake };
    });
  }
}

async function writeSafely(sink: SpanSink, spans: readonly SpanData[]): Promise<ExportResult> {
  try {
    return await sink.write(spans);
  } catch (error: unknown) {
    return { status: 'retryable', afterMs: 0, error: asError(error) };
  }
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
