import type { SpanData } from '../model/span.js';
import type { ExportResult, SpanSink } from './sink.js';

const SEVERITY: Readonly<Record<ExportResult['status'], number>> = {
  ok: 0,
  retryable: 1,
  failed: 2,
};

/**
 * Writes each batch to several sinks at once (e.g. OTLP/JSON file + OTLP gRPC) and answers with
 * the worst outcome: failed > retryable > ok. When several sinks share the worst outcome their
 * errors are combined in an AggregateError, and a retryable answer waits for the longest afterMs.
 *
 * Caveat: the outcome is per batch, not per sink, so retrying a batch after a `retryable` answer
 * writes it again to the sinks that already took it (a duplicate line in a file sink). Ids are
 * deterministic, so OTLP backends collapse such duplicates; a per-sink queue removes them.
 */
export class FanOutSink implements SpanSink {
  readonly #sinks: readonly SpanSink[];
  #shutdown: Promise<void> | undefined;

  constructor(sinks: readonly SpanSink[]) {
    this.#sinks = [...sinks];
  }

  /** Writes to every sink concurrently; a sink that breaks its contract and rejects counts as failed. Never rejects. */
  async write(spans: readonly SpanData[]): Promise<ExportResult> {
    const results = await Promise.all(this.#sinks.map((sink) => writeSafely(sink, spans)));
    return worstOf(results);
  }

  /** Flushes every sink; resolves when all have settled. Never rejects. */
  async flush(): Promise<void> {
    await Promise.allSettled(this.#sinks.map((sink) => sink.flush()));
  }

  /** Shuts every sink down (each once), even if some fail to. Idempotent; never rejects. */
  shutdown(): Promise<void> {
    this.#shutdown ??= Promise.allSettled(this.#sinks.map((sink) => sink.shutdown())).then(() => undefined);
    return this.#shutdown;
  }
}

async function writeSafely(sink: SpanSink, spans: readonly SpanData[]): Promise<ExportResult> {
  try {
    return await sink.write(spans);
  } catch (error: unknown) {
    return { status: 'failed', error: error instanceof Error ? error : new Error(String(error)) };
  }
}

/** The most severe of `results` (ok for none), merging errors of equally severe results. */
export function worstOf(results: readonly ExportResult[]): ExportResult {
  let worst: ExportResult = { status: 'ok' };
  for (const result of results) {
    if (SEVERITY[result.status] > SEVERITY[worst.status]) worst = result;
  }
  if (worst.status === 'ok') return worst;
  const status = worst.status;
  const peers = results.filter((r): r is Exclude<ExportResult, { status: 'ok' }> => r.status === status);
  if (peers.length === 1) return worst;
  const error = new AggregateError(
    peers.map((r) => r.error),
    `${peers.length} sinks answered ${status}: ${peers.map((r) => r.error.message).join('; ')}`,
  );
  if (status === 'failed') return { status, error };
  const afterMs = Math.max(...peers.map((r) => (r.status === 'retryable' ? r.afterMs : 0)));
  return { status, afterMs, error };
}
