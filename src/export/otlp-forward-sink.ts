import { ExportSpool, type KvStore, MemoryStore, type SpoolLogger } from '../../storage/index.js';
import { OtlpGrpcSink, type OtlpGrpcSinkOptions } from './otlp-grpc-sink.js';
import { SpoolingSink } from './spooling-sink.js';

/** Options of the forward path's sink. */
export interface OtlpForwardSinkOptions {
  /** The downstream OTLP/gRPC receiver (`--otlp-forward-endpoint`). */
  readonly url: string;
  /** Where the spool lives: give it a namespace of its own; default memory (lost at exit). */
  readonly store?: KvStore;
  /** Bound of the spool; beyond it the oldest batches are dropped (counted). Default 256 MiB. */
  readonly maxBytes?: number;
  readonly logger?: SpoolLogger;
  /**
   * How long flush() — and so the stitch stage's shutdown — waits for the endpoint; what is left
   * stays in the spool. Default 5 000, well inside a pod's termination grace period.
   */
  readonly flushDeadlineMs?: number;
  /** Passed to the gRPC sink (tests shorten its timeouts). */
  readonly grpc?: Omit<OtlpGrpcSinkOptions, 'url'>;
  /** Passed to the spooling sink (tests shorten its backoff). */
  readonly backoff?: { readonly initialBackoffMs?: number; readonly maxBackoffMs?: number };
}

/**
 * The sink real spans are forwarded through (`--otlp-forward-endpoint`): the export's own gRPC
 * sink behind an export spool, as the synthesized spans' export — retried with jittered backoff
 * while the endpoint is down, the oldest dropped (counted) beyond the bound. Real spans reach it
 * as SpanData (export/span-sink-bridge.ts; see export/otlp-to-span-data.ts for what that keeps).
 * Rejects only when the store cannot be read; throws for an unparsable url.
 */
export async function createOtlpForwardSink(options: OtlpForwardSinkOptions): Promise<SpoolingSink> {
  const inner = new OtlpGrpcSink({ ...options.grpc, url: options.url });
  const spool = await ExportSpool.open(options.store ?? new MemoryStore(), {
    maxBytes: options.maxBytes ?? 256 * 1024 * 1024,
    ...(options.logger !== undefined ? { logger: options.logger } : {}),
  });
  return new SpoolingSink({
    spool,
    inner,
    flushDeadlineMs: options.flushDeadlineMs ?? 5_000,
    ...(options.logger !== undefined ? { logger: options.logger } : {}),
    ...options.backoff,
  });
}
