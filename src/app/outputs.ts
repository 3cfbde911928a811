import type pino from 'pino';
import type { ExportSpool, KvStore, TraceStore } from '../../storage/index.js';
import { ExportedOnceSink } from '../export/exported-once-sink.js';
import { FanOutSink } from '../export/fan-out-sink.js';
import type { OtlpExportConfig } from '../export/otlp-export-config.js';
import { OtlpJsonFileSink } from '../export/otlp-json-file-sink.js';
import type { SpanSink } from '../export/sink.js';
import { SpoolingSink } from '../export/spooling-sink.js';
import { TraceStoreSink } from '../export/trace-store-sink.js';
import type { KubestitchMetrics } from '../metrics/kubestitch-metrics.js';
import { MetricsSink } from '../metrics/metrics-sink.js';
import { packageVersion } from '../version.js';

/**
 * Where spans go, resolved: the same for `replay`, `run` and the demo. Each output given is one
 * sink; more than one: a fan-out.
 */
export interface OutputSettings {
  /** OTLP/JSON lines appended to this file (`--out`; replay empties it first). */
  readonly out?: string;
  /** OTLP export, resolved from the `--otlp-*` flags and `OTEL_EXPORTER_OTLP_*` variables. */
  readonly otlpExport?: OtlpExportConfig;
  /** The embedded trace store the viewer reads. */
  readonly traceStore?: TraceStore;
  /** The sink closes the trace store on shutdown (run); else its opener closes it (replay, demo). */
  readonly ownsTraceStore?: boolean;
  /**
   * run: outputs that survive restarts, on the data dir's store — the OTLP export behind the
   * LevelDB spool, and the export and the file each sending a span id once.
   */
  readonly durable?: {
    readonly kv: KvStore;
    /** The export spool, opened on `kv` (ExportSpool.open); used when there is an OTLP export. */
    readonly spool: ExportSpool | undefined;
    /** How long a shutdown waits for the export to drain (the spool keeps the rest). */
    readonly flushDeadlineMs: number;
  };
  /** Span metrics of what the outputs accepted (run's /metrics). */
  readonly metrics?: KubestitchMetrics;
  /** Warnings with no caller to return them to (partial success, the spool). */
  readonly logger?: pino.Logger;
}

/** The assembled outputs. */
export interface Outputs {
  /** Every output behind one sink; undefined when none is configured. */
  readonly sink: SpanSink | undefined;
  /** The durable export, for its spool metrics (run with an OTLP export). */
  readonly spooling: SpoolingSink | undefined;
}

/**
 * Builds the sink chain from resolved output settings: OTLP export (spooled and exported-once
 * when durable), the OTLP/JSON file, the trace store; fanned out; span metrics over all of them.
 * The settings are checked already (resolveOtlpExport), so this does not reject.
 */
export async function assembleOutputs(s: OutputSettings): Promise<Outputs> {
  const scopeVersion = packageVersion();
  const otlp = s.otlpExport === undefined ? undefined : await otlpSink(s.otlpExport, scopeVersion, s.logger);
  const spooling = otlp === undefined ? undefined : spooled(otlp, s.durable, s.logger);
  const file = s.out === undefined ? undefined : new OtlpJsonFileSink({ path: s.out, scopeVersion });
  const sinks = [
    spooling ?? otlp,
    file !== undefined && s.durable !== undefined
      ? new ExportedOnceSink(file, s.durable.kv.namespace('exported-file'))
      : file,
    s.traceStore === undefined
      ? undefined
      : new TraceStoreSink(s.traceStore, { closeStore: s.ownsTraceStore === true }),
  ].filter((x): x is SpanSink => x !== undefined);
  const [only] = sinks;
  const out = sinks.length > 1 ? new FanOutSink(sinks) : only;
  // Metrics see exactly the spans the outputs accepted.
  const sink =
    out === undefined || s.metrics === undefined
      ? out
      : new MetricsSink(out, s.metrics, { sinkName: 'export', counters: s.metrics.self });
  return { sink, spooling };
}

// Loaded only for an OTLP export: its gRPC and protobuf modules are ~5.6 MB of heap that a run
// or replay writing only a file or the trace store would hold for nothing (#16).
async function otlpSink(
  config: OtlpExportConfig,
  scopeVersion: string,
  logger: pino.Logger | undefined,
): Promise<SpanSink> {
  const { createOtlpSink } = await import('../export/otlp-sink.js');
  const exportLogger = logger?.child({ mod: 'export' });
  return createOtlpSink(config, {
    scopeVersion,
    onRejected: (rejectedSpans, message) =>
      exportLogger?.warn({ rejectedSpans, message }, 'the OTLP receiver rejected spans (partial success)'),
  });
}

// The export behind the spool: what the backend has not taken yet waits on disk, across restarts.
function spooled(
  otlp: SpanSink,
  durable: OutputSettings['durable'],
  logger: pino.Logger | undefined,
): SpoolingSink | undefined {
  const spool = durable?.spool;
  if (durable === undefined || spool === undefined) return undefined;
  return new SpoolingSink({
    spool,
    inner: new ExportedOnceSink(otlp, durable.kv.namespace('exported')),
    logger: logger?.child({ mod: 'export' }),
    flushDeadlineMs: durable.flushDeadlineMs,
  });
}
