import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { CHART_DIR, helm, parseManifests } from './helm.js';

type Json = Record<string, unknown>;

describe('values.schema.json', () => {
  it.each([
    [['--set', 'replicaCont=2'], "additional properties 'replicaCont' not allowed"],
    [['--set', 'auditWebhook.tls.mdoe=selfSigned'], "additional properties 'mdoe' not allowed"],
    [['--set', 'replicaCount=two'], 'want integer'],
    [['--set', 'auditWebhook.tls.mode=letsencrypt'], 'auditWebhook/tls/mode'],
    [['--set', 'persistence.enabled=yes-please'], 'want boolean'],
    [['--set', 'export.otlpEndpoint=tempo:4317'], 'export/otlpEndpoint'],
  ])('rejects %j in helm template and helm lint', (args, message) => {
    const t = helm(['template', 'ks', '.', ...args]);
    expect(t.status).not.toBe(0);
    expect(t.stderr).toContain(message);
    const l = helm(['lint', '--strict', '.', ...args]);
    expect(l.status).not.toBe(0);
  });

  it('documents every key of values.yaml with a comment', () => {
    const text = helm(['show', 'values', '.']).stdout;
    const lines = text.split('\n');
    const undocumented = lines.flatMap((line, i) => {
      if (!/^\s*[A-Za-z][\w-]*:/.test(line)) return [];
      const prev = lines[i - 1] ?? '';
      // A key is documented by a comment right above it, or opens a block whose first line is one.
      const next = lines[i + 1] ?? '';
      return /^\s*#/.test(prev) || (/:\s*$/.test(line) && /^\s*#/.test(next)) ? [] : [line.trim()];
    });
    expect(undocumented).toEqual([]);
  });
});

describe('NOTES.txt', () => {
  // `helm install --dry-run` cannot fake the cluster version, so a copy of the chart renders
  // NOTES.txt through a probe template with `helm template --kube-version`.
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'kubestitch-notes-'));
    cpSync(CHART_DIR, dir, { recursive: true });
    writeFileSync(
      join(dir, 'templates', 'notes-probe.yaml'),
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: notes-probe\ndata:\n  notes: {{ include "kubestitch/templates/NOTES.txt" . | toJson }}\n',
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function notes(args: readonly string[]): string {
    const r = helm(['template', 'ks', '.', '--namespace', 'kubestitch', '--show-only', 'templates/notes-probe.yaml', ...args], dir); // prettier-ignore
    if (r.status !== 0) throw new Error(r.stderr);
    const [cm] = parseManifests(r.stdout);
    return String((cm?.['data'] as Json)['notes']);
  }

  it('prints a parseable audit webhook kubeconfig pointing at the Service with its CA and token', () => {
    const text = notes(['--set', 'service.clusterIP=10.96.0.50']);
    const block = text.slice(text.indexOf('apiVersion: v1\nkind: Config'), text.indexOf('current-context: default'));
    const kubeconfig = parseYaml(`${block}current-context: default\n`) as Json;
    expect(kubeconfig['clusters']).toEqual([
      {
        name: 'kubestitch',
        cluster: { server: 'https://10.96.0.50:8443/audit', 'certificate-authority': '/etc/kubernetes/audit/kubestitch-ca.crt' }, // prettier-ignore
      },
    ]);
    expect(kubeconfig['users']).toEqual([{ name: 'kube-apiserver', user: { tokenFile: '/etc/kubernetes/audit/kubestitch-token' } }]); // prettier-ignore
    for (const flag of ['--audit-webhook-config-file=', '--audit-webhook-batch-max-wait=', '--audit-policy-file=']) {
      expect(text).toContain(flag);
    }
    expect(text).toContain("get secret ks-kubestitch-tls -o jsonpath='{.data.ca\\.crt}'");
  });

  it('prints the TracingConfiguration version the cluster understands, pointing at OTLP/gRPC 4317', () => {
    const newer = notes(['--set', 'service.clusterIP=10.96.0.50', '--kube-version', '1.34.0']);
    expect(newer).toContain('apiVersion: apiserver.config.k8s.io/v1 ');
    const older = notes(['--set', 'service.clusterIP=10.96.0.50', '--kube-version', '1.30.0']);
    expect(older).toContain('apiVersion: apiserver.config.k8s.io/v1beta1 ');
    const tracing = newer.slice(newer.indexOf('apiVersion: apiserver.config.k8s.io'));
    const doc = parseAllDocuments(tracing.slice(0, tracing.indexOf('\n\n')))[0]?.toJS() as Json;
    expect(doc).toMatchObject({ kind: 'TracingConfiguration', endpoint: '10.96.0.50:4317' });
    expect(newer).toMatch(/tracing:\n {2}endpoint: 10\.96\.0\.50:4317\n {2}samplingRatePerMillion: \d+/);
  });

  it('with leader election, shows the leader instead of a rollout status that never finishes', () => {
    const ha = notes(['--set', 'replicaCount=2']);
    expect(ha).not.toMatch(/kubectl -n \S+ rollout status/);
    expect(ha).toContain("kubectl -n kubestitch get lease ks-kubestitch -o jsonpath='{.spec.holderIdentity}");
    expect(ha).not.toContain('updateStrategy OnDelete'); // a Deployment rolls by itself
    const sts = notes(['--set', 'replicaCount=2', '--set', 'persistence.enabled=true']);
    expect(sts).toContain('updateStrategy OnDelete');
    expect(notes([])).toContain('kubectl -n kubestitch rollout status deployment/ks-kubestitch');
  });

  it('points at the pod-local viewer when traces stay in the embedded store without a viewer Service', () => {
    const text = notes(['--set', 'viewer.enabled=false']);
    expect(text).toContain('kubectl -n kubestitch port-forward deployment/ks-kubestitch 16686:16686');
    expect(notes(['--set', 'viewer.enabled=false', '--set', 'export.otlpEndpoint=http://tempo:4317'])).not.toContain('16686'); // prettier-ignore
  });

  it('warns that host-network components cannot resolve the DNS name without a fixed ClusterIP', () => {
    expect(notes([])).toContain('service.clusterIP is not set');
    expect(notes(['--set', 'service.clusterIP=10.96.0.50'])).not.toContain('service.clusterIP is not set');
  });
});

describe('Grafana dashboard ConfigMap', () => {
  it('ships every dashboards/*.json, labelled for the Grafana sidecar, only when enabled', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kubestitch-chart-'));
    try {
      cpSync(CHART_DIR, dir, { recursive: true });
      mkdirSync(join(dir, 'dashboards'), { recursive: true });
      writeFileSync(join(dir, 'dashboards', 'probe.json'), '{"title": "probe"}\n');
      const render = (args: string[]) =>
        parseManifests(helm(['template', 'ks', '.', ...args], dir).stdout).filter((m) => m.metadata.name.endsWith('-dashboards')); // prettier-ignore
      expect(render([])).toEqual([]);
      const [cm] = render(['--set', 'grafanaDashboard.enabled=true']);
      expect(cm?.metadata['labels']).toMatchObject({ grafana_dashboard: '1' });
      expect(JSON.parse(String((cm?.['data'] as Json)['probe.json']))).toEqual({ title: 'probe' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
