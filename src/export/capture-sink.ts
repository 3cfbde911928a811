import type { SpanData } from '../model/span.js';
import type { ExportResult, SpanSink } from './sink.js';

/**
 * In-memory SpanSink for tests: keeps every accepted batch in call order. `setResult` makes it
 * answer with a chosen outcome (e.g. retryable) to exercise callers' failure paths; batches that
 * are not answered `ok` are not kept, as a real backend would not have them either.
 */
export class CaptureSink implements SpanSink {
  #batches: (readonly SpanData[])[] = [];
  #result: ExportResult = { status: 'ok' };
  #shutdown = false;
  #writes = 0;

  /** Accepted batches, oldest first (copies of what was passed to write). */
  get batches(): readonly (readonly SpanData[])[] {
    return this.#batches;
  }

  /** All accepted spans, flattened in write order. */
  get spans(): readonly SpanData[] {
    return this.#batches.flat();
  }

  /** Number of write calls, including refused and empty ones. */
  get writes(): number {
    return this.#writes;
  }

  /** True once shutdown() has been called. */
  get isShutdown(): boolean {
    return this.#shutdown;
  }

  /** The outcome later writes resolve with (default ok). */
  setResult(result: ExportResult): void {
    this.#result = result;
  }

  /** Records the batch if the configured result is ok; after shutdown resolves failed. Never rejects. */
  write(spans: readonly SpanData[]): Promise<ExportResult> {
    this.#writes += 1;
    if (this.#shutdown) {
      return Promise.resolve({ status: 'failed', error: new Error('CaptureSink is shut down') });
    }
    if (this.#result.status === 'ok' && spans.length > 0) this.#batches.push([...spans]);
    return Promise.resolve(this.#result);
  }

  /** Nothing is buffered; resolves at once. */
  flush(): Promise<void> {
    return Promise.resolve();
  }

  /** Refuses later writes; captured batches stay readable. Idempotent. */
  shutdown(): Promise<void> {
    this.#shutdown = true;
    return Promise.resolve();
  }
}
