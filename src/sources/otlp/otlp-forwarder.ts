import * as grpc from '@grpc/grpc-js';
import { type Clock, systemClock } from '../../model/clock.js';
import type { OtlpLogger } from '../../otlp/otlp-logger.js';
import type { TraceBatch, TraceResponse } from '../../otlp/otlp-message.js';
import { TRACE_EXPORT_PATH, decodeTraceResponse, encodeTraceRequest } from './otlp-proto-codec.js';
import type { TraceBatchSink } from '../../otlp/trace-batch-sink.js';

export interface OtlpForwarderOptions {
  /** Downstream OTLP/gRPC receiver, e.g. `http://otel-collector:4317` (plaintext) or `https://…` (TLS). */
  readonly url: string;
  /** gRPC metadata on every call (e.g. `authorization`). */
  readonly headers?: Readonly<Record<string, string>>;
  /** PEM CA bundle for `https://` downstreams (default: system roots). */
  readonly caPem?: Buffer;
  /** Deadline of one Export call. Default 10 000. */
  readonly timeoutMs?: number;
  /** Spans queued (not yet acknowledged) at most; offers beyond it are refused. Default 100 000. */
  readonly maxQueuedSpans?: number;
  /** Export calls in flight at once. Default 4. */
  readonly maxInFlight?: number;
  /** First retry delay; doubles per attempt up to maxBackoffMs, with full jitter. Default 500. */
  readonly initialBackoffMs?: number;
  readonly maxBackoffMs?: number;
  /** A batch still failing this long after its first attempt is dropped (counted). Default 60 000. */
  readonly maxRetryMs?: number;
  /** How long shutdown() waits for the queue to drain. Default 10 000. */
  readonly shutdownGraceMs?: number;
  readonly clock?: Clock;
  /** [0, 1) source for jitter; injectable for tests. */
  readonly random?: () => number;
  readonly logger?: OtlpLogger;
}

/** Counters for /metrics. */
export interface ForwarderStats {
  sentBatches: number;
  sentSpans: number;
  retries: number;
  /** Spans the downstream reported in partial_success.rejected_spans. */
  rejectedByDownstream: number;
  /** Spans given up on: non-retryable error, retry deadline, unencodable, or left at shutdown. */
  droppedSpans: number;
  /** Spans refused by offer() (queue full or shut down). */
  refusedSpans: number;
}

interface Entry {
  readonly batch: TraceBatch;
  readonly firstMs: number;
  attempts: number;
  notBeforeMs: number;
}

// OTLP/gRPC: these codes are retryable (RESOURCE_EXHAUSTED only with RetryInfo; we always retry).
const RETRYABLE = new Set([
  grpc.status.CANCELLED,
  grpc.status.DEADLINE_EXCEEDED,
  grpc.status.RESOURCE_EXHAUSTED,
  grpc.status.ABORTED,
  grpc.status.OUT_OF_RANGE,
  grpc.status.UNAVAILABLE,
  grpc.status.DATA_LOSS,
]);

/**
 * Forwards OTLP trace batches to a downstream OTLP/gRPC receiver. A batch that arrived as protobuf
 * and was not changed is sent as the received bytes; others are encoded from their messages.
 *
 * Bounded queue (spans), `maxInFlight` concurrent calls, retry of transient gRPC codes with
 * exponential backoff and full jitter until `maxRetryMs`; other failures drop the batch. Every
 * drop is counted and logged. Timers are unref'ed. The constructor throws for an unparsable url.
 */
export class OtlpForwarder implements TraceBatchSink {
  readonly stats: ForwarderStats = {
    sentBatches: 0,
    sentSpans: 0,
    retries: 0,
    rejectedByDownstream: 0,
    droppedSpans: 0,
    refusedSpans: 0,
  };
  readonly #client: grpc.Client;
  readonly #metadata = new grpc.Metadata();
  readonly #o: Required<Omit<OtlpForwarderOptions, 'headers' | 'caPem' | 'logger'>>;
  readonly #logger: OtlpLogger | undefined;
  readonly #queue: Entry[] = [];
  #queuedSpans = 0;
  #inFlight = 0;
  #timer: NodeJS.Timeout | undefined;
  #idleWaiters: (() => void)[] = [];
  #closed = false;
  #shutdown: Promise<void> | undefined;

  constructor(options: OtlpForwarderOptions) {
    const url = new URL(options.url);
    const credentials =
      url.protocol === 'http:' ? grpc.credentials.createInsecure() : grpc.credentials.createSsl(options.caPem ?? null);
    this.#client = new grpc.Client(url.host, credentials);
    for (const [k, v] of Object.entries(options.headers ?? {})) this.#metadata.set(k, v);
    this.#o = {
      url: options.url,
      timeoutMs: options.timeoutMs ?? 10_000,
      maxQueuedSpans: options.maxQueuedSpans ?? 100_000,
      maxInFlight: Math.max(1, options.maxInFlight ?? 4),
      initialBackoffMs: options.initialBackoffMs ?? 500,
      maxBackoffMs: options.maxBackoffMs ?? 10_000,
      maxRetryMs: options.maxRetryMs ?? 60_000,
      shutdownGraceMs: options.shutdownGraceMs ?? 10_000,
      clock: options.clock ?? systemClock,
      random: options.random ?? Math.random,
    };
    this.#logger = options.logger;
  }

  hasRoom(spanCount: number): boolean {
    // An empty queue takes any batch, so one larger than the bound is not refused forever.
    return !this.#closed && (this.#queuedSpans === 0 || this.#queuedSpans + spanCount <= this.#o.maxQueuedSpans);
  }

  /** Queues `batch`; false (and counted as refused) when shut down or the queue is full. */
  offer(batch: TraceBatch): boolean {
    if (!this.hasRoom(batch.spanCount)) {
      this.stats.refusedSpans += batch.spanCount;
      this.#logger?.warn(
        { spans: batch.spanCount, queued: this.#queuedSpans },
        'OTLP forward queue full: batch refused',
      );
      return false;
    }
    const now = this.#o.clock.nowMs();
    this.#queue.push({ batch, firstMs: now, attempts: 0, notBeforeMs: now });
    this.#queuedSpans += batch.spanCount;
    this.#pump();
    return true;
  }

  flush(): Promise<void> {
    if (this.#queue.length === 0 && this.#inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Refuses new batches, waits up to shutdownGraceMs for the queue, then closes (rest counted dropped). */
  shutdown(): Promise<void> {
    this.#shutdown ??= this.#close();
    return this.#shutdown;
  }

  async #close(): Promise<void> {
    this.#closed = true;
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.#o.shutdownGraceMs);
      timer.unref();
    });
    await Promise.race([this.flush(), grace]);
    clearTimeout(timer);
    clearTimeout(this.#timer);
    for (const entry of this.#queue.splice(0)) this.#drop(entry, 'shutdown');
    this.#client.close();
    this.#notifyIdle();
  }

  #pump(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const now = this.#o.clock.nowMs();
    while (this.#inFlight < this.#o.maxInFlight) {
      const index = this.#queue.findIndex((e) => e.notBeforeMs <= now);
      if (index < 0) break;
      const [entry] = this.#queue.splice(index, 1);
      if (entry !== undefined) this.#send(entry);
    }
    const next = Math.min(...this.#queue.map((e) => e.notBeforeMs));
    if (Number.isFinite(next) && this.#inFlight < this.#o.maxInFlight) {
      this.#timer = setTimeout(() => this.#pump(), Math.max(1, next - now));
      this.#timer.unref();
    }
    this.#notifyIdle();
  }

  #send(entry: Entry): void {
    let body: Buffer;
    try {
      body = entry.batch.raw ?? encodeTraceRequest(entry.batch.request);
    } catch (error: unknown) {
      this.#drop(entry, `unencodable: ${error instanceof Error ? error.message : String(error)}`);
      return;
    }
    this.#inFlight += 1;
    entry.attempts += 1;
    const deadline = systemClock.nowMs() + this.#o.timeoutMs; // a network deadline is wall-clock time
    this.#client.makeUnaryRequest<Buffer, TraceResponse>(
      TRACE_EXPORT_PATH,
      (b) => b,
      decodeTraceResponse,
      body,
      this.#metadata,
      { deadline },
      (error, response) => {
        this.#inFlight -= 1;
        this.#settle(entry, error, response);
        this.#pump();
      },
    );
  }

  #settle(entry: Entry, error: grpc.ServiceError | null, response: TraceResponse | undefined): void {
    if (error === null) {
      this.#queuedSpans -= entry.batch.spanCount;
      this.stats.sentBatches += 1;
      this.stats.sentSpans += entry.batch.spanCount;
      const rejected = response?.partialSuccess?.rejectedSpans ?? 0;
      if (rejected > 0) {
        this.stats.rejectedByDownstream += rejected;
        this.#logger?.warn({ rejected, message: response?.partialSuccess?.errorMessage }, 'downstream rejected spans');
      }
      return;
    }
    const now = this.#o.clock.nowMs();
    if (!this.#closed && RETRYABLE.has(error.code) && now - entry.firstMs < this.#o.maxRetryMs) {
      this.stats.retries += 1;
      const ceiling = Math.min(this.#o.maxBackoffMs, this.#o.initialBackoffMs * 2 ** (entry.attempts - 1));
      entry.notBeforeMs = now + this.#o.random() * ceiling;
      this.#queue.unshift(entry);
      return;
    }
    this.#drop(entry, `${grpc.status[error.code]}: ${error.details}`);
  }

  #drop(entry: Entry, reason: string): void {
    this.#queuedSpans -= entry.batch.spanCount;
    this.stats.droppedSpans += entry.batch.spanCount;
    this.#logger?.error(
      { spans: entry.batch.spanCount, attempts: entry.attempts, reason },
      'OTLP forward failed: spans dropped',
    );
  }

  #notifyIdle(): void {
    if (this.#inFlight > 0 || this.#queue.length > 0) return;
    for (const resolve of this.#idleWaiters.splice(0)) resolve();
  }
}
