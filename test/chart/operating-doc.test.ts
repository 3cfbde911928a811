import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { main } from '../../src/cli/main.js';
import { RUN_USAGE } from '../../src/cli/run-command.js';
import { RUN_OPTIONS, resolveRunSettings } from '../../src/cli/run-config.js';
import { codeBlocks, docCode, flagsIn, invocations } from './doc-commands.js';
import { CHART_DIR, helm, renderChart } from './helm.js';

const DOC = readFileSync(fileURLToPath(new URL('../../docs/operating.md', import.meta.url)), 'utf8');
const KIND_VALUES = parseYaml(
  readFileSync(fileURLToPath(new URL('../../charts/kubestitch/ci/kind-values.yaml', import.meta.url)), 'utf8'),
) as { auditWebhook: { tls: { existingSecret: string }; token: { existingSecret: string } }; service: { clusterIP: string } }; // prettier-ignore

/** The bodies of the shell heredocs in the guide (`cat > file <<EOF … EOF`), by target. */
function heredocs(): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of DOC.matchAll(/(?:cat > (\S+)|kubectl apply [^\n]*-f -) <<'?EOF'?\n([\s\S]*?)\nEOF\n/g)) {
    out.set(m[1] ?? 'kubectl-apply', m[2] ?? '');
  }
  return out;
}

describe('docs/operating.md kind walkthrough', () => {
  it('writes YAML that parses: kind config, webhook kubeconfig, audit policy, tracing config, Jaeger', () => {
    const docs = heredocs();
    expect([...docs.keys()]).toEqual([
      'control-plane/webhook.kubeconfig',
      'control-plane/audit-policy.yaml',
      'control-plane/apiserver-tracing.yaml',
      'kubestitch-kind/kind.yaml',
      '/etc/systemd/system/containerd.service.d/otel.conf',
      'kubectl-apply',
    ]);
    for (const [name, body] of [...docs].filter(([n]) => !n.endsWith('.conf'))) {
      for (const d of parseAllDocuments(body)) expect(d.errors.map((e) => `${name}: ${e.message}`)).toEqual([]);
    }
  });

  it('points the apiserver at the ClusterIP, path and port the chart serves with kind-values.yaml', () => {
    const kubeconfig = parseYaml(heredocs().get('control-plane/webhook.kubeconfig') ?? '') as {
      clusters: { cluster: { server: string } }[];
    };
    expect(kubeconfig.clusters[0]?.cluster.server).toBe(`https://${KIND_VALUES.service.clusterIP}:8443/audit`);
    expect(DOC).toContain(`IP:${KIND_VALUES.service.clusterIP}`);
    expect(heredocs().get('control-plane/apiserver-tracing.yaml')).toContain(`endpoint: ${KIND_VALUES.service.clusterIP}:4317`); // prettier-ignore
  });

  it('creates the Secrets kind-values.yaml names, with the keys the chart mounts', () => {
    expect(DOC).toContain(
      `create secret generic ${KIND_VALUES.auditWebhook.tls.existingSecret} --type=kubernetes.io/tls`,
    );
    expect(DOC).toMatch(/--from-file=tls\.crt=\S+ --from-file=tls\.key=\S+\s*\\\n\s*--from-file=ca\.crt=/);
    expect(DOC).toContain(`create secret generic ${KIND_VALUES.auditWebhook.token.existingSecret} --from-file=token=`);
    expect(DOC).toContain('helm install kubestitch charts/kubestitch -n kubestitch -f charts/kubestitch/ci/kind-values.yaml'); // prettier-ignore
    expect(DOC).toContain('docker build -t kubestitch:dev .');
    expect(DOC).toContain('kind load docker-image kubestitch:dev --name kubestitch');
  });
});

// The commands, options and config files the docs show, against the CLI and the chart as built.
const REPO = fileURLToPath(new URL('../../', import.meta.url));
const read = (path: string): string => readFileSync(join(REPO, path), 'utf8');
const DOCS = ['README.md', 'docs/operating.md', 'docs/metrics.md', 'docs/backends.md'] as const;

// Flags of other tools the prose names on their own (apiserver, etcd, helm, k3s/k3d, Prometheus).
// A flag in neither this list nor kubestitch's fails: a renamed or invented option is caught.
const OTHER_TOOLS = new Set([
  'audit-policy-file', 'audit-webhook-config-file', 'audit-webhook-mode', 'audit-webhook-batch-max-size',
  'audit-webhook-batch-max-wait', 'audit-webhook-initial-backoff', 'tracing-config-file',
  'enable-distributed-tracing', 'set', 'wait', 'create-namespace', 'show-only', 'cluster-init', 'kubelet-arg',
  'volume', 'k3s-arg', 'enable-feature',
  // The e2e runner's (npm run e2e -- --scenarios=…) and kube-controller-manager's, in the README's
  // local control plane section.
  'scenarios', 'use-service-account-credentials',
]); // prettier-ignore

async function cliHelp(): Promise<{ commands: Set<string>; general: Set<string>; record: Set<string> }> {
  const helpOf = async (argv: string[]): Promise<string> => {
    let text = '';
    expect(await main(argv, { out: (t) => (text += t), err: () => undefined })).toBe(0);
    return text;
  };
  // The command list, then each command's own help (run's options are checked against RUN_OPTIONS).
  const commands = [...(await helpOf(['help'])).matchAll(/^ {2}([a-z]+)\b/gm)].map((m) => m[1] ?? '');
  const record = await helpOf(['record', '--help']);
  const others = await Promise.all(
    commands.filter((c) => c !== 'run' && c !== 'record').map((c) => helpOf([c, '--help'])),
  );
  return {
    commands: new Set(commands),
    general: new Set([...others.flatMap(flagsIn), 'help', 'version']),
    record: new Set([...flagsIn(record), 'help']),
  };
}

describe('kubestitch commands in the docs', () => {
  it('every kubestitch command in README, operating.md, metrics.md and NOTES.txt exists, with options it accepts', async () => {
    const help = await cliHelp();
    const run = new Set([...Object.keys(RUN_OPTIONS), 'help']);
    const notesCommands = read('charts/kubestitch/templates/NOTES.txt')
      .split('\n')
      .filter((l) => /^\s+\S/.test(l))
      .join('\n');
    const found = [
      ...DOCS.flatMap((d) => invocations(docCode(read(d))).map((i) => ({ ...i, doc: d }))),
      ...invocations(notesCommands).map((i) => ({ ...i, doc: 'NOTES.txt' })),
    ];
    expect(found.filter((i) => i.command === 'run').length).toBeGreaterThan(3);
    const problems = found.flatMap(({ command, flags, text, doc }) => {
      if (command.startsWith('-')) return flagsIn(text).filter((f) => !help.general.has(f)).map((f) => `${doc}: ${text}: --${f}`); // prettier-ignore
      if (!help.commands.has(command)) return [`${doc}: ${text}: no command "${command}"`];
      const known = command === 'run' ? run : command === 'record' ? help.record : help.general;
      return flags.filter((f) => !known.has(f)).map((f) => `${doc}: ${text}: ${command} has no --${f}`);
    });
    expect(problems).toEqual([]);
  });

  it('every option the prose names on its own is a kubestitch option, or a listed flag of another tool', async () => {
    const help = await cliHelp();
    const ours = new Set([...Object.keys(RUN_OPTIONS), ...help.general, ...help.record]);
    const named = DOCS.flatMap((d) =>
      docCode(read(d))
        .filter((c) => c.inline && c.text.startsWith('--'))
        .flatMap((c) => flagsIn(c.text).map((f) => ({ f, doc: d }))),
    );
    expect(named.length).toBeGreaterThan(20);
    expect(named.filter(({ f }) => !ours.has(f) && !OTHER_TOOLS.has(f)).map(({ f, doc }) => `${doc}: --${f}`)).toEqual([]); // prettier-ignore
  });

  it('kubestitch run --help shows only options run accepts', () => {
    // --help is every command's.
    expect(flagsIn(RUN_USAGE).filter((f) => !(f in RUN_OPTIONS) && f !== 'help')).toEqual([]);
  });

  it('every run config file the docs show is one kubestitch run accepts', () => {
    const configs = DOCS.flatMap((d) =>
      codeBlocks(read(d))
        .filter((b) => b.lang === 'yaml' && /^# kubestitch run --config \S+/.test(b.body))
        .map((b) => ({ doc: d, body: b.body })),
    );
    expect(configs.map((c) => c.doc)).toEqual(['README.md', 'docs/operating.md']);
    for (const { doc, body } of configs) {
      const settings = resolveRunSettings({}, body, doc);
      expect(typeof settings === 'string' ? settings : 'accepted').toBe('accepted');
    }
  });

  it("shows the chart's default config file as the chart renders it", () => {
    const shown = codeBlocks(read('docs/operating.md')).find((b) => b.body.startsWith('# kubestitch run --config'));
    const rendered = renderChart().find((m) => m.kind === 'ConfigMap')?.['data'] as Record<string, string>;
    expect(parseYaml(shown?.body ?? '')).toEqual(parseYaml(rendered['config.yaml'] ?? ''));
  });

  it('every helm install/upgrade of the chart in the docs renders with helm template', () => {
    const commands = DOCS.flatMap((d) =>
      docCode(read(d))
        .filter((c) => !c.inline)
        .map((c) => c.text.replace(/#.*$/, '').trim())
        .filter((t) => /^helm (install|upgrade) \S+ charts\/kubestitch\b/.test(t) && !t.includes('<')),
    );
    expect(commands.length).toBeGreaterThanOrEqual(3);
    for (const command of commands) {
      const [, , release = '', , ...rest] = command.split(/\s+/);
      const args = rest.flatMap((a, i) => {
        if (a === '--create-namespace') return [];
        if (rest[i - 1] === '-f' || rest[i - 1] === '--values') return [join(REPO, a)];
        return [a];
      });
      const r = helm(['template', release, CHART_DIR, ...args]);
      expect({ command, stderr: r.stderr, status: r.status }).toEqual({ command, stderr: '', status: 0 });
    }
  });
});
