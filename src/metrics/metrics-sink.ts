import type { ExportResult, SpanSink } from '../export/sink.js';
import type { SpanData } from '../model/span.js';
import type { SpanObserver } from './kubestitch-metrics.js';

/** What MetricsSink reports besides the spans themselves (KubestitchMetrics.self fits). */
export interface SinkCounters {
  inc(name: 'spans_out', labels: { readonly sink: string }, by?: number): void;
  exportFailed(sink: string, status: 'retryable' | 'failed'): void;
}

export interface MetricsSinkOptions {
  /** Value of the `sink` label on `kubestitch_spans_out_total`; default `export`. */
  readonly sinkName?: string;
  /** Where accepted/refused batches are counted; usually `metrics.self`. */
  readonly counters?: SinkCounters;
}

/**
 * A SpanSink decorator: writes to `inner` and, only when `inner` accepted the batch, hands the
 * spans to the metrics — so histograms and exemplars describe exactly the spans that were
 * exported (a batch answered `retryable` is observed when its retry is accepted). A sink that
 * breaks its contract and rejects is answered `failed`; write never rejects.
 */
export class MetricsSink implements SpanSink {
  readonly #inner: SpanSink;
  readonly #metrics: SpanObserver & { flushPending?(): void };
  readonly #sinkName: string;
  readonly #counters: SinkCounters | undefined;

  constructor(inner: SpanSink, metrics: SpanObserver & { flushPending?(): void }, options: MetricsSinkOptions = {}) {
    this.#inner = inner;
    this.#metrics = metrics;
    this.#sinkName = options.sinkName ?? 'export';
    this.#counters = options.counters;
  }

  async write(spans: readonly SpanData[]): Promise<ExportResult> {
    let result: ExportResult;
    try {
      result = await this.#inner.write(spans);
    } catch (error: unknown) {
      result = { status: 'failed', error: error instanceof Error ? error : new Error(String(error)) };
    }
    if (result.status === 'ok') {
      this.#metrics.observeSpans(spans);
      this.#counters?.inc('spans_out', { sink: this.#sinkName }, spans.length);
    } else {
      this.#counters?.exportFailed(this.#sinkName, result.status);
    }
    return result;
  }

  /** Flushes the inner sink. */
  flush(): Promise<void> {
    return this.#inner.flush();
  }

  /** Shuts the inner sink down, then observes pod phases still waiting for their startup span. Idempotent. */
  async shutdown(): Promise<void> {
    await this.#inner.shutdown();
    this.#metrics.flushPending?.();
  }
}
