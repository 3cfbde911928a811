import type { SpanData } from '../model/span.js';
import type { SpanSink } from './sink.js';

/** Options for SpanBatcher. */
export interface SpanBatcherOptions {
  /** Most spans in one write (one OTLP request / one JSON line). Default 512, as the OTel SDK's batch processor. */
  readonly maxSpans?: number;
  /** Writes awaiting their answer at once; add() asks the caller to wait beyond it. Default 4. */
  readonly maxInFlight?: number;
}

/** What a SpanBatcher did, once finished. */
export interface SpanBatcherResult {
  readonly spans: number;
  /** Writes made (requests / lines). */
  readonly writes: number;
  /** Writes the sink did not answer `ok`, each with its error message. */
  readonly failures: readonly string[];
}

/**
 * Gathers the small span batches a replay produces (one per record that completed spans) into
 * writes of up to `maxSpans` spans, with up to `maxInFlight` writes outstanding: a producer that
 * awaits what add() returns (only when that many are outstanding) runs as fast as the sink takes
 * spans, without awaiting every record, and without holding more than `maxInFlight` full batches.
 * Spans keep their order; writes are started in order (sinks append in call order).
 */
export class SpanBatcher {
  readonly #sink: SpanSink;
  readonly #maxSpans: number;
  readonly #maxInFlight: number;
  readonly #inFlight = new Set<Promise<void>>();
  readonly #failures: string[] = [];
  #pending: SpanData[] = [];
  #spans = 0;
  #writes = 0;

  constructor(sink: SpanSink, options: SpanBatcherOptions = {}) {
    this.#sink = sink;
    this.#maxSpans = Math.max(1, options.maxSpans ?? 512);
    this.#maxInFlight = Math.max(1, options.maxInFlight ?? 4);
  }

  /**
   * Adds spans. Returns undefined, or — when `maxInFlight` writes are outstanding — a promise
   * that resolves once one has been answered; await it before adding more. Never rejects.
   */
  add(spans: readonly SpanData[]): Promise<void> | undefined {
    for (const span of spans) {
      this.#pending.push(span);
      if (this.#pending.length >= this.#maxSpans) this.#send();
    }
    return this.#inFlight.size >= this.#maxInFlight ? Promise.race(this.#inFlight) : undefined;
  }

  /** Writes what is pending, waits for every answer, and tells what happened. Never rejects. */
  async finish(): Promise<SpanBatcherResult> {
    if (this.#pending.length > 0) this.#send();
    while (this.#inFlight.size > 0) await Promise.all(this.#inFlight);
    return { spans: this.#spans, writes: this.#writes, failures: [...this.#failures] };
  }

  #send(): void {
    const batch = this.#pending;
    this.#pending = [];
    this.#spans += batch.length;
    this.#writes++;
    const done: Promise<void> = this.#sink.write(batch).then(
      (result) => {
        if (result.status !== 'ok') this.#failures.push(result.error.message);
      },
      (error: unknown) => {
        // A sink that breaks its never-reject contract still counts as a failed write.
        this.#failures.push(error instanceof Error ? error.message : String(error));
      },
    );
    const tracked = done.finally(() => this.#inFlight.delete(tracked));
    this.#inFlight.add(tracked);
  }
}
