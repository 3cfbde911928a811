import { describe, expect, it } from 'vitest';
import { CaptureSink } from '../../src/export/capture-sink.js';
import type { ExportResult, SpanSink } from '../../src/export/sink.js';
import { KubestitchMetrics } from '../../src/metrics/kubestitch-metrics.js';
import { MetricsSink } from '../../src/metrics/metrics-sink.js';
import {
  forwarderSources,
  pipelineSources,
  spoolSources,
  stitcherSources,
  synthSources,
} from '../../src/metrics/self-metrics-adapters.js';
import type { InformerStatus } from '../../src/metrics/self-metrics-sources.js';
import type { SpanData } from '../../src/model/span.js';
import { emptyStats } from '../../src/stitch/stitch-types.js';
import { type ParsedFamily, parseExposition } from './reference-parser.js';

async function scrape(metrics: KubestitchMetrics): Promise<ParsedFamily[]> {
  return parseExposition((await metrics.render('application/openmetrics-text')).body, 'openmetrics');
}

function value(fams: readonly ParsedFamily[], sample: string, labels: Record<string, string> = {}): number | undefined {
  for (const f of fams) {
    for (const s of f.samples) {
      if (s.name !== sample) continue;
      if (
        Object.entries(labels).every(([k, v]) => s.labels[k] === v) &&
        Object.keys(s.labels).length === Object.keys(labels).length
      ) {
        return s.value;
      }
    }
  }
  return undefined;
}

const startup: SpanData = {
  traceId: 'a603314a0d8c579168c03422b00fa59e',
  spanId: 'd62914c1087f3ebe',
  name: 'pod startup',
  kind: 'internal',
  startMs: 1_000,
  endMs: 9_500,
  resource: { attributes: { 'service.name': 'kubelet', 'k8s.node.name': 'node-1' } },
  attributes: {
    'kubestitch.operation': 'pod.startup',
    'kubestitch.outcome': 'ok',
    'k8s.namespace.name': 'shop',
    'k8s.deployment.name': 'web',
  },
  events: [],
  links: [],
  status: { code: 'ok' },
};

describe('SelfMetrics', () => {
  describe('register', () => {
    it('reads the stats objects at scrape time, adding up registrations per label set', async () => {
      const metrics = new KubestitchMetrics();
      const synth = {
        stats: { objectRecords: 5, eventRecords: 2, auditRecords: 7, duplicateObjects: 0, spansEmitted: 9 },
        evictions: { operations: 0, windows: 0 },
        deletionOwnersForgotten: 0,
      };
      const pipeline = { stats: { malformed: 1, droppedSpans: 0, lagMs: 1_500 } };
      metrics.self.register(synthSources(synth));
      metrics.self.register(pipelineSources(pipeline));
      metrics.self.register({ recordsIn: () => ({ audit: 3 }) });
      let fams = await scrape(metrics);
      expect(value(fams, 'kubestitch_records_in_total', { source: 'watch' })).toBe(5);
      expect(value(fams, 'kubestitch_records_in_total', { source: 'audit' })).toBe(10);
      expect(value(fams, 'kubestitch_drops_total', { reason: 'audit-malformed' })).toBe(1);
      expect(value(fams, 'kubestitch_lag_seconds', { source: 'pipeline' })).toBe(1.5);
      synth.stats.objectRecords = 8;
      pipeline.stats.droppedSpans = 4;
      fams = await scrape(metrics);
      expect(value(fams, 'kubestitch_records_in_total', { source: 'watch' })).toBe(8);
      expect(value(fams, 'kubestitch_drops_total', { reason: 'export-backlog-full' })).toBe(4);
      synth.evictions = { operations: 3, windows: 2 };
      fams = await scrape(metrics);
      expect(value(fams, 'kubestitch_drops_total', { reason: 'open-operations-full' })).toBe(3);
      expect(value(fams, 'kubestitch_drops_total', { reason: 'open-windows-full' })).toBe(2);
      synth.deletionOwnersForgotten = 4;
      fams = await scrape(metrics);
      expect(value(fams, 'kubestitch_drops_total', { reason: 'deletion-owners-full' })).toBe(4);
    });

    it('counts input refused at the boundary by source and reason', async () => {
      const metrics = new KubestitchMetrics();
      const seen = { watch: { 'too deep': 2 }, 'audit-webhook': { 'time out of range': 1 } };
      metrics.self.register({ rejected: () => seen });
      metrics.self.register({ rejected: () => ({ watch: { 'too deep': 1, 'not JSON': 4 } }) });
      const fams = await scrape(metrics);
      const rejected = (source: string, reason: string): number | undefined =>
        value(fams, 'kubestitch_input_rejected_total', { source, reason });
      expect(rejected('watch', 'too deep')).toBe(3);
      expect(rejected('watch', 'not JSON')).toBe(4);
      expect(rejected('audit-webhook', 'time out of range')).toBe(1);
      expect(rejected('audit-file', 'too deep')).toBeUndefined();
    });

    it('stops reading a registration once it is removed', async () => {
      const metrics = new KubestitchMetrics();
      const remove = metrics.self.register({ recordsIn: () => ({ otlp: 3 }) });
      expect(value(await scrape(metrics), 'kubestitch_records_in_total', { source: 'otlp' })).toBe(3);
      remove();
      expect(value(await scrape(metrics), 'kubestitch_records_in_total', { source: 'otlp' })).toBeUndefined();
    });

    it('skips a getter that throws, counts it, and still reports the others', async () => {
      const metrics = new KubestitchMetrics();
      metrics.self.register({
        recordsIn: () => {
          throw new Error('stats gone');
        },
      });
      metrics.self.register({ recordsIn: () => ({ events: 2 }) });
      const fams = await scrape(metrics);
      expect(value(fams, 'kubestitch_records_in_total', { source: 'events' })).toBe(2);
      expect(value(fams, 'kubestitch_metrics_collect_errors_total', { source: 'recordsIn' })).toBe(1);
    });

    it('shows each informer in exactly one state, with its last sync, restarts and relists', async () => {
      const metrics = new KubestitchMetrics();
      const informers: InformerStatus[] = [
        { name: 'pods', state: 'watching', lastSyncMs: 1_772_359_200_000, restarts: 2, relists: 1 },
        { name: 'deployments.apps', state: 'backoff', restarts: 5, relists: 0 },
      ];
      metrics.self.register({ informers: () => informers });
      const fams = await scrape(metrics);
      expect(value(fams, 'kubestitch_informer_state', { informer: 'pods', state: 'watching' })).toBe(1);
      expect(value(fams, 'kubestitch_informer_state', { informer: 'pods', state: 'syncing' })).toBe(0);
      expect(value(fams, 'kubestitch_informer_state', { informer: 'deployments.apps', state: 'backoff' })).toBe(1);
      expect(value(fams, 'kubestitch_informer_last_sync_timestamp_seconds', { informer: 'pods' })).toBe(1_772_359_200);
      expect(
        value(fams, 'kubestitch_informer_last_sync_timestamp_seconds', { informer: 'deployments.apps' }),
      ).toBeUndefined();
      expect(value(fams, 'kubestitch_informer_restarts_total', { informer: 'deployments.apps' })).toBe(5);
      expect(value(fams, 'kubestitch_informer_relists_total', { informer: 'pods' })).toBe(1);
    });

    it('reports stitch hits, misses and hold timeouts, forwarded spans and the spool', async () => {
      const metrics = new KubestitchMetrics();
      const stitch = emptyStats();
      stitch.spansIn = 40;
      stitch.matchedTraces['audit-id'] = 6;
      stitch.matchedTraces['pod-uid'] = 2;
      stitch.expiredSpans = 3;
      stitch.overflowSpans = 1;
      metrics.self.register(stitcherSources({ stats: stitch }));
      metrics.self.register(
        forwarderSources({
          stats: () => ({
            exportedSpans: 30,
            droppedSpans: { overflow: 3, 'too-large': 1, 'export-failed': 0, corrupt: 0 },
          }),
        }),
      );
      metrics.self.register(
        spoolSources({ stats: () => ({ spooledBytes: 4096, droppedSpans: { overflow: 7, 'too-large': 1 } }) }),
      );
      const fams = await scrape(metrics);
      expect(value(fams, 'kubestitch_stitch_spans_in_total')).toBe(40);
      expect(value(fams, 'kubestitch_stitch_hits_total', { rule: 'audit-id' })).toBe(6);
      expect(value(fams, 'kubestitch_stitch_hits_total', { rule: 'pod-uid' })).toBe(2);
      expect(value(fams, 'kubestitch_stitch_hold_timeouts_total')).toBe(3);
      expect(value(fams, 'kubestitch_stitch_misses_total', { reason: 'overflow' })).toBe(1);
      expect(value(fams, 'kubestitch_spans_out_total', { sink: 'otlp-forward' })).toBe(30);
      expect(value(fams, 'kubestitch_drops_total', { reason: 'otlp-forward-failed' })).toBe(4);
      expect(value(fams, 'kubestitch_spool_bytes')).toBe(4096);
      expect(value(fams, 'kubestitch_spool_dropped_spans_total')).toBe(8);
      expect(value(fams, 'kubestitch_drops_total', { reason: 'spool-overflow' })).toBe(7);
    });
  });

  describe('inc and observeLag', () => {
    it('count events without a stats object on top of the getters', async () => {
      const metrics = new KubestitchMetrics();
      metrics.self.register({ drops: () => ({ 'audit-malformed': 2 }) });
      metrics.self.inc('drops', { reason: 'audit-malformed' });
      metrics.self.inc('informer_restarts', { informer: 'pods' }, 3);
      metrics.self.inc('spool_dropped_spans', {}, 2);
      metrics.self.inc('drops', { reason: 'bad' }, -5);
      metrics.self.observeLag('watch', 0.4);
      metrics.self.observeLag('watch', -3);
      const fams = await scrape(metrics);
      expect(value(fams, 'kubestitch_drops_total', { reason: 'audit-malformed' })).toBe(3);
      expect(value(fams, 'kubestitch_drops_total', { reason: 'bad' })).toBeUndefined();
      expect(value(fams, 'kubestitch_informer_restarts_total', { informer: 'pods' })).toBe(3);
      expect(value(fams, 'kubestitch_spool_dropped_spans_total')).toBe(2);
      expect(value(fams, 'kubestitch_record_lag_seconds_count', { source: 'watch' })).toBe(2);
      expect(value(fams, 'kubestitch_lag_seconds', { source: 'watch' })).toBe(0);
    });
  });
});

class ScriptedSink implements SpanSink {
  constructor(readonly answers: (ExportResult | 'reject')[]) {}
  write(): Promise<ExportResult> {
    const next = this.answers.shift() ?? { status: 'ok' };
    return next === 'reject' ? Promise.reject(new Error('broken sink')) : Promise.resolve(next);
  }
  flush(): Promise<void> {
    return Promise.resolve();
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

describe('MetricsSink', () => {
  describe('write', () => {
    it('observes a batch only once the inner sink accepted it', async () => {
      const metrics = new KubestitchMetrics();
      const inner = new ScriptedSink([
        { status: 'retryable', afterMs: 10, error: new Error('busy') },
        { status: 'ok' },
      ]);
      const sink = new MetricsSink(inner, metrics, { sinkName: 'otlp', counters: metrics.self });
      expect((await sink.write([startup])).status).toBe('retryable');
      let fams = await scrape(metrics);
      expect(
        value(fams, 'kubestitch_pod_startups_total', {
          namespace: 'shop',
          owner_kind: 'Deployment',
          owner: 'other',
          node: 'node-1',
          outcome: 'ok',
        }),
      ).toBeUndefined();
      expect(value(fams, 'kubestitch_export_failures_total', { sink: 'otlp', status: 'retryable' })).toBe(1);
      expect((await sink.write([startup])).status).toBe('ok');
      fams = await scrape(metrics);
      const labels = { namespace: 'shop', owner_kind: 'Deployment', owner: 'other', node: 'node-1', outcome: 'ok' };
      expect(value(fams, 'kubestitch_pod_startups_total', labels)).toBe(1);
      expect(value(fams, 'kubestitch_pod_startup_duration_seconds_sum', labels)).toBe(8.5);
      expect(value(fams, 'kubestitch_spans_out_total', { sink: 'otlp' })).toBe(1);
    });

    it('answers failed, without observing, when the inner sink rejects', async () => {
      const metrics = new KubestitchMetrics();
      const sink = new MetricsSink(new ScriptedSink(['reject']), metrics, { counters: metrics.self });
      const result = await sink.write([startup]);
      expect(result.status).toBe('failed');
      const fams = await scrape(metrics);
      expect(value(fams, 'kubestitch_export_failures_total', { sink: 'export', status: 'failed' })).toBe(1);
      expect(value(fams, 'kubestitch_metrics_spans_total', { result: 'operation' })).toBeUndefined();
    });

    it('passes batches through to the inner sink unchanged', async () => {
      const capture = new CaptureSink();
      const sink = new MetricsSink(capture, new KubestitchMetrics());
      await sink.write([startup]);
      await sink.shutdown();
      expect(capture.spans).toEqual([startup]);
      expect(capture.isShutdown).toBe(true);
    });
  });
});

describe('KubestitchMetrics', () => {
  describe('observeSpans', () => {
    it('skips spans it cannot use, counting them, and never throws', async () => {
      const metrics = new KubestitchMetrics();
      const broken = [
        { ...startup, endMs: Number.NaN },
        { ...startup, endMs: startup.startMs - 5 },
        { ...startup, attributes: null } as unknown as SpanData,
        { ...startup, attributes: { ...startup.attributes, 'kubestitch.operation': 42 } },
        { ...startup, attributes: { ...startup.attributes, 'kubestitch.outcome': 'made-up' } },
      ];
      expect(() => metrics.observeSpans(broken)).not.toThrow();
      const fams = await scrape(metrics);
      expect(value(fams, 'kubestitch_metrics_spans_total', { result: 'ignored' })).toBe(3);
      expect(value(fams, 'kubestitch_metrics_spans_total', { result: 'error' })).toBe(1);
      expect(value(fams, 'kubestitch_metrics_spans_total', { result: 'operation' })).toBe(1);
      const labels = { namespace: 'shop', owner_kind: 'Deployment', owner: 'other', node: 'node-1', outcome: 'other' };
      expect(value(fams, 'kubestitch_pod_startups_total', labels)).toBe(1);
    });
  });
});
