import { beforeAll, describe, expect, it } from 'vitest';
import type { SpanData } from '../../src/model/span.js';
import { emptyStats } from '../../src/stitch/stitch-types.js';
import { groupingLabels, loadDashboard, selectors, variablesIn } from './dashboard-check.js';
import { type ParsedFamily, parseExposition } from './reference-parser.js';
import { type ReplayedScenarios, replayAllScenarios } from './replay-support.js';

// The test's own reading of the trace model (DESIGN §3.2), written independently of src/metrics:
// which spans each histogram measures and which labels they get.
const OWNER_ATTRS: readonly (readonly [string, string])[] = [
  ['Deployment', 'k8s.deployment.name'],
  ['StatefulSet', 'k8s.statefulset.name'],
  ['DaemonSet', 'k8s.daemonset.name'],
  ['CronJob', 'k8s.cronjob.name'],
  ['Job', 'k8s.job.name'],
  ['ReplicaSet', 'k8s.replicaset.name'],
];

type Labels = Record<string, string>;
interface Agg {
  count: number;
  sum: number;
}

const s = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

function ownerLabels(span: SpanData): Labels {
  const a = span.attributes;
  const [kind, key] = OWNER_ATTRS.find(([, k]) => s(a[k]) !== undefined) ?? ['none', ''];
  return {
    namespace: s(a['k8s.namespace.name']) ?? 'none',
    owner_kind: kind,
    owner: kind === 'none' ? 'none' : String(a[key]),
    outcome: String(a['kubestitch.outcome']),
  };
}

function podLabels(span: SpanData): Labels {
  const node = s(span.attributes['k8s.node.name']) ?? s(span.resource.attributes['k8s.node.name']) ?? 'none';
  return { ...ownerLabels(span), node };
}

const key = (labels: Labels): string =>
  JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

/** metric → label set → count/sum, computed from the spans of the trace output. */
function expectedHistograms(r: ReplayedScenarios): Map<string, Map<string, Agg>> {
  const out = new Map<string, Map<string, Agg>>();
  const add = (metric: string, labels: Labels, span: SpanData): void => {
    const m = out.get(metric) ?? new Map<string, Agg>();
    out.set(metric, m);
    const k = key(labels);
    const agg = m.get(k) ?? { count: 0, sum: 0 };
    agg.count += 1;
    agg.sum += (span.endMs - span.startMs) / 1000;
    m.set(k, agg);
  };
  for (const spans of r.byScenario.values()) {
    const byId = new Map(spans.map((sp) => [`${sp.traceId}/${sp.spanId}`, sp]));
    for (const span of spans) {
      const op = span.attributes['kubestitch.operation'];
      if (op === 'pod.startup') add('kubestitch_pod_startup_duration_seconds', podLabels(span), span);
      else if (op === 'pod.termination') add('kubestitch_pod_termination_duration_seconds', podLabels(span), span);
      else if (op === 'deployment.rollout' || op === 'statefulset.rollout' || op === 'daemonset.rollout')
        add('kubestitch_rollout_duration_seconds', ownerLabels(span), span);
      else if (op === 'job.run') add('kubestitch_job_duration_seconds', ownerLabels(span), span);
      else if (op === 'replicaset.scale') {
        const direction = span.name.endsWith(' down') ? 'down' : 'up';
        add('kubestitch_replicaset_scale_duration_seconds', { ...ownerLabels(span), direction }, span);
      } else if (op === 'pod.phase') {
        const startup = byId.get(`${span.traceId}/${span.parentSpanId ?? ''}`);
        if (startup === undefined) throw new Error(`phase ${span.name} without its pod startup in the output`);
        const phase = span.name.split(' ')[0] ?? '';
        const labels = { ...podLabels(startup), outcome: String(span.attributes['kubestitch.outcome']), phase };
        add('kubestitch_pod_startup_phase_duration_seconds', labels, span);
      }
    }
  }
  return out;
}

function actualHistograms(families: readonly ParsedFamily[]): Map<string, Map<string, Agg>> {
  const out = new Map<string, Map<string, Agg>>();
  for (const f of families) {
    if (f.type !== 'histogram') continue;
    const m = new Map<string, Agg>();
    for (const sample of f.samples) {
      const agg = m.get(key(sample.labels)) ?? { count: 0, sum: 0 };
      if (sample.name === `${f.name}_count`) agg.count = sample.value;
      else if (sample.name === `${f.name}_sum`) agg.sum = sample.value;
      else continue;
      m.set(key(sample.labels), agg);
    }
    out.set(f.name, m);
  }
  return out;
}

function counterValues(families: readonly ParsedFamily[], name: string): Map<string, number> {
  const f = families.find((x) => x.name === name);
  return new Map((f?.samples ?? []).filter((x) => x.name === `${name}_total`).map((x) => [key(x.labels), x.value]));
}

/** Span durations in the OTLP/JSON output by `traceId/spanId` (ids may repeat across scenarios). */
function exportedDurations(lines: readonly string[]): Map<string, number[]> {
  interface J {
    resourceSpans: {
      scopeSpans: {
        spans: { traceId: string; spanId: string; startTimeUnixNano: string; endTimeUnixNano: string }[];
      }[];
    }[];
  }
  const out = new Map<string, number[]>();
  for (const line of lines) {
    for (const rs of (JSON.parse(line) as J).resourceSpans)
      for (const ss of rs.scopeSpans)
        for (const sp of ss.spans) {
          const d = Number(BigInt(sp.endTimeUnixNano) - BigInt(sp.startTimeUnixNano)) / 1e9;
          const k = `${sp.traceId}/${sp.spanId}`;
          out.set(k, [...(out.get(k) ?? []), d]);
        }
  }
  return out;
}

describe('metrics from a replayed simulator scenario', () => {
  let replayed: ReplayedScenarios;
  let om: ParsedFamily[];
  let omText: string;
  let promText: string;

  beforeAll(async () => {
    // Every owner allowed and generous caps, so labels carry the raw values the test derives.
    replayed = await replayAllScenarios({
      cardinality: { ownerAllow: ['*'], maxValuesPerLabel: 10_000, maxSeriesPerMetric: 100_000 },
    });
    omText = (await replayed.metrics.render('application/openmetrics-text; version=1.0.0')).body;
    promText = (await replayed.metrics.render('text/plain')).body;
    om = parseExposition(omText, 'openmetrics');
  });

  describe('operation histograms', () => {
    it('have _count and _sum per label set equal to the count and summed duration of the matching spans', () => {
      const expected = expectedHistograms(replayed);
      const actual = actualHistograms(om);
      for (const [metric, want] of expected) {
        const got = actual.get(metric);
        expect(got, metric).toBeDefined();
        expect([...(got ?? new Map()).keys()].sort(), metric).toEqual([...want.keys()].sort());
        for (const [labels, agg] of want) {
          const g = got?.get(labels);
          expect(g?.count, `${metric} ${labels}`).toBe(agg.count);
          expect(g?.sum ?? NaN, `${metric} ${labels}`).toBeCloseTo(agg.sum, 6);
        }
      }
    });

    it('cover every operation kind, successes and failures', () => {
      const expected = expectedHistograms(replayed);
      for (const metric of [
        'kubestitch_pod_startup_duration_seconds',
        'kubestitch_pod_startup_phase_duration_seconds',
        'kubestitch_pod_termination_duration_seconds',
        'kubestitch_rollout_duration_seconds',
        'kubestitch_replicaset_scale_duration_seconds',
        'kubestitch_job_duration_seconds',
      ]) {
        expect(expected.get(metric)?.size ?? 0, metric).toBeGreaterThan(0);
      }
      const outcomes = (metric: string): Set<string> =>
        new Set(
          [...(expected.get(metric)?.keys() ?? [])].map(
            (k) => (Object.fromEntries(JSON.parse(k) as [string, string][]) as Labels)['outcome'] ?? '',
          ),
        );
      expect(outcomes('kubestitch_pod_startup_duration_seconds')).toContain('ok');
      expect([...outcomes('kubestitch_pod_startup_duration_seconds')].some((o) => o !== 'ok')).toBe(true);
      expect(outcomes('kubestitch_job_duration_seconds')).toContain('completed');
      expect(outcomes('kubestitch_rollout_duration_seconds')).toContain('ok');
      // A failed image pull fails its phase, and the pod, backing off past a minute, is stuck.
      expect(outcomes('kubestitch_pod_startup_phase_duration_seconds')).toContain('failed');
      expect(outcomes('kubestitch_pod_startup_duration_seconds')).toContain('image-pull-backoff');
      const phases = new Set(
        [...(expected.get('kubestitch_pod_startup_phase_duration_seconds')?.keys() ?? [])].map(
          (k) => (Object.fromEntries(JSON.parse(k) as [string, string][]) as Labels)['phase'],
        ),
      );
      for (const p of ['schedule', 'pull', 'start', 'readiness']) expect(phases).toContain(p);
    });

    it('count pod startups, rollouts and Jobs by outcome, matching the histogram counts', () => {
      const hist = actualHistograms(om);
      const pairs: [string, string][] = [
        ['kubestitch_pod_startups', 'kubestitch_pod_startup_duration_seconds'],
        ['kubestitch_rollouts', 'kubestitch_rollout_duration_seconds'],
        ['kubestitch_jobs', 'kubestitch_job_duration_seconds'],
      ];
      for (const [counter, histogram] of pairs) {
        const counts = counterValues(om, counter);
        const h = hist.get(histogram) ?? new Map<string, Agg>();
        expect(counts.size, counter).toBe(h.size);
        for (const [labels, agg] of h) expect(counts.get(labels), `${counter} ${labels}`).toBe(agg.count);
      }
    });
  });

  describe('exemplars', () => {
    it('name a trace and span of the output whose duration is the exemplar value', () => {
      const exported = exportedDurations(replayed.otlpLines);
      const traceIds = new Set([...exported.keys()].map((k) => k.split('/')[0]));
      let exemplars = 0;
      for (const f of om) {
        for (const sample of f.samples) {
          const ex = sample.exemplar;
          if (ex === null) continue;
          exemplars++;
          expect(sample.name, 'exemplars only on buckets').toBe(`${f.name}_bucket`);
          const traceId = ex.labels['trace_id'] ?? '';
          expect(traceId).toMatch(/^[0-9a-f]{32}$/);
          expect(traceIds.has(traceId), `exemplar trace ${traceId} of ${f.name}`).toBe(true);
          const durations = exported.get(`${traceId}/${ex.labels['span_id'] ?? ''}`) ?? [];
          expect(
            durations.some((d) => Math.abs(d - ex.value) < 1e-6),
            `${f.name} exemplar value ${ex.value} vs span durations ${durations.join(',')}`,
          ).toBe(true);
          const le = sample.labels['le'] ?? '';
          expect(ex.value).toBeLessThanOrEqual(le === '+Inf' ? Infinity : Number(le));
        }
      }
      expect(exemplars).toBeGreaterThan(50);
    });

    it('are absent from the Prometheus text format, which parses with the reference parser', () => {
      expect(promText).not.toContain('trace_id');
      expect(promText).not.toContain('# EOF');
      const families = parseExposition(promText, 'prometheus');
      const fromProm = actualHistograms(families);
      expect(fromProm).toEqual(actualHistograms(om));
      expect(omText.endsWith('# EOF\n')).toBe(true);
    });
  });

  describe('apiserver golden signals', () => {
    it('count every audited request once, by verb and resource, with its latency', () => {
      const want = new Map<string, Agg>();
      for (const span of replayed.spans) {
        const verb = span.attributes['kubestitch.audit.verb'];
        if (typeof verb !== 'string') continue;
        const sub = s(span.attributes['kubestitch.object.subresource']);
        const res = String(span.attributes['kubestitch.object.resource']);
        const k = `${verb} ${sub === undefined ? res : `${res}/${sub}`}`;
        const agg = want.get(k) ?? { count: 0, sum: 0 };
        agg.count++;
        agg.sum += (span.endMs - span.startMs) / 1000;
        want.set(k, agg);
      }
      expect(want.size).toBeGreaterThan(5);
      const got = new Map<string, Agg>();
      const hist = om.find((f) => f.name === 'kubestitch_apiserver_request_duration_seconds');
      for (const sample of hist?.samples ?? []) {
        const k = `${sample.labels['verb']} ${sample.labels['resource']}`;
        expect(sample.labels['source']).toBe('audit');
        const agg = got.get(k) ?? { count: 0, sum: 0 };
        if (sample.name.endsWith('_count')) agg.count += sample.value;
        else if (sample.name.endsWith('_sum')) agg.sum += sample.value;
        got.set(k, agg);
      }
      expect([...got.keys()].sort()).toEqual([...want.keys()].sort());
      for (const [k, agg] of want) {
        expect(got.get(k)?.count, k).toBe(agg.count);
        expect(got.get(k)?.sum ?? NaN, k).toBeCloseTo(agg.sum, 6);
      }
      const requests = counterValues(om, 'kubestitch_apiserver_requests');
      const total = [...requests.values()].reduce((a, b) => a + b, 0);
      expect(total).toBe([...want.values()].reduce((a, b) => a + b.count, 0));
    });

    it('label actors as categories, never user names', () => {
      const requests = om.find((f) => f.name === 'kubestitch_apiserver_requests');
      const actors = new Set((requests?.samples ?? []).map((x) => `${x.labels['actor_type']}:${x.labels['actor']}`));
      expect(actors).toContain('controller:replicaset-controller');
      expect(actors).toContain('scheduler:kube-scheduler');
      expect(actors).toContain('kubelet:kubelet');
      for (const a of actors) expect(a).not.toMatch(/system:|@/);
      const codeClasses = new Set((requests?.samples ?? []).map((x) => x.labels['code_class']));
      for (const c of codeClasses) expect(c).toMatch(/^([1-5]xx|unknown)$/);
    });
  });

  describe('self-metrics', () => {
    it('count the spans the sink accepted and every span seen', () => {
      const out = counterValues(om, 'kubestitch_spans_out');
      expect(out.get(key({ sink: 'capture' }))).toBe(replayed.spans.length);
      const seen = counterValues(om, 'kubestitch_metrics_spans');
      expect([...seen.values()].reduce((a, b) => a + b, 0)).toBe(replayed.spans.length);
      expect(seen.get(key({ result: 'error' }))).toBeUndefined();
    });
  });

  describe('Grafana dashboard', () => {
    it('queries only metrics and labels the exposition has, with exemplars on every histogram', async () => {
      const dash = await loadDashboard();
      expect(dash.schemaVersion).toBeGreaterThanOrEqual(36);
      // Give the self-metrics that only appear once something is wired a sample of each.
      replayed.metrics.self.register({
        informers: () => [{ name: 'pods', state: 'watching', lastSyncMs: 1, restarts: 0, relists: 0 }],
        spool: () => ({ bytes: 0, droppedSpans: 0 }),
        stitch: () => emptyStats(),
        drops: () => ({ 'audit-malformed': 0 }),
        recordsIn: () => ({ watch: 0 }),
        lagSeconds: () => ({ pipeline: 0 }),
      });
      replayed.metrics.self.observeLag('audit', 0.1);
      replayed.metrics.self.exportFailed('capture', 'retryable');
      const families = parseExposition((await replayed.metrics.render()).body, 'prometheus');
      // Sample name → label names seen on it.
      const labelsOf = new Map<string, Set<string>>();
      for (const f of families) {
        for (const sample of f.samples) {
          const set = labelsOf.get(sample.name) ?? new Set<string>();
          for (const l of Object.keys(sample.labels)) set.add(l);
          labelsOf.set(sample.name, set);
        }
      }
      // Every sample name a family declares, samples or not (counter: _total; histogram: _bucket…).
      const suffixes: Record<string, string[]> = { counter: ['_total'], histogram: ['_bucket', '_sum', '_count'] };
      const declared = new Set(families.flatMap((f) => (suffixes[f.type] ?? ['']).map((x) => `${f.name}${x}`)));
      expect(declared.size).toBeGreaterThan(40);
      // Histograms of spans carry exemplars (the self-metric lag histogram has no trace to point at).
      const withExemplars = new Set(
        om.filter((f) => f.samples.some((x) => x.exemplar !== null)).map((f) => `${f.name}_bucket`),
      );
      expect(withExemplars.size).toBe(7);
      const defined = new Set([
        ...dash.variables.map((v) => v.name),
        '__rate_interval',
        '__range',
        '__data',
        '__url_json_encode',
      ]);
      let targets = 0;
      for (const panel of dash.panels) {
        expect(panel.datasourceUid, panel.title).toBe('${datasource}');
        for (const t of panel.targets) {
          targets++;
          expect(t.datasourceUid, panel.title).toBe('${datasource}');
          const refs = selectors(t.expr);
          expect(refs.length, t.expr).toBeGreaterThan(0);
          for (const ref of refs) {
            expect(declared, `${panel.title}: ${ref.metric} is not in the exposition`).toContain(ref.metric);
            // Labels are checked wherever the replay produced samples (folds need a fold first).
            const labels = labelsOf.get(ref.metric);
            if (labels === undefined) continue;
            for (const l of ref.labels) expect(labels?.has(l), `${ref.metric} has no label ${l}`).toBe(true);
            for (const l of groupingLabels(t.expr)) {
              if (refs.length === 1) expect(labels?.has(l), `${ref.metric} has no label ${l} to group by`).toBe(true);
            }
          }
          if (refs.some((r) => withExemplars.has(r.metric))) {
            expect(t.exemplar, `${panel.title} shows no exemplars`).toBe(true);
          }
          for (const v of variablesIn(t.expr)) expect(defined, `${panel.title} uses $${v}`).toContain(v);
        }
        if (panel.targets.some((t) => t.exemplar)) {
          const url = panel.links[0]?.url ?? '';
          expect(url, `${panel.title} has no trace link`).toContain('${tracing}');
          expect(url).toContain('${__data.fields.trace_id}');
        }
      }
      expect(targets).toBeGreaterThan(20);
      const vars = new Map(dash.variables.map((v) => [v.name, v]));
      expect(vars.get('datasource')).toMatchObject({ type: 'datasource', query: 'prometheus' });
      expect(vars.get('tracing')).toMatchObject({ type: 'datasource' });
      expect(vars.get('namespace')?.type).toBe('query');
      expect(vars.get('owner')?.type).toBe('query');
    });
  });
});
