/** Public types of the intake log (see intake-log.ts). */

/** One item to append. `id` is the dedupe key (for audit: `auditID + '/' + stage`). */
export interface IntakeEntry {
  readonly id: string;
  /** Opaque text, already redacted by the caller: the log stores it verbatim. */
  readonly body: string;
}

/** An appended entry with its position in the log. */
export interface IntakeRecord extends IntakeEntry {
  readonly seq: number;
  /** When it was appended (the log's clock). */
  readonly appendedAtMs: number;
}

export interface AppendResult {
  readonly accepted: number;
  readonly duplicates: number;
  /** The accepted entries in sequence order (duplicates left out). */
  readonly records: readonly IntakeRecord[];
}

export interface IntakeLogOptions {
  /** Most bytes (UTF-8 of stored keys and values) of entries appended but not committed. Default 256 MiB. */
  readonly maxBytes?: number;
  /** Most ids the dedupe index retains. Default 100 000. */
  readonly dedupeMaxEntries?: number;
  /** How long an id is retained for dedupe. Default 1 h (the apiserver retries a batch for ~1–2 min). */
  readonly dedupeWindowMs?: number;
  /**
   * Keep committed entries until `truncateBefore()` (the live journal replays them after a
   * restart to rebuild in-memory state). Default false: `commit()` deletes what it commits.
   */
  readonly retainCommitted?: boolean;
  /** Clock for the dedupe window and `appendedAtMs`. Default `Date.now`. */
  readonly nowMs?: () => number;
}

/** Counters for /metrics. */
export interface IntakeLogStats {
  readonly lastSeq: number;
  readonly committedSeq: number;
  readonly pendingEntries: number;
  readonly pendingBytes: number;
  /** First sequence still stored (retained history included). */
  readonly baseSeq: number;
  /** Committed entries kept for replay (`retainCommitted`). */
  readonly retainedEntries: number;
  readonly retainedBytes: number;
  readonly dedupeEntries: number;
  readonly accepted: number;
  readonly duplicates: number;
  readonly rejectedFull: number;
  readonly appendFailures: number;
}

/** The append would push uncommitted entries past `maxBytes`; nothing of it was stored. */
export class IntakeLogFullError extends Error {
  override readonly name = 'IntakeLogFullError';

  constructor(
    readonly pendingBytes: number,
    readonly neededBytes: number,
    readonly maxBytes: number,
  ) {
    super(
      `intake log full: ${pendingBytes} bytes uncommitted + ${neededBytes} new > ${maxBytes}; ` +
        'retry once the consumer has committed (or raise the intake log byte limit)',
    );
  }
}
