import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml, parseAllDocuments } from 'yaml';

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
