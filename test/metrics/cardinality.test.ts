import { describe, expect, it } from 'vitest';
import { KubestitchMetrics } from '../../src/metrics/kubestitch-metrics.js';
import { LabelGuard, compileGlobs } from '../../src/metrics/label-guard.js';
import type { SpanData } from '../../src/model/span.js';
import { type ParsedFamily, parseExposition } from './reference-parser.js';

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, '0');
}

/** A finished Deployment rollout span as synth emits it, and a pod startup of that Deployment. */
function deploymentSpans(i: number, namespace: string, name: string, node: string): SpanData[] {
  const common = {
    traceId: hex(i + 1, 32),
    kind: 'internal' as const,
    events: [],
    links: [],
    status: { code: 'ok' as const },
  };
  const rollout: SpanData = {
    ...common,
    spanId: hex(2 * i + 1, 16),
    name: 'Deployment rollout',
    startMs: 1_000_000,
    endMs: 1_000_000 + 30_000 + (i % 100),
    resource: { attributes: { 'service.name': 'kube-controller-manager' } },
    attributes: {
      'kubestitch.operation': 'deployment.rollout',
      'kubestitch.outcome': 'ok',
      'k8s.namespace.name': namespace,
      'k8s.deployment.name': name,
    },
  };
  const startup: SpanData = {
    ...common,
    spanId: hex(2 * i + 2, 16),
    parentSpanId: rollout.spanId,
    name: 'pod startup',
    startMs: 1_000_000,
    endMs: 1_005_000,
    resource: { attributes: { 'service.name': 'kubelet', 'k8s.node.name': node } },
    attributes: {
      'kubestitch.operation': 'pod.startup',
      'kubestitch.outcome': 'ok',
      'k8s.namespace.name': namespace,
      'k8s.deployment.name': name,
      'k8s.replicaset.name': `${name}-7c94cc59d`,
      'k8s.pod.name': `${name}-7c94cc59d-abcde`,
      'k8s.node.name': node,
    },
  };
  return [startup, rollout];
}

async function families(metrics: KubestitchMetrics): Promise<ParsedFamily[]> {
  return parseExposition((await metrics.render('application/openmetrics-text')).body, 'openmetrics');
}

function labelValues(fams: readonly ParsedFamily[], family: string, label: string): Set<string> {
  const f = fams.find((x) => x.name === family);
  return new Set((f?.samples ?? []).map((s) => s.labels[label] ?? ''));
}

function folds(fams: readonly ParsedFamily[], label: string, reason: string): number {
  const f = fams.find((x) => x.name === 'kubestitch_metrics_label_folds');
  return f?.samples.find((s) => s.labels['label'] === label && s.labels['reason'] === reason)?.value ?? 0;
}

const DEPLOYMENTS = 10_000;

describe('label cardinality', () => {
  it('folds 10,000 Deployments into one owner value by default', async () => {
    const metrics = new KubestitchMetrics();
    for (let i = 0; i < DEPLOYMENTS; i++) metrics.observeSpans(deploymentSpans(i, 'shop', `web-${i}`, 'node-1'));
    const fams = await families(metrics);
    expect(labelValues(fams, 'kubestitch_rollout_duration_seconds', 'owner')).toEqual(new Set(['other']));
    expect(labelValues(fams, 'kubestitch_pod_startup_duration_seconds', 'owner')).toEqual(new Set(['other']));
    // Everything is still counted, just under the folded value.
    const count = fams
      .find((f) => f.name === 'kubestitch_rollout_duration_seconds')
      ?.samples.filter((s) => s.name.endsWith('_count'))
      .reduce((a, s) => a + s.value, 0);
    expect(count).toBe(DEPLOYMENTS);
    expect(folds(fams, 'owner', 'not-allowed')).toBe(2 * DEPLOYMENTS);
  });

  it('shows allow-listed owners and caps a glob that matches 10,000 of them', async () => {
    const metrics = new KubestitchMetrics({
      cardinality: { ownerAllow: ['shop/web', 'payments/*'], maxValuesPerLabel: 50 },
    });
    metrics.observeSpans(deploymentSpans(DEPLOYMENTS, 'shop', 'web', 'node-1'));
    metrics.observeSpans(deploymentSpans(DEPLOYMENTS + 1, 'shop', 'cart', 'node-1'));
    for (let i = 0; i < DEPLOYMENTS; i++) metrics.observeSpans(deploymentSpans(i, 'payments', `api-${i}`, 'node-1'));
    const fams = await families(metrics);
    const owners = labelValues(fams, 'kubestitch_rollout_duration_seconds', 'owner');
    expect(owners).toContain('web');
    expect(owners).toContain('other');
    expect(owners).not.toContain('cart');
    // At most the cap (web counts against it) plus the fold value.
    expect(owners.size).toBeLessThanOrEqual(50 + 1);
    expect(folds(fams, 'owner', 'cap')).toBeGreaterThan(0);
    const values = fams.find((f) => f.name === 'kubestitch_metrics_label_values');
    expect(values?.samples.find((s) => s.labels['label'] === 'owner')?.value).toBe(50);
  });

  it('caps namespaces and nodes too', async () => {
    const metrics = new KubestitchMetrics({ cardinality: { maxValuesPerLabel: 20 } });
    for (let i = 0; i < 2_000; i++) metrics.observeSpans(deploymentSpans(i, `team-${i}`, 'web', `node-${i}`));
    const fams = await families(metrics);
    expect(labelValues(fams, 'kubestitch_rollout_duration_seconds', 'namespace').size).toBe(21);
    expect(labelValues(fams, 'kubestitch_pod_startup_duration_seconds', 'node').size).toBeLessThanOrEqual(21);
  });

  it('bounds label sets per metric when several capped labels multiply', async () => {
    const metrics = new KubestitchMetrics({
      cardinality: { ownerAllow: ['*'], maxValuesPerLabel: 1_000, maxSeriesPerMetric: 300 },
    });
    for (let i = 0; i < 3_000; i++) {
      metrics.observeSpans(deploymentSpans(i, `ns-${i % 40}`, `web-${i % 500}`, `node-${i % 37}`));
    }
    const fams = await families(metrics);
    const series = fams
      .find((f) => f.name === 'kubestitch_pod_startup_duration_seconds')
      ?.samples.filter((s) => s.name.endsWith('_count'));
    expect(series?.length ?? 0).toBeLessThanOrEqual(301);
    expect(series?.reduce((a, s) => a + s.value, 0)).toBe(3_000);
    expect(folds(fams, 'series', 'cap')).toBeGreaterThan(0);
  });

  it('gives every Deployment its own value only when configured to', async () => {
    const metrics = new KubestitchMetrics({
      cardinality: { ownerAllow: ['*'], maxValuesPerLabel: 20_000, maxSeriesPerMetric: 20_000 },
    });
    for (let i = 0; i < DEPLOYMENTS; i++) metrics.observeSpans(deploymentSpans(i, 'shop', `web-${i}`, 'node-1'));
    // 10,000 histograms make ~20 MB of exposition; the reference parser needs minutes for that, so
    // this one reads the owner values of the counter lines directly.
    const text = (await metrics.render()).body;
    const owners = new Set([...text.matchAll(/^kubestitch_rollouts_total\{[^}]*owner="([^"]*)"/gm)].map((m) => m[1]));
    expect(owners.size).toBe(DEPLOYMENTS);
  });
});

describe('LabelGuard', () => {
  describe('admit', () => {
    it('passes allowed values up to the cap, folds the rest, and keeps admitting known ones', () => {
      const folded: string[] = [];
      const g = new LabelGuard({ label: 'x', allow: ['a*'], maxValues: 2, onFold: (l, r) => folded.push(`${l}:${r}`) });
      expect(g.admit('a1')).toBe('a1');
      expect(g.admit('b1')).toBe('other');
      expect(g.admit('a2')).toBe('a2');
      expect(g.admit('a3')).toBe('other');
      expect(g.admit('a1')).toBe('a1');
      expect(folded).toEqual(['x:not-allowed', 'x:cap']);
      expect(g.admittedCount).toBe(2);
    });
  });
});

describe('compileGlobs', () => {
  it('treats * and ? as wildcards and everything else literally', () => {
    const re = compileGlobs(['payments/*', 'shop/we?', 'a.b/(c)']);
    expect(re.test('payments/api')).toBe(true);
    expect(re.test('payments/')).toBe(true);
    expect(re.test('shop/web')).toBe(true);
    expect(re.test('shop/webs')).toBe(false);
    expect(re.test('a.b/(c)')).toBe(true);
    expect(re.test('axb/(c)')).toBe(false);
    expect(compileGlobs([]).test('anything')).toBe(false);
  });
});
