import type { SpanSink } from '../export/sink.js';
import type { IngestRecord, RecordOrigin } from '../model/records.js';
import type { SpanData } from '../model/span.js';
import { auditRecordOf } from '../sources/audit/parse-audit.js';
import { watchValueToRecords } from '../sources/recording/read-recording.js';
import type { Synthesizer } from '../synth/synthesizer.js';
import type { IntakeLog, IntakeRecord } from '../../storage/intake-log.js';
import { type JsonObject, isObject, parseTimeMs, str } from '../model/kube-json.js';

/** Minimal pino-compatible logger. */
export interface PipelineLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface PipelineStats {
  /** Journal entries processed (restored ones included). */
  processed: number;
  /** Entries replayed at startup to rebuild state; their spans had been exported before. */
  restored: number;
  malformed: number;
  exportFailures: number;
  /** Spans the sink refused for good (the spool bounds what waits; see SpoolingSink). */
  droppedSpans: number;
  /** By journal entry kind. */
  records: { audit: number; object: number; event: number; tick: number };
  /** Receive → processed delay of the last record, in ms (the pipeline's lag). */
  lagMs: number;
}

/** A tick entry: time moves on without a record (windows end, max-age closes). */
export const TICK_TYPE = 'TICK';

// Batches waiting for the sink when it refuses them; beyond this the oldest are dropped and
// counted (with the SpoolingSink in front of a remote backend the sink is local and durable).
const MAX_UNEXPORTED_BATCHES = 10_000;
// Most records processed between two journal commits within one drain pass.
const COMMIT_EVERY = 1_000;
// Spans per sink write: a pass exports when this many are queued, or every COMMIT_EVERY entries.
const EXPORT_BATCH_SPANS = 512;

/**
 * The live pipeline: the journal (a retaining IntakeLog) → synth → sink. Every input — audit
 * events, watched objects and Events (in the recording line format), clock ticks — is appended to
 * the journal first, so synth's state is a pure function of it: after a crash, `restore()` replays
 * the retained journal into a fresh synthesizer and drops the spans of entries up to the commit
 * point (they were exported before), and processing continues with the same deterministic ids.
 * An entry is committed only after the spans it completed were accepted by the sink.
 */
export class JournalPipeline {
  readonly stats: PipelineStats = {
    processed: 0,
    restored: 0,
    malformed: 0,
    exportFailures: 0,
    droppedSpans: 0,
    records: { audit: 0, object: 0, event: 0, tick: 0 },
    lagMs: 0,
  };
  readonly #journal: IntakeLog;
  readonly #synth: Synthesizer;
  readonly #sink: SpanSink;
  readonly #logger: PipelineLogger;
  readonly #nowMs: () => number;
  readonly #unexported: { seq: number; spans: SpanData[] }[] = [];
  #queuedSpans = 0;
  readonly #lastRvByKind = new Map<string, string>();
  #readSeq: number;
  #running: Promise<void> | undefined;
  #again = false;

  constructor(options: {
    journal: IntakeLog;
    synth: Synthesizer;
    sink: SpanSink;
    logger: PipelineLogger;
    nowMs?: () => number;
  }) {
    this.#journal = options.journal;
    this.#synth = options.synth;
    this.#sink = options.sink;
    this.#logger = options.logger;
    this.#nowMs = options.nowMs ?? Date.now;
    this.#readSeq = options.journal.committedSeq;
  }

  /**
   * The resourceVersion of the last journaled change per `apiVersion/kind` (the two Event APIs
   * apart): a watch of that resource can resume there even when its periodic checkpoint did not
   * make it to disk before a crash (a watch delivers one resource's changes in order).
   */
  get lastResourceVersions(): ReadonlyMap<string, string> {
    return this.#lastRvByKind;
  }

  /** The last journal sequence handed to synth. */
  get readSeq(): number {
    return this.#readSeq;
  }

  /**
   * Rebuilds synth's state after a restart: the baseline records (objects as of the compacted
   * horizon), then the retained journal from `fromSeq` up to the commit point, their spans
   * dropped — they were exported before the restart. Call once, before `drain()`. Rejects only
   * with the store's read error.
   */
  async restore(baseline: Iterable<IngestRecord>, fromSeq: number): Promise<void> {
    for (const record of baseline) this.#synth.process(record);
    const upTo = this.#journal.committedSeq;
    if (upTo < fromSeq) return;
    for await (const entry of this.#journal.readFrom(fromSeq)) {
      if (entry.seq > upTo) break;
      this.stats.restored++;
      this.#apply(entry);
    }
    this.#readSeq = upTo;
  }

  /**
   * Processes everything pending in the journal. Concurrent calls coalesce into one more pass.
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

  async #loop(): Promise<void> {
    do {
      this.#again = false;
      try {
        await this.#pass();
      } catch (err: unknown) {
        this.#logger.error({ err }, 'journal pass failed; entries stay pending');
      }
    } while (this.#again);
  }

  // A commit is a synced store write: once per record it cost LevelDB ~70 % of its throughput.
  // Committing per pass (and every COMMIT_EVERY records of a long one) only widens what a crash
  // makes us re-process; span ids are deterministic, so that stays harmless.
  async #pass(): Promise<void> {
    let exportedSeq = (await this.#retryUnexported()) ? this.#readSeq : this.#journal.committedSeq;
    let since = 0;
    for await (const entry of this.#journal.readFrom(this.#readSeq + 1)) {
      this.#readSeq = entry.seq;
      const spans = this.#apply(entry);
      if (spans.length > 0) this.#enqueue(entry.seq, spans);
      // Spans go out in batches (one sink write, one spool fsync for many entries).
      if (++since < COMMIT_EVERY && this.#queuedSpans < EXPORT_BATCH_SPANS) continue;
      since = 0;
      if (!(await this.#retryUnexported())) continue;
      exportedSeq = entry.seq;
      if (exportedSeq - this.#journal.committedSeq >= COMMIT_EVERY) await this.#journal.commit(exportedSeq);
    }
    if (await this.#retryUnexported()) exportedSeq = this.#readSeq;
    if (exportedSeq > this.#journal.committedSeq) await this.#journal.commit(exportedSeq);
  }

  /** One journal entry into synth; returns the spans it completed. Never throws. */
  #apply(entry: IntakeRecord): SpanData[] {
    this.stats.processed++;
    let value: unknown;
    try {
      value = JSON.parse(entry.body);
    } catch {
      return this.#malformed(entry.seq, 'not JSON');
    }
    if (!isObject(value)) return this.#malformed(entry.seq, 'not a JSON object');
    // The journal holds three kinds of entry, told apart by their shape.
    if (str(value, 'type') === TICK_TYPE) return this.#applyTick(entry.seq, value);
    const origin = { file: 'journal', line: entry.seq };
    if (str(value, 'auditID') !== undefined) return this.#applyAudit(entry.seq, value, origin);
    return this.#applyWatch(entry.seq, value, origin);
  }

  // A tick moves synth's clock on when no record does (an idle cluster still ends operations).
  #applyTick(seq: number, value: JsonObject): SpanData[] {
    const t = parseTimeMs(value['ts']);
    if (t === undefined) return this.#malformed(seq, 'tick without ts');
    this.stats.records.tick++;
    return this.#synth.advance(t);
  }

  #applyAudit(seq: number, value: JsonObject, origin: RecordOrigin): SpanData[] {
    const record = auditRecordOf(value, origin);
    if (typeof record === 'string') return this.#malformed(seq, record);
    this.stats.records.audit++;
    return this.#process(record);
  }

  // A watch line: an object change or an Event. `missed` marks a delete found by a relist, not seen on the watch.
  #applyWatch(seq: number, value: JsonObject, origin: RecordOrigin): SpanData[] {
    const records = watchValueToRecords(value, origin);
    this.#noteResourceVersion(value);
    if (typeof records === 'string') return this.#malformed(seq, records);
    const missed = value['missed'] === true;
    const out: SpanData[] = [];
    for (const r of records) {
      if (r.source === 'event') this.stats.records.event++;
      else this.stats.records.object++;
      const record = missed && r.source === 'object' ? { ...r, missedDelete: true } : r;
      out.push(...this.#process(record));
    }
    return out;
  }

  // For lastResourceVersions: a `missed` delete is not a change the watch delivered, so it is no place to resume.
  #noteResourceVersion(value: JsonObject): void {
    const object = value['object'];
    const kind = str(object, 'kind');
    const rv = str(object, 'metadata', 'resourceVersion');
    if (kind !== undefined && rv !== undefined && value['missed'] !== true) {
      this.#lastRvByKind.set(`${str(object, 'apiVersion') ?? ''}/${kind}`, rv);
    }
  }

  #process(record: IngestRecord): SpanData[] {
    const spans = this.#synth.process(record);
    this.stats.lagMs = Math.max(0, this.#nowMs() - record.timeMs);
    return spans;
  }

  #malformed(seq: number, reason: string): SpanData[] {
    this.stats.malformed++;
    this.#logger.warn({ seq, reason }, 'skipping unusable journal entry');
    return [];
  }

  // Synth has consumed a record once its spans are queued; the journal entry is committed only
  // when everything queued up to it reached the sink, so a crash re-reads it (at least once).
  #enqueue(seq: number, spans: SpanData[]): void {
    this.#unexported.push({ seq, spans });
    this.#queuedSpans += spans.length;
    if (this.#unexported.length > MAX_UNEXPORTED_BATCHES) {
      const dropped = this.#unexported.shift();
      this.#queuedSpans -= dropped?.spans.length ?? 0;
      this.stats.droppedSpans += dropped?.spans.length ?? 0;
      if (this.stats.droppedSpans === (dropped?.spans.length ?? 0)) {
        this.#logger.error({ bound: MAX_UNEXPORTED_BATCHES }, 'export backlog full: dropping the oldest spans');
      }
    }
  }

  /** Exports queued batches in order, several per sink write; true when none is left. */
  async #retryUnexported(): Promise<boolean> {
    while (this.#unexported.length > 0) {
      let n = 0;
      let count = 0;
      while (n < this.#unexported.length && count < EXPORT_BATCH_SPANS)
        count += this.#unexported[n++]?.spans.length ?? 0;
      const spans = this.#unexported.slice(0, n).flatMap((b) => b.spans);
      if (!(await this.#export(spans))) return false;
      this.#unexported.splice(0, n);
      this.#queuedSpans -= spans.length;
    }
    return true;
  }

  async #export(spans: readonly SpanData[]): Promise<boolean> {
    const result = await this.#sink.write(spans);
    if (result.status === 'ok') return true;
    this.stats.exportFailures++;
    this.#logger.warn({ status: result.status, err: result.error.message }, 'span export failed');
    return false;
  }
}
