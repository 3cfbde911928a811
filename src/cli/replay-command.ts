import { assembleOutputs } from '../app/outputs.js';
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { MemoryStore, TraceStore, openTraceStore } from '../../storage/index.js';
import type { OtlpExportConfig } from '../export/otlp-export-config.js';
import type { SpanSink } from '../export/sink.js';
import { checkUiAddr, serveUntilStopped } from './serve-command.js';
import { type ReplayOptions, type ReplaySummary, replayDirectory } from '../replay.js';
import { RecordingError } from '../sources/recording/read-recording.js';
import { DEFAULT_WINDOW_RECORDS, type RecordingSummary } from '../sources/recording/stream-recording.js';
import type { StitchStats } from '../stitch/stitch-types.js';
import type { CliIo } from './main.js';
import { describeFsError } from './args.js';
import { ProgressLine } from './progress-line.js';
import type { ProgressOptions } from './progress-line.js';
import { OperationSummarySink } from './replay-summary.js';
import { clean } from './terminal-text.js';

export interface ReplayCommandOptions {
  readonly dir: string;
  readonly cluster: string;
  readonly out?: string;
  /** Export over OTLP (gRPC or HTTP), resolved from the flags and OTEL_EXPORTER_OTLP_*. */
  readonly otlp?: OtlpExportConfig;
  readonly stitchMode?: 'reparent' | 'link';
  readonly holdMs?: number;
  /** Synth's adoption window (`--adoption-window`), in record time. */
  readonly adoptionWindowMs?: number;
  /** Also store the traces in the embedded trace store of this data directory. */
  readonly dataDir?: string;
  /** After the replay, serve the viewer and query API here until `stopSignal` (in memory without `dataDir`). */
  readonly ui?: string;
  readonly stopSignal?: Promise<string>;
  /** Show a progress line on `io.err` for a long replay (main: when stderr is a terminal). */
  readonly progress?: Omit<ProgressOptions, 'write'>;
}

// Enough malformed lines to see the pattern; the rest are counted.
const MAX_PROBLEMS_SHOWN = 20;

/** `kubestitch replay`: resolves to the exit status and reports on `io`; never throws. */
export async function runReplayCommand(options: ReplayCommandOptions, io: CliIo): Promise<number> {
  if (!checkUiAddr('replay', options.ui, io)) return 2;
  // The recording first: a mistyped directory is reported before any file is replaced.
  if (!(await checkRecordingDir(options.dir, io)) || !(await startOutFile(options.out, io))) return 1;
  const opened = await openStore(options, io);
  if (opened === 'failed') return 1;
  const store = opened;
  const { sink, summarySink } = await replaySink(options, store);
  const progress = options.progress && new ProgressLine({ ...options.progress, write: io.err });
  try {
    const summary = await replayDirectory(options.dir, sink, replayOptions(options, progress));
    progress?.done();
    const status = report(summary, options, store, io);
    if (status !== undefined) return status;
    if (summarySink !== undefined) io.out(summarySink.render(clean));
    return await serveAfterReplay(options, store, sink, io);
  } catch (err: unknown) {
    io.err(
      `kubestitch replay: ${err instanceof RecordingError ? err.message : `unexpected failure: ${message(err)}`}\n`,
    );
    return 1;
  } finally {
    progress?.done();
    await sink.shutdown();
    await store?.close();
  }
}

function replayOptions(options: ReplayCommandOptions, progress: ProgressLine | undefined): ReplayOptions {
  return {
    cluster: options.cluster,
    ...(progress !== undefined ? { onRecord: progress.onRecord, onBytes: progress.onBytes } : {}),
    ...(options.stitchMode !== undefined ? { stitchMode: options.stitchMode } : {}),
    ...(options.holdMs !== undefined ? { holdMs: options.holdMs } : {}),
    ...(options.adoptionWindowMs !== undefined ? { adoptionWindowMs: options.adoptionWindowMs } : {}),
  };
}

/** With --ui, serves the viewer on what was replayed until stopped; else the replay is done (0). */
async function serveAfterReplay(
  options: ReplayCommandOptions,
  store: TraceStore | undefined,
  sink: SpanSink,
  io: CliIo,
): Promise<number> {
  if (store === undefined || options.ui === undefined || options.stopSignal === undefined) return 0;
  await sink.flush();
  return await serveUntilStopped(store, options.ui, options.stopSignal, io, await largestTrace(store));
}

async function checkRecordingDir(dir: string, io: CliIo): Promise<boolean> {
  try {
    if ((await stat(dir)).isDirectory()) return true;
    io.err(`kubestitch replay: cannot read recording directory ${dir}: it is not a directory\n`);
  } catch (err: unknown) {
    io.err(`kubestitch replay: cannot read recording directory ${dir}: ${describeFsError(err)}\n`);
  }
  return false;
}

// A replay writes a complete file: start it empty rather than appending to an old run.
async function startOutFile(out: string | undefined, io: CliIo): Promise<boolean> {
  if (out === undefined) return true;
  try {
    await mkdir(dirname(out), { recursive: true });
    await writeFile(out, '');
    return true;
  } catch (err: unknown) {
    io.err(`kubestitch replay: cannot write --out ${out}: ${describeFsError(err)}\n`);
    return false;
  }
}

/** The trace store of --data-dir, or in memory for --ui alone; undefined without either. */
async function openStore(options: ReplayCommandOptions, io: CliIo): Promise<TraceStore | undefined | 'failed'> {
  try {
    if (options.dataDir !== undefined) return await openTraceStore(options.dataDir);
    if (options.ui !== undefined) return await TraceStore.open(new MemoryStore());
    return undefined;
  } catch (err: unknown) {
    io.err(
      `kubestitch replay: cannot open the trace store in ${options.dataDir ?? 'memory'}: ${describeFsError(err)}\n`,
    );
    return 'failed';
  }
}

async function replaySink(
  options: ReplayCommandOptions,
  store: TraceStore | undefined,
): Promise<{ sink: SpanSink; summarySink: OperationSummarySink | undefined }> {
  // The same assembly as run and the demo (app/outputs.ts).
  const { sink } = await assembleOutputs({ out: options.out, otlpExport: options.otlp, traceStore: store });
  if (sink !== undefined) return { sink, summarySink: undefined };
  // Without an output the replay still answers something: what operations it found.
  const summarySink = new OperationSummarySink();
  return { sink: summarySink, summarySink };
}

/** Reports the replay on stderr; an exit status when it failed (nothing replayed, export failures). */
function report(
  summary: ReplaySummary,
  options: ReplayCommandOptions,
  store: TraceStore | undefined,
  io: CliIo,
): number | undefined {
  reportRecording(summary.recording, io);
  if (summary.recording.records.length === 0 && summary.spans === 0) {
    io.err(`kubestitch replay: no valid record in ${options.dir}; nothing to replay\n`);
    return 1;
  }
  for (const p of summary.spanProblems.slice(0, MAX_PROBLEMS_SHOWN))
    io.err(`  spans.jsonl:${p.line}: ${clean(p.reason)}\n`);
  reportStitch(summary.stitch, io);
  const where = [
    options.out,
    options.otlp?.url,
    store && `the trace store${options.dataDir !== undefined ? ` in ${options.dataDir}` : ''}`,
  ]
    .filter((x) => x !== undefined)
    .join(' and ');
  io.err(`kubestitch replay: ${summary.spans} spans in ${summary.traces} traces${where !== '' ? ` → ${where}` : ''}\n`);
  if (summary.exportFailures.length === 0) return undefined;
  io.err(
    `kubestitch replay: ${summary.exportFailures.length} batches failed to export: ${summary.exportFailures[0] ?? ''}\n`,
  );
  return 1;
}

function reportRecording(recording: RecordingSummary, io: CliIo): void {
  io.err(
    `kubestitch replay: ${recording.records.length} records from ${recording.filesRead.join(', ') || 'no usable file'}\n`,
  );
  for (const f of recording.skippedFiles) io.err(`  ${f.file}: skipped (${clean(f.reason)})\n`);
  for (const p of recording.problems.slice(0, MAX_PROBLEMS_SHOWN))
    io.err(`  ${p.file}:${p.line}: ${clean(p.reason)}\n`);
  if (recording.problems.length > MAX_PROBLEMS_SHOWN) {
    io.err(`  … and ${recording.problems.length - MAX_PROBLEMS_SHOWN} more malformed lines\n`);
  }
  if (recording.problems.length > 0) io.err(`  ${recording.problems.length} malformed lines skipped\n`);
  if (recording.lateRecords > 0) {
    io.err(
      `  ${recording.lateRecords} record${recording.lateRecords === 1 ? '' : 's'} came more than ${DEFAULT_WINDOW_RECORDS} records late in their file ` +
        '(its reorder window) and were processed out of order\n',
    );
  }
}

function reportStitch(st: Readonly<StitchStats>, io: CliIo): void {
  if (st.spansIn === 0) return;
  const matched = Object.entries(st.matchedTraces)
    .filter(([, n]) => n > 0)
    .map(([rule, n]) => `${n} by ${rule}`)
    .join(', ');
  io.err(
    `kubestitch replay: ${st.spansIn} real spans stitched (${matched || 'no trace matched'}; ` +
      `${st.rewrittenSpans} re-parented, ${st.expiredSpans} passed through after the hold time, ${st.lateLinks} linked late)\n`,
  );
}

/** The trace the viewer opens on: the one with the most spans. */
async function largestTrace(store: TraceStore): Promise<{ traceId: string; label: string } | undefined> {
  const largest = (await store.listTraces({ limit: 1000 })).sort((a, b) => b.spanCount - a.spanCount)[0];
  if (largest === undefined) return undefined;
  const object = largest.root.object !== undefined ? ` of ${largest.root.object}` : '';
  return {
    traceId: largest.traceId,
    label: `largest trace (${largest.root.name}${object}, ${largest.spanCount} spans)`,
  };
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
