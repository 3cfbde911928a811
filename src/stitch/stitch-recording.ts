import { ManualClock } from '../model/clock.js';
import type { IngestRecord } from '../model/records.js';
import type { SpanData } from '../model/span.js';
import { parseTraceRequestJson } from '../sources/otlp/otlp-json-request.js';
import type { TraceBatch, TraceRequest } from '../otlp/otlp-message.js';
import { countSpans } from '../otlp/otlp-message.js';
import { traceRequestToSpanData } from '../export/otlp-to-span-data.js';
import type { TraceBatchSink } from '../otlp/trace-batch-sink.js';
import { Synthesizer } from '../synth/synthesizer.js';
import { flattenRequest, nanosToMs } from './span-entries.js';
import type { StitcherOptions } from './stitcher-options.js';
import { Stitcher } from './stitcher.js';
import type { StitchStats } from './stitch-types.js';

/** Options of a stitched replay: synth's plus the stitch knobs that make sense without a network. */
export interface StitchRecordingOptions extends Pick<
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
  /** Called after each record (1-based count, total): the CLI's progress line. Must not throw. */
  readonly onRecord?: (done: number, total: number) => void;
}

/** One output of a stitched replay, in release order: a synth batch or a batch of real spans. */
export type ReplayOutput =
  { readonly kind: 'synth'; readonly spans: SpanData[] } | { readonly kind: 'real'; readonly batch: TraceBatch };

export interface StitchedReplay {
  readonly outputs: readonly ReplayOutput[];
  readonly stats: Readonly<StitchStats>;
  /** `spans.jsonl` lines that could not be used (1-based line numbers), skipped. */
  readonly problems: readonly { readonly line: number; readonly reason: string }[];
}

interface TimedRequest {
  readonly request: TraceRequest;
  /** When the request "arrives": the end of its last span, as an exporter sends after spans end. */
  readonly atMs: number;
  readonly line: number;
}

/**
 * The replay counterpart of a live `kubestitch run` with the OTLP receiver: runs `records` (in
 * processing order) through synth and the lines of a recording's `spans.jsonl` (OTLP/JSON
 * ExportTraceServiceRequest per line, Collector file-exporter format) through the stitch stage,
 * interleaved by time — each line enters when its last span ended, before records of the same
 * time; hold timeouts run on record time. Ends with synth's flush, then releases what is held.
 *
 * Pure and deterministic (no I/O, no wall clock): the same input gives the same outputs. Bad lines
 * are reported in `problems`; every span of the good lines comes out exactly once. Never throws
 * for bad input.
 */
export function stitchRecording(
  records: readonly IngestRecord[],
  spansJsonlLines: readonly string[],
  options: StitchRecordingOptions,
): StitchedReplay {
  const outputs: ReplayOutput[] = [];
  const { onRecord, ...rest } = options;
  const stitch = new RecordingStitch(spansJsonlLines, rest, records[0]?.timeMs, (o) => outputs.push(o));
  let done = 0;
  for (const record of records) {
    onRecord?.(++done, records.length);
    stitch.record(record);
  }
  const { stats, problems } = stitch.finish();
  return { outputs, stats, problems };
}

/**
 * stitchRecording one record at a time, for a replay that streams its records: each output goes
 * to `out` as it is made (in release order), so nothing is collected. `firstRecordMs` is the first
 * record's time (the clock starts at it or at the first span line, whichever is earlier). Call
 * record() in processing order, then finish() once.
 */
export class RecordingStitch {
  readonly #requests: TimedRequest[];
  readonly #problems: { line: number; reason: string }[] = [];
  readonly #clock: ManualClock;
  readonly #stitcher: Stitcher;
  readonly #synth: Synthesizer;
  readonly #out: (output: ReplayOutput) => void;
  #next = 0;

  constructor(
    spansJsonlLines: readonly string[],
    options: Omit<StitchRecordingOptions, 'onRecord'>,
    firstRecordMs: number | undefined,
    out: (output: ReplayOutput) => void,
  ) {
    this.#out = out;
    this.#requests = timedRequests(spansJsonlLines, this.#problems);
    this.#clock = new ManualClock(
      Math.min(this.#requests[0]?.atMs ?? Infinity, firstRecordMs ?? Infinity, Date.UTC(2100, 0)),
    );
    const { cluster, windowMs, adoptionWindowMs, ...stitchOptions } = options;
    const sink = forwardingSink(out);
    this.#stitcher = new Stitcher({ ...stitchOptions, cluster, sink, clock: this.#clock });
    this.#synth = new Synthesizer({
      cluster,
      ...(windowMs !== undefined ? { windowMs } : {}),
      ...(adoptionWindowMs !== undefined ? { adoptionWindowMs } : {}),
      onAnchor: this.#stitcher.onAnchor,
      onAnchorEnd: this.#stitcher.onAnchorEnd,
    });
  }

  /** Processes the next record (processing order): span lines that ended by its time first. */
  record(record: IngestRecord): void {
    this.#feedUntil(record.timeMs);
    this.#clock.advanceTo(record.timeMs);
    // Synth first settles what waited in its adoption window up to now (ADR 0004), so anchors
    // whose trace id just became final reach the stitcher before its holds for them expire.
    const settled = this.#synth.advance(record.timeMs);
    if (settled.length > 0) this.#out({ kind: 'synth', spans: settled });
    this.#stitcher.expire();
    const spans = this.#synth.process(record);
    if (spans.length > 0) this.#out({ kind: 'synth', spans });
  }

  /** The remaining span lines, synth's flush, then what the stitcher holds; once. */
  finish(): Pick<StitchedReplay, 'stats' | 'problems'> {
    this.#feedUntil(Infinity);
    const last = this.#synth.flush();
    if (last.length > 0) this.#out({ kind: 'synth', spans: last });
    // The forwarding sink takes batches synchronously; nothing is left pending.
    void this.#stitcher.shutdown();
    return { stats: structuredClone(this.#stitcher.stats), problems: this.#problems };
  }

  #feedUntil(ms: number): void {
    const requests = this.#requests;
    for (let r = requests[this.#next]; r !== undefined && r.atMs <= ms; r = requests[++this.#next]) {
      this.#clock.advanceTo(r.atMs);
      this.#stitcher.ingest({ request: r.request, spanCount: countSpans(r.request) });
    }
  }
}

/**
 * The outputs as SpanData batches for today's SpanSinks (the OTLP/JSON file and gRPC sinks),
 * converting real spans lossily (see otlp-to-span-data.ts). `unconvertible` counts real spans with
 * ids SpanData cannot hold.
 */
export function replayOutputsToSpanBatches(outputs: readonly ReplayOutput[]): {
  batches: SpanData[][];
  unconvertible: number;
} {
  const batches: SpanData[][] = [];
  let unconvertible = 0;
  for (const out of outputs) {
    if (out.kind === 'synth') {
      batches.push(out.spans);
      continue;
    }
    const { spans, skipped } = traceRequestToSpanData(out.batch.request);
    unconvertible += skipped;
    if (spans.length > 0) batches.push(spans);
  }
  return { batches, unconvertible };
}

// Synth's anchors do not carry the audit request's facts yet; the record being processed does.
function timedRequests(lines: readonly string[], problems: { line: number; reason: string }[]): TimedRequest[] {
  const out: TimedRequest[] = [];
  lines.forEach((text, i) => {
    if (text.trim() === '') return;
    try {
      const request = parseTraceRequestJson(text);
      const ends = flattenRequest(request).map((e) => nanosToMs(e.span.endTimeUnixNano));
      if (ends.length > 0) out.push({ request, atMs: Math.max(...ends), line: i + 1 });
    } catch (error: unknown) {
      problems.push({ line: i + 1, reason: error instanceof Error ? error.message : String(error) });
    }
  });
  // Stable: lines ending at the same time keep file order.
  return out.sort((a, b) => a.atMs - b.atMs || a.line - b.line);
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
