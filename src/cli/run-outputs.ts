import type pino from 'pino';
import { ExportSpool, TRACE_STORE_NAMESPACE, TraceStore } from '../../storage/index.js';
import type { KvStore } from '../../storage/index.js';
import { ExportedOnceSink } from '../export/exported-once-sink.js';
import { FanOutSink } from '../export/fan-out-sink.js';
import { OtlpJsonFileSink } from '../export/otlp-json-file-sink.js';
import { createOtlpSink } from '../export/otlp-sink.js';
import type { SpanSink } from '../export/sink.js';
import { SpoolingSink } from '../export/spooling-sink.js';
import { TraceStoreSink } from '../export/trace-store-sink.js';
import type { KubestitchMetrics } from '../metrics/kubestitch-metrics.js';
import { MetricsSink } from '../metrics/metrics-sink.js';
import { packageVersion } from '../version.js';
import type { RunSettings } from './run-config.js';

/**
 * The sinks `run` exports to, built on the data dir's store: OTLP gRPC behind the LevelDB export
 * spool (each span id sent once across restarts), an appended OTLP/JSON file, the embedded trace
 * store. More than one: a fan-out.
 */
export class Outputs {
  traceStore: TraceStore | undefined;
  spooling: SpoolingSink | undefined;
  #sink: SpanSink | undefined;
  readonly #s: RunSettings;
  readonly #logger: pino.Logger;
  readonly #metrics: KubestitchMetrics;

  constructor(settings: RunSettings, logger: pino.Logger, metrics: KubestitchMetrics) {
    this.#s = settings;
    this.#logger = logger;
    this.#metrics = metrics;
  }

  async open(store: KvStore): Promise<SpanSink> {
    const s = this.#s;
    const scopeVersion = packageVersion();
    const sinks: SpanSink[] = [];
    if (s.otlpExport !== undefined) {
      const spool = await ExportSpool.open(store.namespace('spool'), {
        maxBytes: s.spoolMaxBytes,
        logger: this.#logger.child({ mod: 'spool' }),
      });
      const exportLogger = this.#logger.child({ mod: 'export' });
      const otlp = createOtlpSink(s.otlpExport, {
        scopeVersion,
        onRejected: (rejectedSpans, message) =>
          exportLogger.warn({ rejectedSpans, message }, 'the OTLP receiver rejected spans (partial success)'),
      });
      this.spooling = new SpoolingSink({
        spool,
        inner: new ExportedOnceSink(otlp, store.namespace('exported')),
        logger: this.#logger.child({ mod: 'export' }),
        flushDeadlineMs: s.shutdownDeadlineMs,
      });
      sinks.push(this.spooling);
    }
    if (s.out !== undefined) {
      sinks.push(
        new ExportedOnceSink(new OtlpJsonFileSink({ path: s.out, scopeVersion }), store.namespace('exported-file')),
      );
    }
    if (s.embeddedStore) {
      this.traceStore = await TraceStore.open(store.namespace(TRACE_STORE_NAMESPACE), {
        retentionMs: s.storeRetentionHours * 3_600_000,
        maxBytes: s.storeMaxBytes,
        logger: this.#logger.child({ mod: 'store' }),
      });
      sinks.push(new TraceStoreSink(this.traceStore, { closeStore: true }));
    }
    const [only] = sinks;
    const out = sinks.length > 1 ? new FanOutSink(sinks) : only;
    if (out === undefined) throw new Error('no output configured');
    // Metrics see exactly the spans the outputs accepted.
    this.#sink = new MetricsSink(out, this.#metrics, { sinkName: 'export', counters: this.#metrics.self });
    return this.#sink;
  }

  /** Shuts the sinks down if the service did not (it does when it started). Never rejects. */
  async close(): Promise<void> {
    await this.#sink?.shutdown().catch(() => undefined);
  }
}

/** The export's URL when the OTLP forwarder can reach it as is: gRPC, no headers, no CA or client certificate of its own. */
export function plainGrpcExport(s: RunSettings): string | undefined {
  const x = s.otlpExport;
  return x !== undefined && x.protocol === 'grpc' && Object.keys(x.headers).length === 0 && x.tlsFiles === undefined
    ? x.url
    : undefined;
}
