import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Histogram, type OpenMetricsContentType, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { SeriesLimiter } from '../../src/metrics/cardinality.js';
import { ExemplarHistogram } from '../../src/metrics/exemplar-histogram.js';
import type { SpanData } from '../../src/model/span.js';

// Bounds with array-index keys (1, 60, 300), as the termination histogram's.
const BUCKETS = [0.5, 1, 2, 5, 10, 20, 30, 45, 60, 90, 120, 300];
const LABELS = ['namespace', 'node', 'outcome'] as const;
type Label = (typeof LABELS)[number];

function span(i: number): SpanData {
  return {
    traceId: i.toString(16).padStart(32, '0'),
    spanId: (i + 1).toString(16).padStart(16, '0'),
    name: 'pod termination',
    kind: 'internal',
    startMs: 0,
    endMs: 1,
    events: [],
    links: [],
    status: { code: 'ok' },
    resource: { attributes: {} },
    attributes: {},
  };
}

function labelsOf(i: number): Record<Label, string> {
  return { namespace: `ns-${i % 7}`, node: `node-${i % 13}`, outcome: i % 5 === 0 ? 'error' : 'ok' };
}

function openMetricsRegistry(): Registry<OpenMetricsContentType> {
  const registry = new Registry<OpenMetricsContentType>();
  registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
  return registry;
}

function histogram(registry: Registry<OpenMetricsContentType>, max: number): ExemplarHistogram<Label> {
  const spec = { name: 'h_seconds', help: 'h', labelNames: LABELS, buckets: BUCKETS };
  return new ExemplarHistogram(registry, spec, new SeriesLimiter(max, ['namespace', 'node'], () => undefined));
}

// Exemplar timestamps are the wall clock at observation.
function withoutTimestamps(text: string): string {
  return text.replace(/(# \{[^}]*\} \S+) \S+$/gm, '$1 T');
}

describe('ExemplarHistogram', () => {
  it('renders what a plain prom-client histogram renders for the same observations', async () => {
    const ours = openMetricsRegistry();
    const theirs = openMetricsRegistry();
    const h = histogram(ours, 40);
    const plain = new Histogram<Label>({
      name: 'h_seconds',
      help: 'h',
      labelNames: [...LABELS],
      buckets: BUCKETS,
      enableExemplars: true,
      registers: [theirs],
    });
    const limiter = new SeriesLimiter(40, ['namespace', 'node'], () => undefined);
    for (let i = 0; i < 600; i++) {
      // Values in every bucket, +Inf included; past 40 label sets the limiter folds.
      const seconds = (i * 7.3) % 400;
      h.observe(labelsOf(i), seconds, span(i));
      const s = span(i);
      plain.observe({
        labels: limiter.limit(labelsOf(i)),
        value: seconds,
        exemplarLabels: { trace_id: s.traceId, span_id: s.spanId } as unknown as Partial<Record<Label, string>>,
      });
    }
    const text = withoutTimestamps(await ours.metrics());
    expect(text).toContain('h_seconds_bucket{le="300",namespace="ns-1",node="node-1",outcome="ok"}');
    expect(text).toContain('namespace="other",node="other"');
    expect(text).toBe(withoutTimestamps(await theirs.metrics()));
  });

  it('holds a new label set in about 1 KB, not a 300-slot array per bucket map', () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const series = 2_000;
    const h = histogram(openMetricsRegistry(), series);
    const observe = (from: number, to: number): void => {
      for (let i = from; i < to; i++)
        h.observe({ namespace: `ns-${i}`, node: 'node-1', outcome: 'ok' }, 0.7 + (i % 3) * 100, span(i));
    };
    observe(0, 10); // prom-client's and V8's one-time costs
    gc();
    const before = process.memoryUsage().heapUsed;
    observe(10, series);
    gc();
    const perSeries = (process.memoryUsage().heapUsed - before) / (series - 10);
    // Before: ~8.6 KB (two objects with 469-slot element arrays). Now: the series' two bucket maps,
    // its labels, one exemplar and the limiter's key.
    expect(perSeries).toBeLessThan(2_500);
  });
});
