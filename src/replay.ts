import { traceRequestToSpanData } from './export/otlp-to-span-data.js';
import type { SpanSink } from './export/sink.js';
import { SpanBatcher } from './export/span-batcher.js';
import type { IngestRecord } from './model/records.js';
import type { SpanData } from './model/span.js';
import { type ReplayOutput, ReplayStages, type ReplayStagesOptions } from './replay/replay-stages.js';
import { readRecordedSpans } from './sources/otlp/recorded-spans.js';
import { type RecordingSummary, openRecording } from './sources/recording/stream-recording.js';
import type { StitchMode, StitchStats } from './stitch/stitch-types.js';

export interface ReplayOptions {
  readonly cluster: string;
  readonly windowMs?: number;
  /** Synth's adoption window (ADR 0004, `--adoption-window`), in record time; its default when unset. */
  readonly adoptionWindowMs?: number;
  /** How real spans of `spans.jsonl` join the traces (DESIGN §4); default `reparent`. */
  readonly stitchMode?: StitchMode;
  /** How long a real span waits for the audit record it belongs to; default the stitcher's. */
  readonly holdMs?: number;
  /**
   * Called once the records are all processed (count, count): the records are streamed, so their
   * total is known only at the end; onBytes is the progress while they are.
   */
  readonly onRecord?: (done: number, total: number) => void;
  /** Called as the recording's files are read (characters so far, total bytes), all along the replay. */
  readonly onBytes?: (done: number, total: number) => void;
}

export interface ReplaySummary {
  /** What the reader found (the records themselves are streamed, not kept). */
  readonly recording: RecordingSummary;
  readonly spans: number;
  readonly traces: number;
  /** Batches the sink did not accept (each with its error). */
  readonly exportFailures: readonly string[];
  /** What the stitch stage did with the real spans of `spans.jsonl`. */
  readonly stitch: Readonly<StitchStats>;
  /** Unusable `spans.jsonl` lines, and real spans that could not be expressed as SpanData. */
  readonly spanProblems: readonly { readonly line: number; readonly reason: string }[];
}

/**
 * Replays a recording directory into `sink`, the pipeline in order: sources (the records streamed
 * from the files — openRecording: memory follows the reorder windows, not the recording — and the
 * real spans of `spans.jsonl`), then graph, synth and stitch (ReplayStages), then export: spans
 * are written as they are produced, gathered into writes of up to 512 spans with a few in flight
 * (SpanBatcher), so neither input nor output is held whole. Throws RecordingError when the
 * directory is unusable or a file cannot be read; malformed lines are in the summary, not thrown;
 * sink failures are collected per write and replay goes on.
 */
export async function replayDirectory(dir: string, sink: SpanSink, options: ReplayOptions): Promise<ReplaySummary> {
  const stream = await openRecording(dir, options.onBytes !== undefined ? { onBytes: options.onBytes } : {});
  // Without real spans there is no stitch stage: synth's spans go out as they are.
  const real = stream.spanLines.some((l) => l.trim() !== '') ? readRecordedSpans(stream.spanLines) : undefined;
  const out = new ReplayExport(sink);
  let stages: ReplayStages | undefined;
  const start = (firstMs: number | undefined): ReplayStages =>
    new ReplayStages(stagesOptions(options), real?.batches, firstMs, out.take);
  for await (const records of stream.batches) {
    stages ??= start(records[0]?.timeMs);
    for (const record of records) {
      stages.record(record);
      if (out.hasPending()) await out.write();
    }
  }
  const stitch = (stages ?? start(undefined)).finish();
  await out.write();
  const written = await out.finish();
  await sink.flush();
  const recording = stream.summary();
  options.onRecord?.(recording.records.length, recording.records.length);
  const spanProblems = [...(real?.problems ?? [])];
  if (out.unconvertible > 0) {
    spanProblems.push({ line: 0, reason: `${out.unconvertible} real spans could not be converted` });
  }
  return {
    recording,
    spans: written.spans,
    traces: out.traces.size,
    exportFailures: written.failures,
    stitch,
    spanProblems,
  };
}

/**
 * Runs records (already in processing order) through the same stages as replayDirectory, without
 * real spans, and returns synth's span batches: one per record that completed spans, then the
 * end-of-replay flush that closes everything still open as `kubestitch.outcome=unfinished`. Pure
 * and deterministic.
 */
export function synthesizeRecords(records: readonly IngestRecord[], options: ReplayOptions): SpanData[][] {
  const batches: SpanData[][] = [];
  const stages = new ReplayStages(stagesOptions(options), undefined, records[0]?.timeMs, (o) => {
    if (o.kind === 'synth') batches.push(o.spans);
  });
  for (const record of records) stages.record(record);
  stages.finish();
  return batches;
}

function stagesOptions(options: ReplayOptions): ReplayStagesOptions {
  return {
    cluster: options.cluster,
    ...(options.windowMs !== undefined ? { windowMs: options.windowMs } : {}),
    ...(options.adoptionWindowMs !== undefined ? { adoptionWindowMs: options.adoptionWindowMs } : {}),
    ...(options.stitchMode !== undefined ? { mode: options.stitchMode } : {}),
    ...(options.holdMs !== undefined ? { holdMs: options.holdMs } : {}),
  };
}

/**
 * The export end of a replay: the stages' outputs, in release order, as SpanData writes to the
 * sink. Real spans are converted lossily (export/otlp-to-span-data.ts); `unconvertible` counts
 * those with ids SpanData cannot hold.
 */
class ReplayExport {
  readonly traces = new Set<string>();
  unconvertible = 0;
  readonly #batcher: SpanBatcher;
  #pending: ReplayOutput[] = [];

  constructor(sink: SpanSink) {
    this.#batcher = new SpanBatcher(sink);
  }

  readonly take = (output: ReplayOutput): void => {
    this.#pending.push(output);
  };

  hasPending(): boolean {
    return this.#pending.length > 0;
  }

  /** Hands what is pending to the batcher, waiting whenever it has enough writes in flight. */
  async write(): Promise<void> {
    const outputs = this.#pending;
    this.#pending = [];
    for (const output of outputs) {
      const wait = this.#batcher.add(this.#spansOf(output));
      if (wait !== undefined) await wait;
    }
  }

  finish(): ReturnType<SpanBatcher['finish']> {
    return this.#batcher.finish();
  }

  #spansOf(output: ReplayOutput): readonly SpanData[] {
    let spans: readonly SpanData[];
    if (output.kind === 'synth') spans = output.spans;
    else {
      const converted = traceRequestToSpanData(output.batch.request);
      this.unconvertible += converted.skipped;
      spans = converted.spans;
    }
    for (const s of spans) this.traces.add(s.traceId);
    return spans;
  }
}
