import type { SpanData } from '../model/span.js';

/** Outcome of handing spans to a sink, as OTel's ExportResult: a value, never an exception. */
export type ExportResult =
  | { readonly status: 'ok' }
  | { readonly status: 'retryable'; readonly afterMs: number; readonly error: Error }
  | { readonly status: 'failed'; readonly error: Error };

/** Where finished spans go: OTLP gRPC, an OTLP/JSON file, the embedded store, a test capture. */
export interface SpanSink {
  /**
   * Hands one batch of finished spans to the sink. Resolves with the outcome; never rejects.
   * A batch is the unit of encoding (one OTLP request / one JSON line).
   */
  write(spans: readonly SpanData[]): Promise<ExportResult>;
  /** Resolves when everything written so far has reached its destination (or failed). */
  flush(): Promise<void>;
  /** Flushes and releases resources. Idempotent. */
  shutdown(): Promise<void>;
}
