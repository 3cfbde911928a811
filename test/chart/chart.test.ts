import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { findManifest, helm, renderChart, VALUES_FILES, valuesArgs } from './helm.js';
import type { Manifest } from './helm.js';
import { validateManifest } from './validate-manifest.js';

type Json = Record<string, unknown>;
const get = (o: unknown, ...path: (string | number)[]): unknown =>
  path.reduce<unknown>((v, k) => (v === null || typeof v !== 'object' ? undefined : (v as Json)[k]), o);

function podSpec(ms: readonly Manifest[]): Json {
  const w = ms.find((m) => m.kind === 'Deployment' || m.kind === 'StatefulSet');
  return get(w, 'spec', 'template', 'spec') as Json;
}
function container(ms: readonly Manifest[]): Json {
  return get(podSpec(ms), 'containers', 0) as Json;
}
function runConfig(ms: readonly Manifest[]): Json {
  return parseYaml(String(get(findManifest(ms, 'ConfigMap'), 'data', 'config.yaml'))) as Json;
}

// The run flags of docs (run-flags contract): the config file may hold only these keys.
const RUN_FLAGS = new Set([
  'cluster', 'sources', 'data-dir', 'kubeconfig', 'watch-kinds', 'audit-webhook-addr', 'audit-webhook-path',
  'audit-tls-cert', 'audit-tls-key', 'audit-client-ca', 'audit-webhook-token-file', 'otlp-grpc-addr',
  'otlp-http-addr', 'otlp-forward-endpoint', 'otlp-endpoint', 'otlp-protocol', 'otlp-compression', 'otlp-timeout',
  'otlp-certificate', 'otlp-client-certificate', 'otlp-client-key',
  'spool-max-bytes', 'ui', 'store-retention-hours',
  'store-max-bytes', 'admin-addr', 'metrics-owner-allow', 'metrics-namespace-allow', 'leader-elect',
  'leader-election-namespace', 'leader-election-lease-name',
]); // prettier-ignore

describe('kubestitch chart', () => {
  describe.each(VALUES_FILES.map((f) => [f ?? 'default values', f] as const))('with %s', (_label, file) => {
    it('passes helm lint --strict', () => {
      const r = helm(['lint', '--strict', '.', ...valuesArgs(file)]);
      expect(r.stderr + r.stdout).toContain('0 chart(s) failed');
      expect(r.status).toBe(0);
    });

    it('renders manifests that validate against the Kubernetes schemas', () => {
      const manifests = renderChart(valuesArgs(file));
      expect(manifests.length).toBeGreaterThan(5);
      const problems = manifests.flatMap((m) => validateManifest(m).map((p) => `${m.kind}/${m.metadata.name}: ${p}`));
      expect(problems).toEqual([]);
    });

    it('runs as non-root with a read-only root filesystem, probes and no privilege', () => {
      const ms = renderChart(valuesArgs(file));
      const pod = podSpec(ms);
      const c = container(ms);
      expect(get(pod, 'securityContext')).toMatchObject({ runAsNonRoot: true, runAsUser: 10001 });
      expect(get(pod, 'securityContext', 'seccompProfile', 'type')).toBe('RuntimeDefault');
      expect(get(pod, 'terminationGracePeriodSeconds')).toBe(30);
      expect(get(c, 'securityContext')).toMatchObject({
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
        capabilities: { drop: ['ALL'] },
      });
      expect(get(c, 'livenessProbe', 'httpGet')).toEqual({ path: '/healthz', port: 'admin' });
      expect(get(c, 'readinessProbe', 'httpGet')).toEqual({ path: '/readyz', port: 'admin' });
      expect(get(c, 'resources', 'requests')).toBeDefined();
      expect(get(c, 'args')).toEqual(['run', '--config', '/etc/kubestitch/config.yaml']);
    });

    it('renders a config file with run flag names only, and no secret material', () => {
      const ms = renderChart(valuesArgs(file));
      const config = runConfig(ms);
      expect(Object.keys(config).filter((k) => !RUN_FLAGS.has(k))).toEqual([]);
      expect(config['data-dir']).toBe('/var/lib/kubestitch');
      expect(config['admin-addr']).toBe(':9464');
      const text = String(get(findManifest(ms, 'ConfigMap'), 'data', 'config.yaml'));
      expect(text).not.toMatch(/BEGIN (RSA |EC )?PRIVATE KEY|BEGIN CERTIFICATE/);
    });
  });

  describe('defaults', () => {
    it('run one replica without leader election, a PDB or a Lease role', () => {
      const ms = renderChart();
      expect(get(findManifest(ms, 'Deployment'), 'spec', 'replicas')).toBe(1);
      expect(runConfig(ms)['leader-elect']).toBeUndefined();
      expect(ms.filter((m) => ['PodDisruptionBudget', 'Role', 'RoleBinding'].includes(m.kind))).toEqual([]);
    });

    it('expose the audit webhook, OTLP, viewer and admin ports on the Service', () => {
      const svc = findManifest(renderChart(), 'Service');
      const ports = (get(svc, 'spec', 'ports') as Json[]).map((p) => [p['name'], p['port']]);
      expect(ports).toEqual([['audit', 8443], ['otlp-grpc', 4317], ['otlp-http', 4318], ['viewer', 16686], ['admin', 9464]]); // prettier-ignore
      expect(runConfig(renderChart())['sources']).toEqual(['watch', 'events', 'audit', 'otlp']);
    });

    it('generate a self-signed webhook certificate for the Service DNS names and the fixed ClusterIP', () => {
      const ms = renderChart(['--set', 'service.clusterIP=10.96.0.50']);
      const secret = findManifest(ms, 'Secret', '-tls');
      const pem = Buffer.from(String(get(secret, 'data', 'tls.crt')), 'base64').toString();
      const san = new X509Certificate(pem).subjectAltName ?? '';
      for (const n of ['ks-kubestitch.kubestitch.svc', 'ks-kubestitch.kubestitch.svc.cluster.local']) {
        expect(san).toContain(`DNS:${n}`);
      }
      expect(san).toContain('IP Address:10.96.0.50');
      expect(get(secret, 'data', 'ca.crt')).toBe(get(secret, 'data', 'tls.crt'));
    });

    it('roll the pods when the config changes (checksum annotation)', () => {
      const sum = (args: string[]): unknown =>
        get(findManifest(renderChart(args), 'Deployment'), 'spec', 'template', 'metadata', 'annotations', 'checksum/config'); // prettier-ignore
      expect(sum([])).toEqual(sum([]));
      expect(sum(['--set', 'clusterName=other'])).not.toEqual(sum([]));
    });
  });

  describe('replicas > 1', () => {
    it('turn on leader election and one persistent volume per replica, without a PDB', () => {
      const ms = renderChart(valuesArgs('ci/ha-values.yaml'));
      const config = runConfig(ms);
      expect(config).toMatchObject({ 'leader-elect': true, 'leader-election-namespace': 'kubestitch' });
      expect(config['leader-election-lease-name']).toBe('ks-kubestitch');
      // Only the leader is Ready: any PDB would leave zero allowed disruptions, so the leader's node
      // could never be drained (config-contract.test.ts holds the update strategies).
      expect(ms.filter((m) => m.kind === 'PodDisruptionBudget')).toEqual([]);
      const sts = findManifest(ms, 'StatefulSet');
      expect(get(sts, 'spec', 'updateStrategy', 'type')).toBe('OnDelete');
      expect(get(sts, 'spec', 'volumeClaimTemplates', 0, 'metadata', 'name')).toBe('data');
      expect(ms.some((m) => m.kind === 'PersistentVolumeClaim')).toBe(false);
      expect(findManifest(ms, 'Service', '-headless')).toBeDefined();
    });

    it('refuse leaderElection.enabled=false, which would make every replica export', () => {
      const r = helm(['template', 'ks', '.', '--set', 'replicaCount=2', '--set', 'leaderElection.enabled=false']);
      expect(r.status).not.toBe(0);
      expect(r.stderr).toContain('every replica would export');
    });

    it('use a Deployment with a Recreate strategy for a single persistent replica', () => {
      const ms = renderChart(['--set', 'persistence.enabled=true']);
      expect(get(findManifest(ms, 'Deployment'), 'spec', 'strategy', 'type')).toBe('Recreate');
      expect(get(findManifest(ms, 'PersistentVolumeClaim'), 'spec', 'resources', 'requests', 'storage')).toBe('10Gi');
    });
  });

  describe('minimal (managed cluster)', () => {
    it('watch and Events only: no webhook port, no TLS or token Secret', () => {
      const ms = renderChart(valuesArgs('ci/minimal-values.yaml'));
      expect(runConfig(ms)['sources']).toEqual(['watch', 'events']);
      expect(ms.filter((m) => m.kind === 'Secret')).toEqual([]);
      const ports = (get(findManifest(ms, 'Service'), 'spec', 'ports') as Json[]).map((p) => p['name']);
      expect(ports).toEqual(['admin']);
    });
  });
});
