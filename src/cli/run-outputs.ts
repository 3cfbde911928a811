import type pino from 'pino';
import { ExportSpool, TRACE_STORE_NAMESPACE, TraceStore } from '../../storage/index.js';
import type { KvStore } from '../../storage/index.js';
import { assembleOutputs } from '../app/outputs.js';
import type { SpanSink } from '../export/sink.js';
import type { SpoolingSink } from '../export/spooling-sink.js';
import type { KubestitchMetrics } from '../metrics/kubestitch-metrics.js';
import type { RunSettings } from './run-config.js';

/**
 * The sinks `run` exports to, assembled (app/outputs.ts) on the data dir's store once the run
 * service opens it: OTLP behind the LevelDB export spool (each span id sent once across
 * restarts), an appended OTLP/JSON file, the embedded trace store, span metrics.
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
    this.traceStore = s.embeddedStore
      ? await TraceStore.open(store.namespace(TRACE_STORE_NAMESPACE), {
          retentionMs: s.storeRetentionHours * 3_600_000,
          maxBytes: s.storeMaxBytes,
          logger: this.#logger.child({ mod: 'store' }),
        })
      : undefined;
    const spool =
      s.otlpExport === undefined
        ? undefined
        : await ExportSpool.open(store.namespace('spool'), {
            maxBytes: s.spoolMaxBytes,
            logger: this.#logger.child({ mod: 'spool' }),
          });
    const outputs = await assembleOutputs({
      out: s.out,
      otlpExport: s.otlpExport,
      traceStore: this.traceStore,
      ownsTraceStore: true,
      durable: { kv: store, spool, flushDeadlineMs: s.shutdownDeadlineMs },
      metrics: this.#metrics,
      logger: this.#logger,
    });
    if (outputs.sink === undefined) throw new Error('no output configured');
    this.spooling = outputs.spooling;
    this.#sink = outputs.sink;
    return this.#sink;
  }

  /** Shuts the sinks down if the service did not (it does when it started). Never rejects. */
  async close(): Promise<void> {
    await this.#sink?.shutdown().catch(() => undefined);
  }
}
