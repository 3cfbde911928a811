import type { SpanSink } from './sink.js';
import type { OtlpLogger } from '../otlp/otlp-logger.js';
import type { TraceBatch } from '../otlp/otlp-message.js';
import { traceRequestToSpanData } from './otlp-to-span-data.js';
import type { TraceBatchSink } from '../otlp/trace-batch-sink.js';

/** Counters for /metrics. */
export interface SpanSinkBridgeStats {
  writtenSpans: number;
  /** Spans whose write the sink answered `retryable` or `failed` (not retried here). */
  failedSpans: number;
  /** Spans SpanData cannot hold (invalid ids). */
  unconvertibleSpans: number;
  refusedSpans: number;
}

/**
 * Hands real spans to one of kubestitch's SpanData sinks (the export, the forward path, the file,
 * the embedded store) — lossy, see otlp-to-span-data.ts. At most `maxPendingSpans`
 * spans are in unanswered writes; offers beyond are refused (counted). Failed writes are counted
 * and logged, not retried. shutdown() flushes but does not shut the wrapped sink down: its owner does.
 */
export class SpanSinkBridge implements TraceBatchSink {
  readonly stats: SpanSinkBridgeStats = { writtenSpans: 0, failedSpans: 0, unconvertibleSpans: 0, refusedSpans: 0 };
  readonly #sink: SpanSink;
  readonly #maxPendingSpans: number;
  readonly #logger: OtlpLogger | undefined;
  readonly #pending = new Set<Promise<void>>();
  #pendingSpans = 0;
  #closed = false;
  #shutdown: Promise<void> | undefined;

  constructor(sink: SpanSink, options: { readonly maxPendingSpans?: number; readonly logger?: OtlpLogger } = {}) {
    this.#sink = sink;
    this.#maxPendingSpans = options.maxPendingSpans ?? 50_000;
    this.#logger = options.logger;
  }

  hasRoom(spanCount: number): boolean {
    return !this.#closed && (this.#pendingSpans === 0 || this.#pendingSpans + spanCount <= this.#maxPendingSpans);
  }

  offer(batch: TraceBatch): boolean {
    if (!this.hasRoom(batch.spanCount)) {
      this.stats.refusedSpans += batch.spanCount;
      return false;
    }
    const { spans, skipped } = traceRequestToSpanData(batch.request);
    this.stats.unconvertibleSpans += skipped;
    if (spans.length === 0) return true;
    this.#pendingSpans += spans.length;
    const write = this.#sink.write(spans).then((result) => {
      this.#pendingSpans -= spans.length;
      if (result.status === 'ok') this.stats.writtenSpans += spans.length;
      else {
        this.stats.failedSpans += spans.length;
        this.#logger?.error({ spans: spans.length, err: result.error }, 'span sink write failed: spans dropped');
      }
    });
    this.#pending.add(write);
    void write.finally(() => this.#pending.delete(write));
    return true;
  }

  async flush(): Promise<void> {
    await Promise.all([...this.#pending]);
    await this.#sink.flush();
  }

  shutdown(): Promise<void> {
    this.#closed = true;
    this.#shutdown ??= this.flush();
    return this.#shutdown;
  }
}
