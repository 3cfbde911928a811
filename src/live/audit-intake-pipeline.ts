import type { SpanSink } from '../export/sink.js';
import type { AuditRecord } from '../model/records.js';
import type { SpanData } from '../model/span.js';
import { auditRecordOf } from '../sources/audit/parse-audit.js';
import type { Synthesizer } from '../synth/synthesizer.js';
import type { IntakeLog } from '../../storage/intake-log.js';

/** Minimal pino-compatible logger. */
export interface PipelineLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface AuditPipelineStats {
  processed: number;
  malformed: number;
  exportFailures: number;
  droppedSpans: number;
}

// Batches waiting for the sink; beyond this the oldest are dropped and counted (the LevelDB
// export spool of the live-mode issue replaces this bound).
const MAX_UNEXPORTED_BATCHES = 10_000;
// Most records processed between two intake commits within one drain pass.
const COMMIT_EVERY = 1_000;

/**
 * Drains the durable audit intake log into synth and the sink. An intake entry is committed only
 * after the spans it completed were accepted by the sink, so a crash re-processes (never loses)
 * accepted audit events; span ids are deterministic, so a re-export collapses downstream.
 * Operations still open in memory are not persisted yet (live-mode issue).
 */
export class AuditIntakePipeline {
  readonly stats: AuditPipelineStats = { processed: 0, malformed: 0, exportFailures: 0, droppedSpans: 0 };
  readonly #intake: IntakeLog;
  readonly #synth: Synthesizer;
  readonly #sink: SpanSink;
  readonly #logger: PipelineLogger;
  readonly #unexported: { seq: number; spans: SpanData[] }[] = [];
  #readSeq: number;
  #running: Promise<void> | undefined;
  #again = false;

  constructor(options: { intake: IntakeLog; synth: Synthesizer; sink: SpanSink; logger: PipelineLogger }) {
    this.#intake = options.intake;
    this.#synth = options.synth;
    this.#sink = options.sink;
    this.#logger = options.logger;
    this.#readSeq = options.intake.committedSeq;
  }

  /**
   * Processes everything pending in the intake log. Concurrent calls coalesce into one more pass.
   * Resolves when the pass is done; never rejects (failures are logged and counted, and the
   * entries stay pending for the next pass).
   */
  drain(): Promise<void> {
    if (this.#running !== undefined) {
      this.#again = true;
      return this.#running;
    }
    this.#running = this.#loop().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  /** Hands the spans of a clock tick (windows ending, max-age closes) to the sink. */
  async tick(nowMs: number): Promise<void> {
    this.#enqueue(this.#readSeq, this.#synth.advance(nowMs));
    if (await this.#retryUnexported()) await this.#intake.commit(this.#readSeq);
  }

  async #loop(): Promise<void> {
    do {
      this.#again = false;
      try {
        await this.#pass();
      } catch (err: unknown) {
        this.#logger.error({ err }, 'audit intake pass failed; entries stay pending');
      }
    } while (this.#again);
  }

  // A commit is a synced store write: once per record it cost LevelDB ~70 % of its throughput.
  // Committing per pass (and every COMMIT_EVERY records of a long one) only widens what a crash
  // makes us re-process; span ids are deterministic, so that stays harmless.
  async #pass(): Promise<void> {
    // Once the backlog is out, everything read so far is exported (and committable).
    let exportedSeq = (await this.#retryUnexported()) ? this.#readSeq : this.#intake.committedSeq;
    for await (const rec of this.#intake.readFrom(this.#readSeq + 1)) {
      this.#readSeq = rec.seq;
      const record = this.#toRecord(rec.body, rec.seq);
      this.stats.processed++;
      if (record !== undefined) this.#enqueue(rec.seq, this.#synth.process(record));
      if (!(await this.#retryUnexported())) continue;
      exportedSeq = rec.seq;
      if (exportedSeq - this.#intake.committedSeq >= COMMIT_EVERY) await this.#intake.commit(exportedSeq);
    }
    if (exportedSeq > this.#intake.committedSeq) await this.#intake.commit(exportedSeq);
  }

  // Synth has consumed a record once its spans are queued; the intake entry is committed only
  // when everything queued up to it reached the sink, so a crash re-reads it (at least once).
  #enqueue(seq: number, spans: SpanData[]): void {
    if (spans.length === 0) return;
    this.#unexported.push({ seq, spans });
    if (this.#unexported.length > MAX_UNEXPORTED_BATCHES) {
      const dropped = this.#unexported.shift();
      this.stats.droppedSpans += dropped?.spans.length ?? 0;
      if (this.stats.droppedSpans === (dropped?.spans.length ?? 0)) {
        this.#logger.error({ bound: MAX_UNEXPORTED_BATCHES }, 'export backlog full: dropping the oldest spans');
      }
    }
  }

  /** Exports queued batches in order; true when none is left. */
  async #retryUnexported(): Promise<boolean> {
    while (this.#unexported.length > 0) {
      const head = this.#unexported[0];
      if (head === undefined || !(await this.#export(head.spans))) return false;
      this.#unexported.shift();
    }
    return true;
  }

  #toRecord(body: string, seq: number): AuditRecord | undefined {
    let value: unknown;
    try {
      value = JSON.parse(body);
    } catch {
      value = undefined;
    }
    const record = auditRecordOf(value, { file: 'intake', line: seq });
    if (typeof record !== 'string') return record;
    this.stats.malformed++;
    this.#logger.warn({ seq, reason: record }, 'skipping unusable audit event');
    return undefined;
  }

  async #export(spans: readonly SpanData[]): Promise<boolean> {
    if (spans.length === 0) return true;
    const result = await this.#sink.write(spans);
    if (result.status === 'ok') return true;
    this.stats.exportFailures++;
    this.#logger.warn({ status: result.status, err: result.error.message }, 'span export failed');
    return false;
  }
}
