import type { SpanSink } from './export/sink.js';
import { SpanBatcher } from './export/span-batcher.js';
import type { IngestRecord } from './model/records.js';
import type { SpanData } from './model/span.js';
import { type RecordingStream, type RecordingSummary, openRecording } from './sources/recording/stream-recording.js';
import { RecordingStitch, type ReplayOutput, replayOutputsToSpanBatches } from './stitch/stitch-recording.js';
import { type StitchMode, type StitchStats, emptyStats } from './stitch/stitch-types.js';
import { Synthesizer, type SynthesizerOptions } from './synth/synthesizer.js';

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

/** Synth's options of a replay: the cluster, and the windows when given. */
export function synthOptions(options: ReplayOptions): SynthesizerOptions {
  return {
    cluster: options.cluster,
    ...(options.windowMs !== undefined ? { windowMs: options.windowMs } : {}),
    ...(options.adoptionWindowMs !== undefined ? { adoptionWindowMs: options.adoptionWindowMs } : {}),
  };
}

/**
 * Runs records (already in processing order) through synth and returns the span batches: one
 * batch per record that completed spans, then the end-of-replay flush that closes everything
 * still open as `kubestitch.outcome=unfinished`. Pure and deterministic.
 */
export function synthesizeRecords(records: readonly IngestRecord[], options: ReplayOptions): SpanData[][] {
  const synth = new Synthesizer(synthOptions(options));
  const batches: SpanData[][] = [];
  for (const r of records) {
    const batch = synth.process(r);
    if (batch.length > 0) batches.push(batch);
  }
  const last = synth.flush();
  if (last.length > 0) batches.push(last);
  return batches;
}

/**
 * Replays a recording directory into `sink`, stitching the real spans of its `spans.jsonl` into
 * the synthesized traces. The records are streamed from the files (openRecording: memory follows
 * the reorder windows, not the recording) and spans are written as they are produced, gathered
 * into writes of up to 512 spans with a few in flight (SpanBatcher), so neither input nor output
 * is held whole. Throws RecordingError when the directory is unusable or a file cannot be read;
 * malformed lines are in the summary, not thrown; sink failures are collected per write and
 * replay goes on.
 */
export async function replayDirectory(dir: string, sink: SpanSink, options: ReplayOptions): Promise<ReplaySummary> {
  const stream = await openRecording(dir, options.onBytes !== undefined ? { onBytes: options.onBytes } : {});
  const out = new SpanBatcher(sink);
  const traces = new Set<string>();
  const emit = (spans: readonly SpanData[]): Promise<void> | undefined => {
    for (const s of spans) traces.add(s.traceId);
    return out.add(spans);
  };
  const { stitch, spanProblems } = stream.spanLines.some((l) => l.trim() !== '')
    ? await replayStitched(stream, options, emit)
    : await replaySynthOnly(stream, options, emit);
  const written = await out.finish();
  await sink.flush();
  const recording = stream.summary();
  options.onRecord?.(recording.records.length, recording.records.length);
  return {
    recording,
    spans: written.spans,
    traces: traces.size,
    exportFailures: written.failures,
    stitch,
    spanProblems,
  };
}

type Emit = (spans: readonly SpanData[]) => Promise<void> | undefined;
type ReplayStage = Pick<ReplaySummary, 'stitch' | 'spanProblems'>;

// Without real spans the stitch stage changes nothing (stitchRecording gives synth's batches
// exactly), so synth's spans go straight out, batch by batch, instead of being collected first.
async function replaySynthOnly(stream: RecordingStream, options: ReplayOptions, emit: Emit): Promise<ReplayStage> {
  const synth = new Synthesizer(synthOptions(options));
  for await (const records of stream.batches) {
    for (const record of records) {
      const spans = synth.process(record);
      if (spans.length === 0) continue;
      const wait = emit(spans);
      if (wait !== undefined) await wait;
    }
  }
  await emit(synth.flush());
  return { stitch: emptyStats(), spanProblems: [] };
}

// Outputs are written after each batch of records (≤ 256), in release order, as stitchRecording
// followed by replayOutputsToSpanBatches would write them all at the end.
async function replayStitched(stream: RecordingStream, options: ReplayOptions, emit: Emit): Promise<ReplayStage> {
  const pending: ReplayOutput[] = [];
  const stitchOptions = {
    cluster: options.cluster,
    ...(options.windowMs !== undefined ? { windowMs: options.windowMs } : {}),
    ...(options.adoptionWindowMs !== undefined ? { adoptionWindowMs: options.adoptionWindowMs } : {}),
    ...(options.stitchMode !== undefined ? { mode: options.stitchMode } : {}),
    ...(options.holdMs !== undefined ? { holdMs: options.holdMs } : {}),
  };
  const start = (firstMs: number | undefined): RecordingStitch =>
    new RecordingStitch(stream.spanLines, stitchOptions, firstMs, (o) => pending.push(o));
  let stitch: RecordingStitch | undefined;
  let unconvertible = 0;
  const write = async (): Promise<void> => {
    const { batches, unconvertible: skipped } = replayOutputsToSpanBatches(pending.splice(0));
    unconvertible += skipped;
    for (const batch of batches) await emit(batch);
  };
  for await (const records of stream.batches) {
    stitch ??= start(records[0]?.timeMs);
    for (const record of records) stitch.record(record);
    await write();
  }
  const { stats, problems } = (stitch ?? start(undefined)).finish();
  await write();
  const spanProblems = [...problems];
  if (unconvertible > 0) spanProblems.push({ line: 0, reason: `${unconvertible} real spans could not be converted` });
  return { stitch: stats, spanProblems };
}
