import { outputSink } from './output-sink.js';
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { MemoryStore, TraceStore, openTraceStore } from '../../storage/index.js';
import { FanOutSink } from '../export/fan-out-sink.js';
import type { OtlpExportConfig } from '../export/otlp-export-config.js';
import type { SpanSink } from '../export/sink.js';
import { TraceStoreSink } from '../export/trace-store-sink.js';
import { checkUiAddr, serveUntilStopped } from './serve-command.js';
import { replayDirectory } from '../replay.js';
import { RecordingError } from '../sources/recording/read-recording.js';
import { DEFAULT_WINDOW_RECORDS } from '../sources/recording/stream-recording.js';
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
  try {
    if (!(await stat(options.dir)).isDirectory()) {
      io.err(`kubestitch replay: cannot read recording directory ${options.dir}: it is not a directory\n`);
      return 1;
    }
  } catch (err: unknown) {
    io.err(`kubestitch replay: cannot read recording directory ${options.dir}: ${describeFsError(err)}\n`);
    return 1;
  }
  if (options.out !== undefined) {
    // A replay writes a complete file: start it empty rather than appending to an old run.
    try {
      await mkdir(dirname(options.out), { recursive: true });
      await writeFile(options.out, '');
    } catch (err: unknown) {
      io.err(`kubestitch replay: cannot write --out ${options.out}: ${describeFsError(err)}\n`);
      return 1;
    }
  }
  let store: TraceStore | undefined;
  try {
    if (options.dataDir !== undefined) store = await openTraceStore(options.dataDir);
    else if (options.ui !== undefined) store = await TraceStore.open(new MemoryStore());
  } catch (err: unknown) {
    io.err(
      `kubestitch replay: cannot open the trace store in ${options.dataDir ?? 'memory'}: ${describeFsError(err)}\n`,
    );
    return 1;
  }
  const sinks: SpanSink[] = [outputSink(options), store && new TraceStoreSink(store)].filter((s) => s !== undefined);
  // Without an output the replay still answers something: what operations it found.
  const summarySink = sinks.length === 0 ? new OperationSummarySink() : undefined;
  const [only] = sinks;
  const sink: SpanSink = summarySink ?? (sinks.length === 1 && only !== undefined ? only : new FanOutSink(sinks));
  const progress = options.progress && new ProgressLine({ ...options.progress, write: io.err });
  try {
    const summary = await replayDirectory(options.dir, sink, {
      cluster: options.cluster,
      ...(progress !== undefined ? { onRecord: progress.onRecord, onBytes: progress.onBytes } : {}),
      ...(options.stitchMode !== undefined ? { stitchMode: options.stitchMode } : {}),
      ...(options.holdMs !== undefined ? { holdMs: options.holdMs } : {}),
      ...(options.adoptionWindowMs !== undefined ? { adoptionWindowMs: options.adoptionWindowMs } : {}),
    });
    progress?.done();
    const { recording } = summary;
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
    if (recording.records.length === 0 && summary.spans === 0) {
      io.err(`kubestitch replay: no valid record in ${options.dir}; nothing to replay\n`);
      return 1;
    }
    for (const p of summary.spanProblems.slice(0, MAX_PROBLEMS_SHOWN))
      io.err(`  spans.jsonl:${p.line}: ${clean(p.reason)}\n`);
    const st = summary.stitch;
    if (st.spansIn > 0) {
      const matched = Object.entries(st.matchedTraces)
        .filter(([, n]) => n > 0)
        .map(([rule, n]) => `${n} by ${rule}`)
        .join(', ');
      io.err(
        `kubestitch replay: ${st.spansIn} real spans stitched (${matched || 'no trace matched'}; ` +
          `${st.rewrittenSpans} re-parented, ${st.expiredSpans} passed through after the hold time, ${st.lateLinks} linked late)\n`,
      );
    }
    const where = [
      options.out,
      options.otlp?.url,
      store && `the trace store${options.dataDir !== undefined ? ` in ${options.dataDir}` : ''}`,
    ]
      .filter((x) => x !== undefined)
      .join(' and ');
    io.err(
      `kubestitch replay: ${summary.spans} spans in ${summary.traces} traces${where !== '' ? ` → ${where}` : ''}\n`,
    );
    if (summary.exportFailures.length > 0) {
      io.err(
        `kubestitch replay: ${summary.exportFailures.length} batches failed to export: ${summary.exportFailures[0] ?? ''}\n`,
      );
      return 1;
    }
    if (summarySink !== undefined) io.out(summarySink.render(clean));
    if (store === undefined || options.ui === undefined || options.stopSignal === undefined) return 0;
    await sink.flush();
    const largest = (await store.listTraces({ limit: 1000 })).sort((a, b) => b.spanCount - a.spanCount)[0];
    const highlight =
      largest === undefined
        ? undefined
        : {
            traceId: largest.traceId,
            label: `largest trace (${largest.root.name}${largest.root.object !== undefined ? ` of ${largest.root.object}` : ''}, ${largest.spanCount} spans)`,
          };
    return await serveUntilStopped(store, options.ui, options.stopSignal, io, highlight);
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

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
