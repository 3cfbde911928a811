import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { resolveRunSettings, withExportTls } from '../../src/cli/run-config.js';
import { findManifest, helm, renderChart } from './helm.js';
import type { Manifest } from './helm.js';
import { validateManifest } from './validate-manifest.js';

// export.tls (issue 18): the export's CA and client certificate from a Secret, mounted and named
// by the --otlp-certificate / --otlp-client-certificate / --otlp-client-key keys of run's config.

type Json = Record<string, unknown>;
const get = (o: unknown, ...path: (string | number)[]): unknown =>
  path.reduce<unknown>((v, k) => (v === null || typeof v !== 'object' ? undefined : (v as Json)[k]), o);
const arr = (o: unknown): Json[] => (Array.isArray(o) ? (o as Json[]) : []);

const HTTPS = ['--set', 'export.otlpEndpoint=https://otel-collector.observability:4317'];
const SECRET = ['--set', 'export.tls.existingSecret=backend-tls'];

function pod(ms: readonly Manifest[]): Json {
  return get(findManifest(ms, 'Deployment'), 'spec', 'template', 'spec') as Json;
}
function config(ms: readonly Manifest[]): Json {
  return parseYaml(String(get(findManifest(ms, 'ConfigMap'), 'data', 'config.yaml'))) as Json;
}
// Where each file named in the config comes from: the mounted Secret's key, by full path.
function mountedFiles(ms: readonly Manifest[]): Record<string, string> {
  const spec = pod(ms);
  const volume = arr(spec['volumes']).find((v) => v['name'] === 'export-tls');
  const mount = arr(get(spec, 'containers', 0, 'volumeMounts')).find((m) => m['name'] === 'export-tls');
  const out: Record<string, string> = {};
  for (const item of arr(get(volume, 'secret', 'items'))) {
    out[`${String(mount?.['mountPath'])}/${String(item['path'])}`] = `${String(get(volume, 'secret', 'secretName'))}:${String(item['key'])}`; // prettier-ignore
  }
  return out;
}

describe('chart export.tls', () => {
  it('mounts the Secret read-only and points run at the CA, client certificate and key in it', () => {
    const ms = renderChart([...HTTPS, ...SECRET]);
    const c = config(ms);
    expect(mountedFiles(ms)).toEqual({
      [String(c['otlp-certificate'])]: 'backend-tls:ca.crt',
      [String(c['otlp-client-certificate'])]: 'backend-tls:tls.crt',
      [String(c['otlp-client-key'])]: 'backend-tls:tls.key',
    });
    const mount = arr(get(pod(ms), 'containers', 0, 'volumeMounts')).find((m) => m['name'] === 'export-tls');
    expect(mount?.['readOnly']).toBe(true);
    expect(ms.flatMap((m) => validateManifest(m))).toEqual([]);
    // run reads the files at start: outside the pod they are missing, which it says by flag.
    const text = String(get(findManifest(ms, 'ConfigMap'), 'data', 'config.yaml'));
    expect(withExportTls(resolveRunSettings({}, text, 'config.yaml'))).toBe(
      `--otlp-certificate: cannot read ${String(c['otlp-certificate'])} (ENOENT)`,
    );
  });

  it('takes other key names, a CA only (TLS without mTLS), or a client certificate only (system CAs)', () => {
    const renamed = renderChart([...HTTPS, ...SECRET, '--set', 'export.tls.caKey=root.pem', '--set', 'export.tls.certKey=client.pem', '--set', 'export.tls.keyKey=client-key.pem']); // prettier-ignore
    expect(Object.values(mountedFiles(renamed)).sort()).toEqual(['backend-tls:client-key.pem', 'backend-tls:client.pem', 'backend-tls:root.pem']); // prettier-ignore
    const caOnly = renderChart([...HTTPS, ...SECRET, '--set', 'export.tls.certKey=', '--set', 'export.tls.keyKey=']);
    expect(Object.keys(config(caOnly)).filter((k) => /certificate|client-key/.test(k))).toEqual(['otlp-certificate']);
    expect(Object.values(mountedFiles(caOnly))).toEqual(['backend-tls:ca.crt']);
    const clientOnly = renderChart([...HTTPS, ...SECRET, '--set', 'export.tls.caKey=']);
    expect(config(clientOnly)['otlp-certificate']).toBeUndefined();
    expect(Object.values(mountedFiles(clientOnly)).sort()).toEqual(['backend-tls:tls.crt', 'backend-tls:tls.key']);
  });

  it('has no TLS volume or keys by default', () => {
    const ms = renderChart(HTTPS);
    expect(mountedFiles(ms)).toEqual({});
    expect(Object.keys(config(ms)).filter((k) => /certificate|client-key/.test(k))).toEqual([]);
  });

  const refused: [string, string[], string][] = [
    ['a plaintext endpoint', ['--set', 'export.otlpEndpoint=http://c:4317', ...SECRET], 'needs an https://'],
    ['a certificate without its key', [...HTTPS, ...SECRET, '--set', 'export.tls.keyKey='], 'both certKey and keyKey'],
  ];
  it.each(refused)('refuses %s', (_what, args, message) => {
    const r = helm(['template', 'ks', '.', ...args]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(message);
  });
});
