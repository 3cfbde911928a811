import type { SpanSink } from './export/sink.js';
import { SpanBatcher } from './export/span-batcher.js';
import type { IngestRecord } from './model/records.js';
import type { SpanData } from './model/span.js';
import { type RecordingContents, readRecording } from './sources/recording/read-recording.js';
import { replayOutputsToSpanBatches, stitchRecording } from './stitch/stitch-recording.js';
import { type StitchMode, type StitchStats, emptyStats } from './stitch/stitch-types.js';
import { Synthesizer } from './synth/synthesizer.js';

export interface ReplayOptions {
  readonly cluster: string;
  readonly windowMs?: number;
  /** How real spans of `spans.jsonl` join the traces (DESIGN §4); default `reparent`. */
  readonly stitchMode?: StitchMode;
  /** How long a real span waits for the audit record it belongs to; default the stitcher's. */
  readonly holdMs?: number;
  /** Called after each record is processed (count, total): progress for long replays. */
  readonly onRecord?: (done: number, total: number) => void;
  /** Called while the recording's files are parsed (characters, total bytes). */
  readonly onBytes?: (done: number, total: number) => void;
}

export interface ReplaySummary {
  readonly recording: RecordingContents;
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
 * Runs records (already in processing order) through synth and returns the span batches: one
 * batch per record that completed spans, then the end-of-replay flush that closes everything
 * still open as `kubestitch.outcome=unfinished`. Pure and deterministic.
 */
export function synthesizeRecords(records: readonly IngestRecord[], options: ReplayOptions): SpanData[][] {
  const synth = new Synthesizer({
    cluster: options.cluster,
    ...(options.windowMs !== undefined ? { windowMs: options.windowMs } : {}),
  });
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
 * the synthesized traces. Spans are written as they are produced, gathered into writes of up to
 * 512 spans with a few in flight (SpanBatcher), so the output is never held whole. Throws
 * RecordingError when the directory is unusable; malformed lines are in the summary, not thrown;
 * sink failures are collected per write and replay goes on.
 */
export async function replayDirectory(dir: string, sink: SpanSink, options: ReplayOptions): Promise<ReplaySummary> {
  const recording = await readRecording(dir, options.onBytes !== undefined ? { onBytes: options.onBytes } : {});
  const out = new SpanBatcher(sink);
  const traces = new Set<string>();
  const emit = (spans: readonly SpanData[]): Promise<void> | undefined => {
    for (const s of spans) traces.add(s.traceId);
    return out.add(spans);
  };
  const { stitch, spanProblems } = recording.spanLines.some((l) => l.trim() !== '')
    ? await replayStitched(recording, options, emit)
    : await replaySynthOnly(recording.records, options, emit);
  const written = await out.finish();
  await sink.flush();
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
async function replaySynthOnly(
  records: readonly IngestRecord[],
  options: ReplayOptions,
  emit: Emit,
): Promise<ReplayStage> {
  const synth = new Synthesizer({
    cluster: options.cluster,
    ...(options.windowMs !== undefined ? { windowMs: options.windowMs } : {}),
  });
  let done = 0;
  for (const record of records) {
    options.onRecord?.(++done, records.length);
    const spans = synth.process(record);
    if (spans.length === 0) continue;
    const wait = emit(spans);
    if (wait !== undefined) await wait;
  }
  await emit(synth.flush());
  return { stitch: emptyStats(), spanProblems: [] };
}

async function replayStitched(recording: RecordingContents, options: ReplayOptions, emit: Emit): Promise<ReplayStage> {
  const stitched = stitchRecording(recording.records, recording.spanLines, {
    cluster: options.cluster,
    ...(options.windowMs !== undefined ? { windowMs: options.windowMs } : {}),
    ...(options.stitchMode !== undefined ? { mode: options.stitchMode } : {}),
    ...(options.holdMs !== undefined ? { holdMs: options.holdMs } : {}),
    ...(options.onRecord !== undefined ? { onRecord: options.onRecord } : {}),
  });
  const { batches, unconvertible } = replayOutputsToSpanBatches(stitched.outputs);
  const spanProblems = [...stitched.problems];
  if (unconvertible > 0) spanProblems.push({ line: 0, reason: `${unconvertible} real spans could not be converted` });
  for (const batch of batches) await emit(batch);
  return { stitch: stitched.stats, spanProblems };
}
