import { Histogram, type OpenMetricsContentType, type Registry } from 'prom-client';
import type { SpanData } from '../model/span.js';
import type { SeriesLimiter } from './cardinality.js';

/**
 * What prom-client 15 keeps per label set of a histogram (lib/histogram.js createBaseValues):
 * counts and exemplars keyed by bucket bound. It reads them by key only (`[bound]`,
 * hasOwnProperty), so a copy with the same keys serves it the same.
 */
interface SeriesState {
  bucketValues: Record<string, number>;
  bucketExemplars?: Record<string, unknown>;
}

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
    compactNewSeries(this.#histogram);
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

/**
 * prom-client copies each new series' counts and exemplars from one object keyed by the bucket
 * bounds; bounds like 1, 60 and 300 are array indices, so each copy got a backing array of 300+
 * slots: ~8.4 KB per series, which the churn of `kubestitch run` (new namespace × node × outcome
 * sets, up to the series cap) kept for good. Its series map becomes a proxy that stores a new
 * series with dictionary-mode copies, the same keys in ~1 KB; prom-client reads them by key only
 * (`[bound]`, hasOwnProperty). An observation of an existing series passes a prototype check.
 */
function compactNewSeries(histogram: object): void {
  const target = histogram as { hashMap?: Record<string, SeriesState> };
  const hashMap = target.hashMap;
  if (hashMap === undefined) return;
  target.hashMap = new Proxy(hashMap, {
    set(map, key, series: SeriesState) {
      if (Object.getPrototypeOf(series.bucketValues) !== null) {
        series.bucketValues = dictionaryCopy(series.bucketValues);
        if (series.bucketExemplars !== undefined) series.bucketExemplars = dictionaryCopy(series.bucketExemplars);
      }
      return Reflect.set(map, key, series);
    },
  });
}

// An index this far past the bounds moves the object's elements to a dictionary, where they stay
// once it is deleted (V8 does not go back to an array for a dozen keys).
const DICTIONARY_INDEX = 2 ** 29;

/** The same own keys and values, in the same order, without a prototype and with dictionary elements. */
function dictionaryCopy<T>(from: Record<string, T>): Record<string, T> {
  const to = Object.create(null) as Record<string, T>;
  Reflect.set(to, DICTIONARY_INDEX, 0);
  Reflect.deleteProperty(to, DICTIONARY_INDEX);
  for (const key of Object.keys(from)) to[key] = from[key] as T;
  return to;
}
