import { Counter, Gauge, type OpenMetricsContentType, Registry, type RegistryContentType } from 'prom-client';
import type { SpanData } from '../model/span.js';
import { ApiserverMetrics } from './apiserver-metrics.js';
import { type CardinalityOptions, LabelGuards } from './cardinality.js';
import type { FoldCounter } from './label-guard.js';
import { OperationMetrics } from './operation-metrics.js';
import { SelfMetrics } from './self-metrics.js';

export interface KubestitchMetricsOptions {
  /** Label allow-lists and caps (flags `metrics-namespace-allow`, `metrics-owner-allow`). */
  readonly cardinality?: CardinalityOptions;
}

/** A rendered /metrics answer. */
export interface Exposition {
  readonly contentType: string;
  readonly body: string;
  /** True for OpenMetrics 1.0 (with exemplars and `# EOF`), false for Prometheus text 0.0.4. */
  readonly openMetrics: boolean;
}

/** What sees exported spans: KubestitchMetrics, or a test double. */
export interface SpanObserver {
  /** Observes finished, exported spans. Never throws. */
  observeSpans(spans: readonly SpanData[]): void;
}

/** Names of the metrics about the metrics themselves. */
export const META_METRIC = {
  labelFolds: 'kubestitch_metrics_label_folds_total',
  labelValues: 'kubestitch_metrics_label_values',
  spans: 'kubestitch_metrics_spans_total',
} as const;

/**
 * kubestitch's /metrics (issue 9): operation histograms and counters, apiserver golden signals,
 * pipeline self-metrics, all in one prom-client registry of its own (no global registry, so two
 * instances — tests, replay next to run — never collide). Spans come in through `observeSpans`
 * (use MetricsSink to see exactly what was exported); `render` produces the exposition.
 */
export class KubestitchMetrics implements SpanObserver {
  // Exemplar-enabled metrics must be created on an OpenMetrics registry; render() switches formats.
  readonly registry = openMetricsRegistry();
  readonly self: SelfMetrics;
  readonly #operations: OperationMetrics;
  readonly #apiserver: ApiserverMetrics;
  readonly #spans: Counter<'result'>;
  /** Counter names as registered: prom-client strips `_total` while rendering OpenMetrics. */
  readonly #counterNames = new Map<{ name: string }, string>();
  #rendering: Promise<unknown> = Promise.resolve();

  constructor(options: KubestitchMetricsOptions = {}) {
    // Folds happen while other metrics collect; registering the meta-metrics last (prom-client
    // renders in registration order) shows them in the same scrape.
    const folds = new Counter({
      name: META_METRIC.labelFolds,
      help: 'Label values folded into "other", by label and reason (not-allowed: allow-list; cap: distinct-value or series cap).',
      labelNames: ['label', 'reason'],
      registers: [],
    });
    const onFold: FoldCounter = (label, reason) => folds.inc({ label, reason });
    const guards = new LabelGuards(options.cardinality ?? {}, onFold);
    this.#operations = new OperationMetrics(this.registry, guards);
    this.#apiserver = new ApiserverMetrics(this.registry, guards);
    this.self = new SelfMetrics(this.registry, onFold);
    this.registry.registerMetric(folds);
    new Gauge({
      name: META_METRIC.labelValues,
      help: 'Distinct values admitted per guarded label (at most the per-label cap).',
      labelNames: ['label'],
      registers: [this.registry],
      collect(this: Gauge<'label'>) {
        for (const g of guards.all()) this.set({ label: g.label }, g.admittedCount);
      },
    });
    this.#spans = new Counter({
      name: META_METRIC.spans,
      help: 'Exported spans seen by the metrics, by result (operation, apiserver, ignored, error).',
      labelNames: ['result'],
      registers: [this.registry],
    });
    for (const m of this.registry.getMetricsAsArray()) {
      if (String(m.type) === 'counter') this.#counterNames.set(m, m.name);
    }
  }

  /**
   * Observes finished spans (operation spans, audit pseudo-spans, real apiserver server spans;
   * anything else is counted as ignored). A span that breaks an assumption is counted as
   * `result="error"` and skipped; never throws.
   */
  observeSpans(spans: readonly SpanData[]): void {
    for (const span of spans) {
      let result: string;
      try {
        result = this.#operations.observe(span) ? 'operation' : this.#apiserver.observe(span) ? 'apiserver' : 'ignored';
      } catch {
        result = 'error';
      }
      this.#spans.inc({ result });
    }
  }

  /** Observes pod phases still waiting for their startup span (call at shutdown). Never throws. */
  flushPending(): void {
    this.#operations.flushPending();
  }

  /**
   * Renders the exposition for an HTTP `Accept` header: OpenMetrics 1.0 with exemplars when the
   * client accepts `application/openmetrics-text`, else Prometheus text 0.0.4 (no exemplars).
   * Renders one at a time (the registry's format is switched per render). Rejects only when a
   * prom-client collect callback throws, which ours do not.
   */
  render(accept?: string): Promise<Exposition> {
    const openMetrics = wantsOpenMetrics(accept);
    const next = this.#rendering.then(() => this.#renderNow(openMetrics));
    // Settled to undefined either way: `next.catch` would keep the last exposition body (MBs at
    // 100,000 pods) reachable from here until the next scrape.
    this.#rendering = next.then(
      () => undefined,
      () => undefined,
    );
    return next;
  }

  async #renderNow(openMetrics: boolean): Promise<Exposition> {
    const contentType = openMetrics ? Registry.OPENMETRICS_CONTENT_TYPE : Registry.PROMETHEUS_CONTENT_TYPE;
    // prom-client types a registry's format as fixed at construction; switching it is supported at runtime.
    (this.registry as unknown as Registry<RegistryContentType>).setContentType(contentType);
    try {
      return { contentType, body: await this.registry.metrics(), openMetrics };
    } finally {
      // prom-client renames counters (drops `_total`) for OpenMetrics and never renames them back.
      for (const [metric, name] of this.#counterNames) metric.name = name;
    }
  }
}

/**
 * True when an Accept header prefers OpenMetrics: it lists `application/openmetrics-text` with a
 * q-value above 0 and at least that of `text/plain` (Prometheus sends both, OpenMetrics first).
 */
export function wantsOpenMetrics(accept: string | undefined): boolean {
  if (accept === undefined) return false;
  let om = -1;
  let text = -1;
  for (const range of accept.split(',')) {
    const [type = '', ...params] = range.split(';').map((p) => p.trim().toLowerCase());
    const qParam = params.find((p) => p.startsWith('q='));
    const q = qParam === undefined ? 1 : Number(qParam.slice(2));
    if (!Number.isFinite(q)) continue;
    if (type === 'application/openmetrics-text') om = Math.max(om, q);
    else if (type === 'text/plain') text = Math.max(text, q);
  }
  return om > 0 && om >= text;
}

// prom-client's typings declare no Registry constructor argument, so set the format afterwards.
function openMetricsRegistry(): Registry<OpenMetricsContentType> {
  const registry = new Registry<OpenMetricsContentType>();
  registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
  return registry;
}
