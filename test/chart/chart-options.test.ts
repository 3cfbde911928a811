import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { resolveRunSettings } from '../../src/cli/run-config.js';
import { findManifest, helm, renderChart } from './helm.js';
import type { Manifest } from './helm.js';
import { validateManifest } from './validate-manifest.js';

// The chart values of issue 18: image registry/digest, security contexts, extra env, export
// protocol and headers from a Secret, and the NetworkPolicy — each against real `helm template`.

type Json = Record<string, unknown>;
const get = (o: unknown, ...path: (string | number)[]): unknown =>
  path.reduce<unknown>((v, k) => (v === null || typeof v !== 'object' ? undefined : (v as Json)[k]), o);
const arr = (o: unknown): Json[] => (Array.isArray(o) ? (o as Json[]) : []);

const DIGEST = `sha256:${'0123456789abcdef'.repeat(4)}`;

function pod(ms: readonly Manifest[]): Json {
  return get(findManifest(ms, 'Deployment'), 'spec', 'template', 'spec') as Json;
}
function container(ms: readonly Manifest[]): Json {
  return get(pod(ms), 'containers', 0) as Json;
}
function configText(ms: readonly Manifest[]): string {
  return String(get(findManifest(ms, 'ConfigMap'), 'data', 'config.yaml'));
}
function env(ms: readonly Manifest[]): Json[] {
  return arr(container(ms)['env']);
}
function rejected(args: string[]): string {
  const r = helm(['template', 'ks', '.', ...args]);
  expect(r.status).not.toBe(0);
  return r.stderr;
}

describe('chart image', () => {
  it('defaults to repository:appVersion, with no registry', () => {
    expect(container(renderChart())['image']).toBe('kubestitch:0.1.0');
  });

  it('prefixes the registry and pins the digest, which wins over the tag', () => {
    const args = ['--set', 'image.registry=registry.example.com:5000/mirror/', '--set', 'image.tag=1.2.3'];
    expect(container(renderChart(args))['image']).toBe('registry.example.com:5000/mirror/kubestitch:1.2.3');
    const pinned = renderChart([...args, '--set', `image.digest=${DIGEST}`]);
    expect(container(pinned)['image']).toBe(`registry.example.com:5000/mirror/kubestitch@${DIGEST}`);
  });

  it('refuses a digest that is not sha256:<64 hex> (a tag in the wrong field)', () => {
    expect(rejected(['--set', 'image.digest=latest'])).toContain('digest');
  });
});

describe('chart security contexts', () => {
  it('defaults to non-root, read-only root, no capabilities, RuntimeDefault seccomp', () => {
    const ms = renderChart();
    expect(pod(ms)['securityContext']).toMatchObject({
      runAsNonRoot: true,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(container(ms)['securityContext']).toEqual({
      runAsNonRoot: true,
      runAsUser: 10001,
      runAsGroup: 10001,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
  });

  it('lets OpenShift drop the fixed uid/gid and keeps the rest', () => {
    const nulls = ['runAsUser', 'runAsGroup', 'fsGroup'].flatMap((k) => ['--set', `podSecurityContext.${k}=null`]);
    const ms = renderChart([...nulls, '--set', 'securityContext.runAsUser=null', '--set', 'securityContext.runAsGroup=null']); // prettier-ignore
    expect(pod(ms)['securityContext']).toEqual({
      runAsNonRoot: true,
      fsGroupChangePolicy: 'OnRootMismatch',
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(container(ms)['securityContext']).not.toHaveProperty('runAsUser');
    expect(get(container(ms), 'securityContext', 'readOnlyRootFilesystem')).toBe(true);
    expect(ms.flatMap((m) => validateManifest(m))).toEqual([]);
  });
});

describe('chart export settings', () => {
  it('renders protocol, compression and timeout with an endpoint, as a config run accepts', () => {
    const ms = renderChart([
      ...['--set', 'export.otlpEndpoint=https://api.honeycomb.io', '--set', 'export.protocol=http/protobuf'],
      ...['--set', 'export.timeout=5s', '--set', 'export.compression=none'],
    ]);
    const settings = resolveRunSettings({}, configText(ms), 'config.yaml', {
      OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'x-honeycomb-team=key',
    });
    if (typeof settings === 'string') throw new Error(settings);
    expect(settings.otlpExport).toEqual({
      url: 'https://api.honeycomb.io/v1/traces',
      protocol: 'http/protobuf',
      headers: { 'x-honeycomb-team': 'key' },
      compression: 'none',
      timeoutMs: 5_000,
    });
  });

  it('leaves protocol and the rest to OTEL_EXPORTER_OTLP_* in extraEnv when it has no endpoint', () => {
    const config = parseYaml(configText(renderChart(['--set', 'export.protocol=http/json']))) as Json;
    expect(Object.keys(config).filter((k) => k.startsWith('otlp-') && !k.endsWith('-addr'))).toEqual([]);
  });

  it('takes the headers from a Secret key as OTEL_EXPORTER_OTLP_TRACES_HEADERS, never into the ConfigMap', () => {
    const ms = renderChart([
      ...['--set', 'export.otlpEndpoint=http://c:4318', '--set', 'export.headers.existingSecret=honeycomb'],
      ...['--set', 'export.headers.key=otlp-headers'],
    ]);
    expect(env(ms).find((e) => e['name'] === 'OTEL_EXPORTER_OTLP_TRACES_HEADERS')).toEqual({
      name: 'OTEL_EXPORTER_OTLP_TRACES_HEADERS',
      valueFrom: { secretKeyRef: { name: 'honeycomb', key: 'otlp-headers' } },
    });
    expect(configText(ms)).not.toMatch(/header/i);
  });

  it('has no header variable by default and refuses an unknown protocol', () => {
    expect(env(renderChart()).map((e) => e['name'])).toEqual(['POD_NAME', 'POD_NAMESPACE', 'POD_IP']);
    expect(rejected(['--set', 'export.protocol=http'])).toContain('protocol');
  });

  it('adds extraEnv after its own variables and extraEnvFrom as envFrom', () => {
    const ms = renderChart([
      '--set-json',
      'extraEnv=[{"name":"OTEL_EXPORTER_OTLP_HEADERS","valueFrom":{"secretKeyRef":{"name":"grafana-cloud","key":"headers"}}}]',
      '--set-json',
      'extraEnvFrom=[{"secretRef":{"name":"otlp-env"}}]',
    ]);
    expect(env(ms).map((e) => e['name'])).toEqual(['POD_NAME', 'POD_NAMESPACE', 'POD_IP', 'OTEL_EXPORTER_OTLP_HEADERS']); // prettier-ignore
    expect(container(ms)['envFrom']).toEqual([{ secretRef: { name: 'otlp-env' } }]);
    expect(ms.flatMap((m) => validateManifest(m))).toEqual([]);
  });
});

describe('chart NetworkPolicy', () => {
  it('is absent by default', () => {
    expect(renderChart().some((m) => m.kind === 'NetworkPolicy')).toBe(false);
  });

  const CASES: [string, string[]][] = [
    ['default ports', []],
    ['audit webhook and viewer off', ['--set', 'auditWebhook.enabled=false', '--set', 'viewer.enabled=false']],
    ['OTLP off, ports moved', ['--set', 'otlp.enabled=false', '--set', 'admin.port=9100', '--set', 'viewer.port=8080']],
  ];
  it.each(CASES)('admits exactly the container ports the pod opens (%s)', (_label, args) => {
    const ms = renderChart([...args, '--set', 'networkPolicy.enabled=true']);
    const np = findManifest(ms, 'NetworkPolicy');
    expect(validateManifest(np)).toEqual([]);
    expect(get(np, 'spec', 'policyTypes')).toEqual(['Ingress']);
    expect(get(np, 'spec', 'podSelector', 'matchLabels')).toEqual(get(findManifest(ms, 'Deployment'), 'spec', 'selector', 'matchLabels')); // prettier-ignore
    const rules = arr(get(np, 'spec', 'ingress'));
    expect(rules).toHaveLength(1);
    const allowed = arr(rules[0]?.['ports']).map((p) => p['port'] as number);
    const opened = arr(container(ms)['ports']).map((p) => p['containerPort'] as number);
    expect(allowed.sort()).toEqual(opened.sort());
    expect(rules[0]).not.toHaveProperty('from');
  });

  it('limits the sources to the given peers', () => {
    const from = [{ ipBlock: { cidr: '172.18.0.0/16' } }, { namespaceSelector: { matchLabels: { team: 'obs' } } }];
    const np = findManifest(
      renderChart(['--set', 'networkPolicy.enabled=true', '--set-json', `networkPolicy.from=${JSON.stringify(from)}`]),
      'NetworkPolicy',
    );
    expect(get(np, 'spec', 'ingress', 0, 'from')).toEqual(from);
  });
});
