import type { SpanSink } from './export/sink.js';
import type { IngestRecord } from './model/records.js';
import type { SpanData } from './model/span.js';
import { type RecordingContents, readRecording } from './sources/recording/read-recording.js';
import { replayOutputsToSpanBatches, stitchRecording } from './stitch/stitch-recording.js';
import type { StitchMode, StitchStats } from './stitch/stitch-types.js';
import { Synthesizer } from './synth/synthesizer.js';

export interface ReplayOptions {
  readonly cluster: string;
  readonly windowMs?: number;
  /** How real spans of `spans.jsonl` join the traces (DESIGN §4); default `reparent`. */
  readonly stitchMode?: StitchMode;
  /** How long a real span waits for the audit record it belongs to; default the stitcher's. */
  readonly holdMs?: number;
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
 * the synthesized traces. Throws RecordingError when the directory is unusable; malformed lines
 * are in the summary, not thrown; sink failures are collected per batch and replay goes on.
 */
export async function replayDirectory(dir: string, sink: SpanSink, options: ReplayOptions): Promise<ReplaySummary> {
  const recording = await readRecording(dir);
  const stitched = stitchRecording(recording.records, recording.spanLines, {
    cluster: options.cluster,
    ...(options.windowMs !== undefined ? { windowMs: options.windowMs } : {}),
    ...(options.stitchMode !== undefined ? { mode: options.stitchMode } : {}),
    ...(options.holdMs !== undefined ? { holdMs: options.holdMs } : {}),
  });
  const { batches, unconvertible } = replayOutputsToSpanBatches(stitched.outputs);
  const spanProblems = [...stitched.problems];
  if (unconvertible > 0) spanProblems.push({ line: 0, reason: `${unconvertible} real spans could not be converted` });
  const exportFailures: string[] = [];
  const traces = new Set<string>();
  let spans = 0;
  for (const batch of batches) {
    for (const s of batch) traces.add(s.traceId);
    spans += batch.length;
    const result = await sink.write(batch);
    if (result.status !== 'ok') exportFailures.push(result.error.message);
  }
  await sink.flush();
  return { recording, spans, traces: traces.size, exportFailures, stitch: stitched.stats, spanProblems };
}
