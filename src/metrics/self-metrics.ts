import { Counter, Gauge, Histogram, type OpenMetricsContentType, type Registry } from 'prom-client';
import { type FoldCounter, LabelGuard } from './label-guard.js';
import {
  INFORMER_STATES,
  type InformerStatus,
  type SelfCounter,
  type SelfCounterLabels,
  type SelfMetricsSources,
  type SpoolStatus,
} from './self-metrics-sources.js';
import type { StitchStats } from '../stitch/stitch-types.js';
import { type Sample, SummedCounter } from './summed-counter.js';

/** Names of the pipeline self-metrics. */
export const SELF_METRIC = {
  recordsIn: 'kubestitch_records_in_total',
  spansOut: 'kubestitch_spans_out_total',
  exportFailures: 'kubestitch_export_failures_total',
  drops: 'kubestitch_drops_total',
  inputRejected: 'kubestitch_input_rejected_total',
  recordLag: 'kubestitch_record_lag_seconds',
  lastRecordLag: 'kubestitch_lag_seconds',
  informerState: 'kubestitch_informer_state',
  informerLastSync: 'kubestitch_informer_last_sync_timestamp_seconds',
  informerRestarts: 'kubestitch_informer_restarts_total',
  informerRelists: 'kubestitch_informer_relists_total',
  stitchSpansIn: 'kubestitch_stitch_spans_in_total',
  stitchHits: 'kubestitch_stitch_hits_total',
  stitchMisses: 'kubestitch_stitch_misses_total',
  stitchHoldTimeouts: 'kubestitch_stitch_hold_timeouts_total',
  stitchUncovered: 'kubestitch_stitch_uncovered_traces_total',
  stitchAdoptedOrphans: 'kubestitch_stitch_adopted_orphans_total',
  stitchRewrittenSpans: 'kubestitch_stitch_rewritten_spans_total',
  spoolBytes: 'kubestitch_spool_bytes',
  spoolDroppedSpans: 'kubestitch_spool_dropped_spans_total',
  collectErrors: 'kubestitch_metrics_collect_errors_total',
} as const;

const LAG_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 900];
// Self-metric label values come from code, not from the cluster; the cap only guards against a
// wiring mistake that passes object names.
const MAX_SELF_LABEL_VALUES = 200;

type EventCounters = { readonly [N in SelfCounter]: SummedCounter<keyof SelfCounterLabels[N] & string> };
type Getter<T> = (s: SelfMetricsSources) => (() => T) | undefined;

/**
 * Pipeline health (DESIGN §5): records in, spans out, drops, lag, informer state, stitch
 * hits/misses/hold timeouts, spool. Values come from getters registered with `register` (read at
 * scrape time) plus `inc` for events without a stats object. A getter that throws is skipped for
 * that scrape and counted in `kubestitch_metrics_collect_errors_total`; nothing here throws.
 */
export class SelfMetrics {
  readonly #sources = new Set<SelfMetricsSources>();
  readonly #guards = new Map<string, LabelGuard>();
  readonly #onFold: FoldCounter;
  readonly #collectErrors: Counter<'source'>;
  readonly #counters: EventCounters;
  readonly #exportFailures: Counter<'sink' | 'status'>;
  readonly #lag: Histogram<'source'>;
  /** Last lag observed through observeLag, by (guarded) source. */
  readonly #observedLag = new Map<string, number>();

  constructor(registry: Registry<OpenMetricsContentType>, onFold: FoldCounter) {
    this.#onFold = onFold;
    this.#counters = this.#eventCounters(registry);
    this.#stitchCounters(registry);
    this.#rejectedCounter(registry);
    this.#exportFailures = new Counter({
      name: SELF_METRIC.exportFailures,
      help: 'Span batches a sink did not accept, by sink and status (retryable, failed).',
      labelNames: ['sink', 'status'],
      registers: [registry],
    });
    this.#lag = this.#lagMetrics(registry);
    this.#informerGauges(registry);
    this.#spoolGauge(registry);
    // Registered last: getters that throw during this scrape's collects show in the same scrape.
    this.#collectErrors = new Counter({
      name: SELF_METRIC.collectErrors,
      help: 'Stats getters that threw during a scrape, by getter.',
      labelNames: ['source'],
      registers: [registry],
    });
  }

  /**
   * Adds getters read at every scrape; values of several registrations add up per label set.
   * Returns a function that removes them again (for a component that stops).
   */
  register(sources: SelfMetricsSources): () => void {
    this.#sources.add(sources);
    return () => {
      this.#sources.delete(sources);
    };
  }

  /** Counts an event that has no stats object. Ignores non-finite or negative amounts. */
  inc<N extends SelfCounter>(name: N, labels: SelfCounterLabels[N], by = 1): void {
    const guarded: Record<string, string> = {};
    for (const [k, v] of Object.entries(labels as Record<string, string>)) guarded[k] = this.#label(k, v);
    (this.#counters[name] as SummedCounter<string>).add(guarded, by);
  }

  /** A batch a sink refused (`retryable` or `failed`). */
  exportFailed(sink: string, status: 'retryable' | 'failed'): void {
    this.#exportFailures.inc({ sink: this.#label('sink', sink), status });
  }

  /** Lag of one record: seconds from its own time to its processing (negative skew reads as 0). */
  observeLag(source: string, seconds: number): void {
    if (!Number.isFinite(seconds)) return;
    const s = Math.max(0, seconds);
    const labels = { source: this.#label('source', source) };
    this.#lag.observe(labels, s);
    this.#observedLag.set(labels.source, s);
  }

  // Counters that getters and inc() both feed.
  #eventCounters(registry: Registry<OpenMetricsContentType>): EventCounters {
    const M = SELF_METRIC;
    const byKey = (get: Getter<Readonly<Record<string, number>>>, label: string, what: string) => () =>
      this.#records(get, label, what);
    const informer = (pick: (i: InformerStatus) => number) => () =>
      this.#read((s) => s.informers, 'informers').flatMap((list) =>
        list.map((i) => ({ labels: { informer: this.#label('informer', i.name) }, value: pick(i) })),
      );
    const counter = <L extends string>(name: string, help: string, labelNames: L[], read: () => Iterable<Sample<L>>) =>
      new SummedCounter(registry, { name, help, labelNames }, read);
    return {
      records_in: counter(
        M.recordsIn,
        'Records taken in, by source.',
        ['source'],
        byKey((s) => s.recordsIn, 'source', 'recordsIn'),
      ),
      spans_out: counter(
        M.spansOut,
        'Spans accepted by a sink, by sink.',
        ['sink'],
        byKey((s) => s.spansOut, 'sink', 'spansOut'),
      ),
      drops: counter(
        M.drops,
        'Records or spans dropped, by reason.',
        ['reason'],
        byKey((s) => s.drops, 'reason', 'drops'),
      ),
      informer_restarts: counter(
        M.informerRestarts,
        'Supervised informer restarts.',
        ['informer'],
        informer((i) => i.restarts),
      ),
      informer_relists: counter(
        M.informerRelists,
        'Informer relists (410 Gone, lost resourceVersion).',
        ['informer'],
        informer((i) => i.relists),
      ),
      spool_dropped_spans: counter(M.spoolDroppedSpans, 'Spans dropped because the export spool was full.', [], () =>
        this.#read((s) => s.spool, 'spool').map((p) => ({ labels: {}, value: p.droppedSpans })),
      ),
    };
  }

  #stitchCounters(registry: Registry<OpenMetricsContentType>): void {
    const M = SELF_METRIC;
    const counter = <L extends string>(
      name: string,
      help: string,
      labelNames: L[],
      pick: (s: Readonly<StitchStats>) => Sample<L>[],
    ) =>
      new SummedCounter(registry, { name, help, labelNames }, () =>
        this.#read((s) => s.stitch, 'stitch').flatMap(pick),
      );
    counter(M.stitchSpansIn, 'Real spans received by the stitch stage.', [], (s) => [{ labels: {}, value: s.spansIn }]);
    counter(M.stitchHits, 'Real traces joined to a pseudo-span, by matching rule.', ['rule'], (s) =>
      Object.entries(s.matchedTraces).map(([rule, value]) => ({ labels: { rule }, value })),
    );
    counter(
      M.stitchMisses,
      'Real spans (links for link-missed) that could not be joined, by reason.',
      ['reason'],
      (s) => [
        { labels: { reason: 'overflow' }, value: s.overflowSpans },
        { labels: { reason: 'link-missed' }, value: s.linksMissed },
        { labels: { reason: 'invalid-trace-id' }, value: s.invalidSpans },
        { labels: { reason: 'refused' }, value: s.refusedSpans },
        { labels: { reason: 'duplicate' }, value: s.duplicateSpans },
      ],
    );
    counter(
      M.stitchUncovered,
      'Real traces left in their own trace: their pseudo-span was already exported and does not cover them.',
      [],
      (s) => [{ labels: {}, value: s.uncoveredTraces }],
    );
    counter(
      M.stitchAdoptedOrphans,
      'Real spans whose parent never arrived (the component dropped it), hung under their pseudo-span.',
      [],
      (s) => [{ labels: {}, value: s.adoptedOrphans }],
    );
    counter(
      M.stitchHoldTimeouts,
      'Real spans forwarded unchanged after waiting the hold time for their audit record.',
      [],
      (s) => [{ labels: {}, value: s.expiredSpans }],
    );
    counter(M.stitchRewrittenSpans, 'Real spans re-parented into a pseudo-span trace.', [], (s) => [
      { labels: {}, value: s.rewrittenSpans },
    ]);
  }

  // Input refused at the boundary: one series per source and reason, both from a fixed vocabulary.
  #rejectedCounter(registry: Registry<OpenMetricsContentType>): void {
    new SummedCounter(
      registry,
      {
        name: SELF_METRIC.inputRejected,
        help: 'Input records refused at the input boundary (never entered the pipeline), by source and reason.',
        labelNames: ['source', 'reason'],
      },
      () =>
        this.#read((s) => s.rejected, 'rejected').flatMap((bySource) =>
          Object.entries(bySource).flatMap(([source, byReason]) =>
            Object.entries(byReason).map(([reason, value]) => ({
              labels: { source: this.#label('source', source), reason: this.#label('reason', reason) },
              value,
            })),
          ),
        ),
    );
  }

  // Per-record lag (histogram, observeLag) and the last lag per source (gauge, also from getters).
  #lagMetrics(registry: Registry<OpenMetricsContentType>): Histogram<'source'> {
    const observed = this.#observedLag;
    const fromGetters = (): Sample<string>[] => this.#records((s) => s.lagSeconds, 'source', 'lagSeconds');
    new Gauge({
      name: SELF_METRIC.lastRecordLag,
      help: "Seconds between the last processed record's own time and its processing, by source.",
      labelNames: ['source'],
      registers: [registry],
      collect(this: Gauge<'source'>) {
        this.reset();
        for (const [source, v] of observed) this.set({ source }, v);
        for (const s of fromGetters()) if (Number.isFinite(s.value)) this.set(s.labels, s.value);
      },
    });
    return new Histogram({
      name: SELF_METRIC.recordLag,
      help: "Seconds between a record's own time and its processing, by source.",
      labelNames: ['source'],
      buckets: LAG_BUCKETS,
      registers: [registry],
    });
  }

  // No value at all until a spool is registered: 0 would claim an empty spool that does not exist.
  #spoolGauge(registry: Registry<OpenMetricsContentType>): void {
    const read = (): SpoolStatus[] => this.#read((s) => s.spool, 'spool');
    new Gauge({
      name: SELF_METRIC.spoolBytes,
      help: 'Bytes held in the export spool.',
      registers: [registry],
      collect(this: Gauge) {
        this.reset();
        const spools = read();
        if (spools.length > 0) this.set(spools.reduce((sum, p) => sum + (Number.isFinite(p.bytes) ? p.bytes : 0), 0));
      },
    });
  }

  #informerGauges(registry: Registry<OpenMetricsContentType>): void {
    const read = (): InformerStatus[] => this.#read((s) => s.informers, 'informers').flat();
    const label = (name: string): string => this.#label('informer', name);
    new Gauge({
      name: SELF_METRIC.informerState,
      help: 'Informer state: 1 for the current state (syncing, watching, backoff, stopped), 0 for the others.',
      labelNames: ['informer', 'state'],
      registers: [registry],
      collect(this: Gauge<'informer' | 'state'>) {
        this.reset();
        for (const i of read())
          for (const state of INFORMER_STATES) this.set({ informer: label(i.name), state }, i.state === state ? 1 : 0);
      },
    });
    new Gauge({
      name: SELF_METRIC.informerLastSync,
      help: "Unix time of the informer's last completed list.",
      labelNames: ['informer'],
      registers: [registry],
      collect(this: Gauge<'informer'>) {
        this.reset();
        for (const i of read())
          if (i.lastSyncMs !== undefined) this.set({ informer: label(i.name) }, i.lastSyncMs / 1000);
      },
    });
  }

  #records(get: Getter<Readonly<Record<string, number>>>, label: string, what: string): Sample<string>[] {
    return this.#read(get, what).flatMap((rec) =>
      Object.entries(rec).map(([k, value]) => ({ labels: { [label]: this.#label(label, k) }, value })),
    );
  }

  #read<T>(get: Getter<T>, what: string): T[] {
    const out: T[] = [];
    for (const s of this.#sources) {
      const getter = get(s);
      if (getter === undefined) continue;
      try {
        out.push(getter());
      } catch {
        this.#collectErrors.inc({ source: what });
      }
    }
    return out;
  }

  #label(label: string, value: string): string {
    let guard = this.#guards.get(label);
    if (guard === undefined) {
      guard = new LabelGuard({ label: `self:${label}`, maxValues: MAX_SELF_LABEL_VALUES, onFold: this.#onFold });
      this.#guards.set(label, guard);
    }
    return guard.admit(value);
  }
}
