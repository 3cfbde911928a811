/** Public types of the export spool (see export-spool.ts). */
import type { SpanData } from '../src/model/span.js';

/** What the spool does when an append does not fit: see `ExportSpool`. */
export type SpoolOverflowPolicy = 'drop-oldest' | 'reject-new';

/** Why spooled (or about to be spooled) spans were given up. */
export type SpoolDropReason = 'overflow' | 'too-large' | 'export-failed' | 'corrupt';
export const DROP_REASONS: readonly SpoolDropReason[] = ['overflow', 'too-large', 'export-failed', 'corrupt'];

/** Minimal pino-compatible logger (a `logger.child({ mod: 'export-spool' })` fits). */
export interface SpoolLogger {
  info(context: object, message: string): void;
  warn(context: object, message: string): void;
  error(context: object, message: string): void;
}

export interface ExportSpoolOptions {
  /** Most bytes (UTF-8 of stored keys and values) of spooled batches. Default 256 MiB. */
  readonly maxBytes?: number;
  /** Default `drop-oldest`. */
  readonly overflow?: SpoolOverflowPolicy;
  /** Clock for `spooledAtMs` and the drop summary window. Default `Date.now`. */
  readonly nowMs?: () => number;
  readonly logger?: SpoolLogger;
  /** Most one drop summary per this many ms while drops continue. Default 60 000. */
  readonly dropSummaryIntervalMs?: number;
}

export type SpoolAppendResult =
  /** Durable under sequence `seq`; `bytes` count against the bound. */
  | { readonly status: 'spooled'; readonly seq: number; readonly bytes: number }
  /** `reject-new` and full: nothing stored, nothing dropped; keep the batch and retry later. */
  | { readonly status: 'refused'; readonly error: ExportSpoolFullError }
  /** Given up (counted under `reason`): larger than the spool, or nothing evictable left. */
  | { readonly status: 'dropped'; readonly reason: 'overflow' | 'too-large'; readonly error: ExportSpoolFullError };

/** A spooled batch as `head()` hands it out. */
export interface SpooledBatch {
  readonly seq: number;
  readonly spans: readonly SpanData[];
  readonly bytes: number;
  /** When it was appended (the spool's clock). */
  readonly spooledAtMs: number;
}

/** Counters and usage for /metrics. */
export interface ExportSpoolStats {
  /** Batches, spans and bytes spooled now (survive restarts). */
  readonly batches: number;
  readonly spans: number;
  readonly bytes: number;
  readonly maxBytes: number;
  /** The last sequence ever assigned (0 before the first append). */
  readonly lastSeq: number;
  /** `spooledAtMs` of the oldest spooled batch; undefined when empty. */
  readonly oldestSpooledAtMs: number | undefined;
  /** Since open: */
  readonly appendedBatches: number;
  readonly appendedSpans: number;
  readonly ackedBatches: number;
  readonly ackedSpans: number;
  /** Spans refused under `reject-new` (the caller kept them). */
  readonly refusedSpans: number;
  /** Store batches that failed (their calls rejected; nothing of them applied). */
  readonly writeFailures: number;
  readonly droppedSpans: Readonly<Record<SpoolDropReason, number>>;
  readonly droppedBatches: Readonly<Record<SpoolDropReason, number>>;
}

/** An append that does not fit in the spool's byte bound. */
export class ExportSpoolFullError extends Error {
  override readonly name = 'ExportSpoolFullError';

  constructor(
    readonly neededBytes: number,
    readonly maxBytes: number,
    readonly why: 'full' | 'too-large',
  ) {
    super(
      why === 'too-large'
        ? `export spool: a batch of ${neededBytes} bytes is larger than the whole spool (${maxBytes} bytes); ` +
            'dropped — raise the spool size or export smaller batches'
        : `export spool full (${maxBytes} bytes) for a batch of ${neededBytes} bytes; the OTLP backend is not ` +
            'keeping up — retry later (or raise the spool size)',
    );
  }
}
