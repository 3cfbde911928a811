import { Histogram, type OpenMetricsContentType, type Registry } from 'prom-client';
import type { SpanData } from '../model/span.js';
import type { SeriesLimiter } from './cardinality.js';

/**
 * A prom-client histogram whose every observation carries the span's trace as an OpenMetrics
 * exemplar (`{trace_id, span_id}`, the lower-case hex ids exactly as exported over OTLP), behind a
 * per-metric series limiter. Exemplars show only in the OpenMetrics exposition.
 */
export class ExemplarHistogram<L extends string> {
  readonly name: string;
  readonly #histogram: Histogram<L>;
  readonly #limiter: SeriesLimiter;

  constructor(
    registry: Registry<OpenMetricsContentType>,
    spec: { name: string; help: string; labelNames: readonly L[]; buckets: readonly number[] },
    limiter: SeriesLimiter,
  ) {
    this.name = spec.name;
    this.#histogram = new Histogram<L>({
      name: spec.name,
      help: spec.help,
      labelNames: spec.labelNames,
      buckets: [...spec.buckets],
      enableExemplars: true,
      registers: [registry],
    });
    this.#limiter = limiter;
  }

  /** Records `seconds` for `span` under `labels` (folded when the metric is full). Never throws for finite values. */
  observe(labels: Record<L, string>, seconds: number, span: SpanData): void {
    this.#histogram.observe({
      labels: this.#limiter.limit(labels),
      value: seconds,
      // prom-client types exemplar labels as the metric's own label names; they are free-form.
      exemplarLabels: { trace_id: span.traceId, span_id: span.spanId } as unknown as Partial<Record<L, string>>,
    });
  }
}
