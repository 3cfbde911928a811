import { ManualClock } from '../model/clock.js';
import type { IngestRecord } from '../model/records.js';
import type { SpanData } from '../model/span.js';
import type { TraceBatch } from '../otlp/otlp-message.js';
import type { TraceBatchSink } from '../otlp/trace-batch-sink.js';
import type { RecordedBatch } from '../sources/otlp/recorded-spans.js';
import type { StitcherOptions } from '../stitch/stitcher-options.js';
import { Stitcher } from '../stitch/stitcher.js';
import { type StitchStats, emptyStats } from '../stitch/stitch-types.js';
import { Synthesizer } from '../synth/synthesizer.js';

/** Options of the replayed stages: synth's, plus the stitch knobs that make sense without a network. */
export interface ReplayStagesOptions extends Pick<
  StitcherOptions,
  | 'mode'
  | 'holdMs'
  | 'maxHeldSpans'
  | 'maxHeldBytes'
  | 'memoryTtlMs'
  | 'memoryMax'
  | 'httpToleranceMs'
  | 'podSyncWindowMs'
  | 'clockSkewMs'
  | 'apiserverServices'
  | 'holdServices'
> {
  readonly cluster: string;
  readonly windowMs?: number;
  readonly adoptionWindowMs?: number;
}

/** One output of a replay, in release order: a synth batch or a batch of real spans as stitched. */
export type ReplayOutput =
  { readonly kind: 'synth'; readonly spans: SpanData[] } | { readonly kind: 'real'; readonly batch: TraceBatch };

/**
 * The stages a replay runs, one record at a time (the counterpart of a live `kubestitch run`):
 * the graph and synth on the records (in processing order), and — when the recording has real
 * spans — the stitch stage on them, interleaved by time: each recorded batch enters when its last
 * span ended, before records of the same time; hold timeouts run on record time. Every output
 * goes to `out` as it is made, in release order, so nothing is collected.
 *
 * Pure and deterministic (no I/O, no wall clock). Call record() in processing order, then
 * finish() once. Never throws for bad input.
 */
export class ReplayStages {
  readonly #synth: Synthesizer;
  readonly #real: RealSpanStage | undefined;
  readonly #out: (output: ReplayOutput) => void;

  /**
   * `real`: the recording's real span batches in arrival order, or undefined when it has none (no
   * stitch stage then). `firstRecordMs`: the first record's time (the stitch clock starts at it or
   * at the first batch, whichever is earlier).
   */
  constructor(
    options: ReplayStagesOptions,
    real: readonly RecordedBatch[] | undefined,
    firstRecordMs: number | undefined,
    out: (output: ReplayOutput) => void,
  ) {
    this.#out = out;
    const { cluster, windowMs, adoptionWindowMs, ...stitchOptions } = options;
    this.#real =
      real === undefined ? undefined : new RealSpanStage(real, { ...stitchOptions, cluster }, firstRecordMs, out);
    this.#synth = new Synthesizer({
      cluster,
      ...(windowMs !== undefined ? { windowMs } : {}),
      ...(adoptionWindowMs !== undefined ? { adoptionWindowMs } : {}),
      ...(this.#real !== undefined ? this.#real.anchorHooks() : {}),
    });
  }

  /** Processes the next record (processing order): real spans that arrived by its time first. */
  record(record: IngestRecord): void {
    const real = this.#real;
    if (real !== undefined) {
      real.arriveUntil(record.timeMs);
      // Synth first settles what waited in its adoption window up to now (ADR 0004), so anchors
      // whose trace id just became final reach the stitcher before its holds for them expire.
      this.#synthOut(this.#synth.advance(record.timeMs));
      real.expire();
    }
    this.#synthOut(this.#synth.process(record));
  }

  /** The remaining real spans, synth's flush, then what the stitcher holds; once. */
  finish(): StitchStats {
    this.#real?.arriveUntil(Infinity);
    this.#synthOut(this.#synth.flush());
    return this.#real?.finish() ?? emptyStats();
  }

  #synthOut(spans: SpanData[]): void {
    if (spans.length > 0) this.#out({ kind: 'synth', spans });
  }
}

/** The stitch stage of a replay, on a clock that follows the records and the recorded batches. */
class RealSpanStage {
  readonly #batches: readonly RecordedBatch[];
  readonly #clock: ManualClock;
  readonly #stitcher: Stitcher;
  #next = 0;

  constructor(
    batches: readonly RecordedBatch[],
    options: Omit<StitcherOptions, 'sink' | 'clock'>,
    firstRecordMs: number | undefined,
    out: (output: ReplayOutput) => void,
  ) {
    this.#batches = batches;
    this.#clock = new ManualClock(Math.min(batches[0]?.atMs ?? Infinity, firstRecordMs ?? Infinity, Date.UTC(2100, 0)));
    this.#stitcher = new Stitcher({ ...options, sink: forwardingSink(out), clock: this.#clock });
  }

  anchorHooks(): Pick<Stitcher, 'onAnchor' | 'onAnchorEnd'> {
    return { onAnchor: this.#stitcher.onAnchor, onAnchorEnd: this.#stitcher.onAnchorEnd };
  }

  /** Hands the stitcher every batch that arrived by `ms`, then moves the clock to `ms`. */
  arriveUntil(ms: number): void {
    const batches = this.#batches;
    for (let b = batches[this.#next]; b !== undefined && b.atMs <= ms; b = batches[++this.#next]) {
      this.#clock.advanceTo(b.atMs);
      this.#stitcher.ingest(b.batch);
    }
    if (Number.isFinite(ms)) this.#clock.advanceTo(ms);
  }

  expire(): void {
    this.#stitcher.expire();
  }

  finish(): StitchStats {
    // The forwarding sink takes batches synchronously; nothing is left pending.
    void this.#stitcher.shutdown();
    return structuredClone(this.#stitcher.stats);
  }
}

function forwardingSink(out: (output: ReplayOutput) => void): TraceBatchSink {
  return {
    offer: (batch) => {
      out({ kind: 'real', batch });
      return true;
    },
    hasRoom: () => true,
    flush: () => Promise.resolve(),
    shutdown: () => Promise.resolve(),
  };
}
