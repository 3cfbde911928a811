import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { RUN_OPTIONS, resolveRunSettings } from '../../src/cli/run-config.js';
import type { ListenAddr, RunSettings } from '../../src/cli/run-config.js';
import { DEFAULT_RESOURCES, EVENT_RESOURCES } from '../../src/sources/watch/resources.js';
import { findManifest, helm, renderChart, VALUES_FILES, valuesArgs } from './helm.js';
import type { Manifest } from './helm.js';

// The chart against the `kubestitch run` it starts: what the ConfigMap holds must be a config the
// code accepts, and every port, probe, file and permission the pod spec declares must match what
// that config makes the process listen on, read and call. A mismatch is a pod that crash-loops or
// a Service that routes nowhere, found here instead of in a cluster.

type Json = Record<string, unknown>;
const get = (o: unknown, ...path: (string | number)[]): unknown =>
  path.reduce<unknown>((v, k) => (v === null || typeof v !== 'object' ? undefined : (v as Json)[k]), o);
const arr = (o: unknown): Json[] => (Array.isArray(o) ? (o as Json[]) : []);

const WATCH_SCOPE = '{"namespaces":["shop","web"],"excludeNamespaces":["kube-system"],"labelSelector":"app.kubernetes.io/part-of=shop"}'; // prettier-ignore

/** Values files plus the switches that change the config, the ports or the mounts. */
const VARIANTS: readonly (readonly [string, readonly string[]])[] = [
  ...VALUES_FILES.map((f) => [f ?? 'default values', valuesArgs(f)] as const),
  ['leader election on one replica', ['--set', 'leaderElection.enabled=true']],
  ['three persistent replicas', ['--set', 'replicaCount=3', '--set', 'persistence.enabled=true']],
  ['no viewer, no OTLP backend (embedded store, pod-local viewer)', ['--set', 'viewer.enabled=false']],
  ['mTLS instead of a token', ['--set', 'auditWebhook.clientCASecret=apiserver-ca', '--set', 'auditWebhook.token.generate=false']], // prettier-ignore
  ['other ports', ['--set', 'admin.port=9000', '--set', 'auditWebhook.port=9443', '--set', 'otlp.grpcPort=14317', '--set', 'otlp.httpPort=14318', '--set', 'viewer.port=8080']], // prettier-ignore
  ['extraConfig', ['--set-json', 'extraConfig={"stitch":"link","shutdown-deadline-seconds":45}']],
  ['watch scope', ['--set-json', `watchScope=${WATCH_SCOPE}`]],
];

interface Rendered {
  readonly manifests: Manifest[];
  readonly workload: Manifest;
  readonly pod: Json;
  /** The pod's volumes, plus a StatefulSet's claim templates (mounted like volumes). */
  readonly volumes: Json[];
  readonly container: Json;
  readonly configText: string;
  readonly settings: RunSettings;
}

function render(args: readonly string[]): Rendered {
  const manifests = renderChart(args);
  const workload = manifests.find((m) => m.kind === 'Deployment' || m.kind === 'StatefulSet');
  if (workload === undefined) throw new Error('no Deployment or StatefulSet rendered');
  const pod = get(workload, 'spec', 'template', 'spec') as Json;
  const configText = String(get(findManifest(manifests, 'ConfigMap'), 'data', 'config.yaml'));
  const settings = resolveRunSettings({}, configText, 'config.yaml');
  // The message names the option at fault, which is what the reader of a failure needs.
  if (typeof settings === 'string') throw new Error(`kubestitch run refuses the chart's config: ${settings}`);
  const claims = arr(get(workload, 'spec', 'volumeClaimTemplates')).map((c) => ({
    name: get(c, 'metadata', 'name'),
    persistentVolumeClaim: {},
  }));
  const volumes = [...arr(pod['volumes']), ...claims];
  return { manifests, workload, pod, volumes, container: get(pod, 'containers', 0) as Json, configText, settings };
}

/** The pod-network listeners the settings open, by the container port name the chart uses. */
function listeners(s: RunSettings): Record<string, ListenAddr> {
  const out: Record<string, ListenAddr> = {};
  if (s.adminAddr !== undefined) out['admin'] = s.adminAddr;
  if (s.webhook !== undefined) out['audit'] = s.webhook.addr;
  if (s.otlpGrpcAddr !== undefined) out['otlp-grpc'] = s.otlpGrpcAddr;
  if (s.otlpHttpAddr !== undefined) out['otlp-http'] = s.otlpHttpAddr;
  // The default viewer binds loopback: reachable by port-forward, not through a Service.
  if (s.ui !== undefined && !isLoopback(s.ui)) out['viewer'] = s.ui;
  return out;
}

function isLoopback(a: ListenAddr): boolean {
  return a.host === '127.0.0.1' || a.host === '::1' || a.host === 'localhost';
}

/**
 * Where a file path the config names comes from: the volume mounted over it and the key inside
 * it. undefined when nothing is mounted there (the process would find no file).
 */
function mountedFile(r: Rendered, path: string): string | undefined {
  for (const m of arr(r.container['volumeMounts'])) {
    const mountPath = String(m['mountPath']);
    const volume = r.volumes.find((v) => v['name'] === m['name']);
    if (volume === undefined) continue;
    const source = (volume['secret'] ?? volume['configMap']) as Json | undefined;
    if (typeof m['subPath'] === 'string') {
      if (path === mountPath) return `${String(m['name'])}:${m['subPath']}`;
      continue;
    }
    if (!path.startsWith(`${mountPath}/`)) continue;
    const rel = path.slice(mountPath.length + 1);
    const items = arr(source?.['items']);
    // A volume without items (emptyDir, PVC, whole Secret) holds whatever is written or keyed there.
    if (items.length === 0) return `${String(m['name'])}:${rel}`;
    const item = items.find((i) => i['path'] === rel);
    if (item !== undefined) return `${String(m['name'])}:${String(item['key'])}`;
  }
  return undefined;
}

describe('chart ↔ kubestitch run contract', () => {
  describe.each(VARIANTS)('with %s', (_label, args) => {
    let r: Rendered;
    beforeAll(() => {
      r = render(args);
    });

    it('renders a config file kubestitch run accepts, with every source the values switch on', () => {
      // render() already threw with the run error message if the config was refused.
      expect(r.settings.dataDir).toBe('/var/lib/kubestitch');
      const values = args.join(' ');
      const sources = [...r.settings.sources].sort();
      if (values.includes('minimal-values')) expect(sources).toEqual(['events', 'watch']);
      else expect(sources).toEqual(['audit', 'events', 'otlp', 'watch']);
    });

    it('passes watchScope on as --namespaces, --exclude-namespaces and --label-selector', () => {
      const scoped = args.join(' ').includes('watchScope');
      expect(r.settings.watchScope).toEqual(
        scoped
          ? {
              namespaces: ['shop', 'web'],
              excludeNamespaces: ['kube-system'],
              labelSelector: 'app.kubernetes.io/part-of=shop',
            }
          : { namespaces: [], excludeNamespaces: [] },
      );
    });

    it('starts `run` with options RUN_OPTIONS knows, reading the config file the ConfigMap mounts', () => {
      expect(r.container['command']).toBeUndefined(); // the image's entrypoint is kubestitch
      const [command, ...rest] = arr(r.container['args']) as unknown as string[];
      expect(command).toBe('run');
      const parsed = parseArgs({ args: rest, options: RUN_OPTIONS, strict: true, allowPositionals: false });
      const config = parsed.values.config;
      expect(config).toBeDefined();
      expect(mountedFile(r, String(config))).toBe('config:config.yaml');
      const cm = arr(r.pod['volumes']).find((v) => v['name'] === 'config');
      expect(get(cm, 'configMap', 'name')).toBe(findManifest(r.manifests, 'ConfigMap').metadata.name);
    });

    it('declares exactly the container ports the config listens on: OTLP on the pod IP, the rest on all interfaces', () => {
      const expected = Object.fromEntries(Object.entries(listeners(r.settings)).map(([n, a]) => [n, a.port]));
      const declared = Object.fromEntries(arr(r.container['ports']).map((p) => [p['name'], p['containerPort']]));
      expect(declared).toEqual(expected);
      for (const [name, a] of Object.entries(listeners(r.settings))) {
        // The OTLP receivers take spans from whoever reaches them (#17): the pod IP only.
        const want = name.startsWith('otlp-') ? process.env['POD_IP'] : 'all';
        expect({ name, host: a.host ?? 'all' }).toEqual({ name, host: want });
      }
      const env = arr(r.container['env']).find((e) => e['name'] === 'POD_IP');
      if (r.settings.otlpGrpcAddr !== undefined) expect(get(env, 'valueFrom', 'fieldRef', 'fieldPath')).toBe('status.podIP'); // prettier-ignore
    });

    it('routes every Service port to a declared container port', () => {
      const names = new Set(arr(r.container['ports']).map((p) => p['name']));
      for (const svc of r.manifests.filter((m) => m.kind === 'Service')) {
        for (const p of arr(get(svc, 'spec', 'ports'))) expect(names).toContain(p['targetPort']);
      }
    });

    it('probes /healthz (liveness, startup) and /readyz (readiness) on the admin address', () => {
      const admin = r.settings.adminAddr;
      expect(admin).toBeDefined();
      const portOf = (probe: string): unknown => {
        const port = get(r.container, probe, 'httpGet', 'port');
        const named = arr(r.container['ports']).find((p) => p['name'] === port);
        return named === undefined ? port : named['containerPort'];
      };
      expect(get(r.container, 'livenessProbe', 'httpGet', 'path')).toBe('/healthz');
      expect(get(r.container, 'startupProbe', 'httpGet', 'path')).toBe('/healthz');
      expect(get(r.container, 'readinessProbe', 'httpGet', 'path')).toBe('/readyz');
      for (const probe of ['livenessProbe', 'startupProbe', 'readinessProbe']) expect(portOf(probe)).toBe(admin?.port);
    });

    it('mounts every file the config names, from the key the chart documents', () => {
      const s = r.settings;
      expect(mountedFile(r, `${s.dataDir}/LOCK`)).toBe('data:LOCK');
      const w = s.webhook;
      if (w !== undefined) {
        expect(mountedFile(r, String(w.tlsCert))).toBe('tls:tls.crt');
        expect(mountedFile(r, String(w.tlsKey))).toBe('tls:tls.key');
        if (w.tokenFile !== undefined) expect(mountedFile(r, w.tokenFile)).toBe('token:token');
        if (w.clientCa !== undefined) expect(mountedFile(r, w.clientCa)).toBe('client-ca:ca.crt');
        expect(w.tokenFile !== undefined || w.clientCa !== undefined).toBe(true);
      }
    });

    it('grants list and watch on every kind run watches: the defaults, both Event APIs, --watch-kinds', () => {
      const rules = findManifest(r.manifests, 'ClusterRole')['rules'] as {
        apiGroups: string[];
        resources: string[];
        verbs: string[];
      }[];
      const can = (group: string, resource: string): boolean =>
        rules.some(
          (x) =>
            x.apiGroups.includes(group) &&
            x.resources.includes(resource) &&
            x.verbs.includes('list') &&
            x.verbs.includes('watch'),
        );
      const kinds = [...DEFAULT_RESOURCES, ...EVENT_RESOURCES, ...r.settings.watchKinds];
      expect(kinds.filter((k) => !can(k.group, k.resource)).map((k) => `${k.resource}.${k.group}`)).toEqual([]);
    });

    it('elects a leader on the Lease its Role may write, named by the pod', () => {
      const le = r.settings.leaderElection;
      const role = r.manifests.find((m) => m.kind === 'Role');
      if (le === undefined) {
        expect(role).toBeUndefined();
        return;
      }
      expect(le.namespace).toBe('kubestitch');
      expect(get(role, 'metadata', 'namespace')).toBe(le.namespace);
      expect(arr(role?.['rules']).flatMap((x) => (x['resourceNames'] as string[] | undefined) ?? [])).toEqual([le.leaseName]); // prettier-ignore
      // The identity defaults to $POD_NAME: the Lease's holderIdentity then names the leading pod.
      expect(arr(r.container['env']).find((e) => e['name'] === 'POD_NAME')).toMatchObject({
        valueFrom: { fieldRef: { fieldPath: 'metadata.name' } },
      });
    });

    it('gives SIGTERM longer than run drains the export before the kubelet kills it', () => {
      const graceMs = Number(r.pod['terminationGracePeriodSeconds']) * 1000;
      expect(graceMs - r.settings.shutdownDeadlineMs).toBeGreaterThanOrEqual(5_000);
    });
  });

  it('starts the container the way the image does by default (Dockerfile CMD = chart args)', () => {
    const dockerfile = readFileSync(fileURLToPath(new URL('../../Dockerfile', import.meta.url)), 'utf8');
    const cmd = /^CMD (\[.*\])$/m.exec(dockerfile)?.[1];
    const entrypoint = /^ENTRYPOINT (\[.*\])$/m.exec(dockerfile)?.[1];
    expect(JSON.parse(entrypoint ?? '[]')).toEqual(['node', '/app/bin/kubestitch.js']);
    expect(JSON.parse(cmd ?? '[]')).toEqual(render([]).container['args']);
  });

  it('accounts for every run option: set from chart values, allowed in extraConfig, or not for a pod', () => {
    const schema = JSON.parse(
      readFileSync(fileURLToPath(new URL('../../charts/kubestitch/values.schema.json', import.meta.url)), 'utf8'),
    ) as Json;
    const extra = get(schema, 'properties', 'extraConfig', 'propertyNames', 'enum') as string[];
    // Every value the chart has switched on at once: the keys its config can hold.
    const everything = render([
      ...valuesArgs('ci/ha-values.yaml'),
      ...['--set', 'auditWebhook.clientCASecret=apiserver-ca'],
      ...['--set', 'otlp.token.existingSecret=otlp-token', '--set', 'otlp.tls.existingSecret=otlp-tls'],
      ...['--set', 'otlp.tls.clientCASecret=otlp-ca'],
      ...['--set', 'export.otlpEndpoint=https://collector:4317', '--set', 'export.tls.existingSecret=backend-tls'],
      ...['--set-json', `watchScope=${WATCH_SCOPE}`],
    ]);
    const fromValues = Object.keys(parseYaml(everything.configText) as Json);
    const notForAPod: Record<string, string> = {
      config: 'the chart passes --config itself',
      kubeconfig: 'in a pod the service account is the credential; no kubeconfig file is mounted',
      context: 'only with a kubeconfig',
      'audit-log-path': 'no audit log is mounted; the audit webhook is the in-cluster source',
      'audit-webhook-insecure-http': 'the chart serves the webhook with TLS (auditWebhook.tls)',
      'leader-election-identity': 'one identity for every replica would break leader election; $POD_NAME is used',
      'otlp-insecure':
        'export.otlpEndpoint always has a scheme; a scheme-less endpoint given in extraEnv takes OTEL_EXPORTER_OTLP_INSECURE',
      'otlp-header':
        'header values are credentials: export.headers.existingSecret passes them from a Secret as OTEL_EXPORTER_OTLP_TRACES_HEADERS',
    };
    const accounted = [...extra, ...fromValues, ...Object.keys(notForAPod)].sort();
    expect(accounted).toEqual(Object.keys(RUN_OPTIONS).sort());
    for (const key of fromValues) {
      expect(helm(['template', 'ks', '.', '--set-json', `extraConfig={"${key}":"x"}`]).status).not.toBe(0);
    }
  });
});

describe('chart with leader election (a standby answers /readyz 503, so only the leader is Ready)', () => {
  const HA: readonly (readonly [string, readonly string[]])[] = [
    ['two replicas', ['--set', 'replicaCount=2']],
    ['ci/ha-values.yaml (StatefulSet)', valuesArgs('ci/ha-values.yaml')],
    ['one replica, election forced on', ['--set', 'leaderElection.enabled=true']],
    ['one persistent replica, election forced on', ['--set', 'leaderElection.enabled=true', '--set', 'persistence.enabled=true']], // prettier-ignore
  ];

  describe.each(HA)('%s', (_label, args) => {
    let r: Rendered;
    beforeAll(() => {
      r = render(args);
    });

    it('keeps readiness on /readyz, so the Service sends webhook and OTLP traffic to the leader only', () => {
      expect(r.settings.leaderElection).toBeDefined();
      expect(get(r.container, 'readinessProbe', 'httpGet', 'path')).toBe('/readyz');
    });

    it('renders no PodDisruptionBudget: with one Ready pod it would forbid ever evicting the leader', () => {
      expect(r.manifests.filter((m) => m.kind === 'PodDisruptionBudget')).toEqual([]);
    });

    it('uses an update strategy that does not wait for a Ready replacement (a new standby never is)', () => {
      if (r.workload.kind === 'StatefulSet') {
        expect(get(r.workload, 'spec', 'updateStrategy')).toEqual({ type: 'OnDelete' });
        return;
      }
      const strategy = get(r.workload, 'spec', 'strategy') as Json;
      if (strategy['type'] === 'Recreate') return;
      expect(strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '100%', maxSurge: '100%' } }); // prettier-ignore
    });
  });

  it('without leader election, rolls one new pod in before the old one stops (no webhook gap)', () => {
    const r = render([]);
    expect(r.settings.leaderElection).toBeUndefined();
    expect(get(r.workload, 'spec', 'strategy')).toEqual({
      type: 'RollingUpdate',
      rollingUpdate: { maxUnavailable: 0, maxSurge: 1 },
    });
  });
});
