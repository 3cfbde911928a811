import type { TraceBatch } from './otlp-message.js';

/**
 * Where real spans go after the stitch stage, in OTLP message form (lossless): the bridge into
 * kubestitch's SpanData sinks (export/span-sink-bridge.ts), or the replay's collector. `offer`
 * never blocks and never throws; a sink that cannot take a batch counts it as dropped and
 * returns false.
 */
export interface TraceBatchSink {
  /** Takes `batch` for delivery; false when refused (full or shut down; counted by the sink). */
  offer(batch: TraceBatch): boolean;
  /** Whether `spanCount` more spans fit now; receivers answer `retryable` when they do not. */
  hasRoom(spanCount: number): boolean;
  /** Resolves when everything offered so far was delivered or given up on. Never rejects. */
  flush(): Promise<void>;
  /** Flushes (bounded) and releases resources. Idempotent; never rejects. */
  shutdown(): Promise<void>;
}
