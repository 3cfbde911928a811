/**
 * The contract between kubestitch's components and its self-metrics (issue 9 scope 3). Components
 * keep plain stats objects; the wiring code hands getters over them to `SelfMetrics.register`,
 * which reads them at scrape time. No component imports prom-client.
 */
import type { StitchStats } from '../stitch/stitch-types.js';

/** What an object informer is doing (the informer supervisor reports it). */
export type InformerState = 'syncing' | 'watching' | 'backoff' | 'stopped';
export const INFORMER_STATES: readonly InformerState[] = ['syncing', 'watching', 'backoff', 'stopped'];

/** One informer as /metrics and /readyz show it. */
export interface InformerStatus {
  /** Stable name, e.g. `pods`, `deployments.apps`, `certificates.v1.cert-manager.io`. */
  readonly name: string;
  readonly state: InformerState;
  /** Epoch ms of the last completed list (initial or relist); undefined before the first. */
  readonly lastSyncMs?: number;
  /** Supervised restarts after the watch failed (monotonic). */
  readonly restarts: number;
  /** Relists (410 Gone, restarts that lost their resourceVersion) (monotonic). */
  readonly relists: number;
}

/** The LevelDB export spool. */
export interface SpoolStatus {
  /** Bytes held now. */
  readonly bytes: number;
  /** Spans dropped because the spool was full (monotonic). */
  readonly droppedSpans: number;
}

/**
 * Getters read at every scrape. Every field is optional; counts are monotonic totals since the
 * component started (a getter that throws is skipped for that scrape and counted in
 * `kubestitch_metrics_collect_errors_total`). Record keys become label values: keep them to a
 * fixed vocabulary chosen in code (source names, sink names, drop reasons), never object names.
 */
export interface SelfMetricsSources {
  /** Records taken in, by source: `watch`, `events`, `audit`, `otlp`, … */
  readonly recordsIn?: () => Readonly<Record<string, number>>;
  /** Spans handed on, by sink or stage (`otlp-forward`, …); MetricsSink counts its sink itself. */
  readonly spansOut?: () => Readonly<Record<string, number>>;
  /** Items dropped, by reason (`audit-malformed`, `export-backlog-full`, …). */
  readonly drops?: () => Readonly<Record<string, number>>;
  /**
   * Input refused at the input boundary, by source (`watch`, `audit-webhook`, `audit-file`) then
   * by reason (input-boundary's reasonKey: `too deep`, `time out of range`, `malformed JSON`, …).
   */
  readonly rejected?: () => Readonly<Record<string, Readonly<Record<string, number>>>>;
  /** Current lag in seconds, by source (gauge `kubestitch_lag_seconds`; see also SelfMetrics.observeLag). */
  readonly lagSeconds?: () => Readonly<Record<string, number>>;
  readonly informers?: () => readonly InformerStatus[];
  /** The stitch stage's counters (Stitcher.stats). */
  readonly stitch?: () => Readonly<StitchStats>;
  readonly spool?: () => SpoolStatus;
}

/** Events without a stats object, counted through `SelfMetrics.inc`, with the labels each takes. */
export interface SelfCounterLabels {
  readonly records_in: { readonly source: string };
  readonly spans_out: { readonly sink: string };
  readonly drops: { readonly reason: string };
  readonly informer_restarts: { readonly informer: string };
  readonly informer_relists: { readonly informer: string };
  readonly spool_dropped_spans: Readonly<Record<string, never>>;
}
export type SelfCounter = keyof SelfCounterLabels;
