import { createServer, type Server } from 'node:https';
import type https from 'node:https';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import type { TLSSocket } from 'node:tls';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { stringify } from 'yaml';
import { type KubeCredentials, loadKubeConfig } from '../../../src/sources/watch/kube-config.js';
import { KubeHttp } from '../../../src/sources/watch/kube-http.js';
import { makeTestPki, type TestPki } from '../audit/tls-fixture.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kubestitch-kubeconfig-'));
});
afterEach(async () => {
  vi.restoreAllMocks();
  await rm(dir, { recursive: true, force: true });
});

const b64 = (s: string): string => Buffer.from(s).toString('base64');

/** A kubeconfig with one context `ctx` → cluster `c`, user `u`. */
function kubeconfig(cluster: Record<string, unknown>, user: Record<string, unknown>, more: object = {}): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'c', cluster }],
    users: [{ name: 'u', user }],
    contexts: [{ name: 'ctx', context: { cluster: 'c', user: 'u' } }],
    'current-context': 'ctx',
    ...more,
  });
}

/** What a request gets from the credentials, in the fields KubeHttp passes on. */
async function applied(kc: KubeCredentials): Promise<Record<string, unknown>> {
  const opts: https.RequestOptions = { headers: {} };
  await kc.applyToHTTPSOptions(opts);
  const text = (b: unknown): unknown => (Buffer.isBuffer(b) ? b.toString('utf8') : b);
  return {
    server: kc.getCurrentCluster()?.server,
    headers: opts.headers,
    auth: opts.auth,
    ca: text(opts.ca),
    cert: text(opts.cert),
    key: text(opts.key),
    rejectUnauthorized: opts.rejectUnauthorized,
    servername: opts.servername,
  };
}

async function clientNode(file: string, context?: string): Promise<Record<string, unknown>> {
  const kc = new KubeConfig();
  kc.loadFromFile(file);
  if (context !== undefined) kc.setCurrentContext(context);
  return applied(kc);
}

describe('loadKubeConfig', () => {
  describe('reads a kubeconfig file as client-node does', () => {
    it('a bearer token, the CA as data, the server without its trailing slash', async () => {
      const file = join(dir, 'config');
      await writeFile(
        file,
        kubeconfig({ server: 'https://10.0.0.1:6443/', 'certificate-authority-data': b64('CA PEM') }, { token: 'abc' }),
      );
      const ours = await applied(loadKubeConfig({ kubeconfig: file }));
      expect(ours).toEqual(await clientNode(file));
      expect(ours).toMatchObject({ server: 'https://10.0.0.1:6443', ca: 'CA PEM' });
      expect(ours['headers']).toEqual({ Authorization: 'Bearer abc' });
    });

    it('certificate, key and CA files relative to the kubeconfig directory', async () => {
      await mkdir(join(dir, 'pki'));
      await writeFile(join(dir, 'pki', 'ca.crt'), 'CA FILE');
      await writeFile(join(dir, 'pki', 'me.crt'), 'CERT FILE');
      await writeFile(join(dir, 'pki', 'me.key'), 'KEY FILE');
      const file = join(dir, 'config');
      await writeFile(
        file,
        kubeconfig(
          { server: 'https://k:6443', 'certificate-authority': 'pki/ca.crt' },
          { 'client-certificate': 'pki/me.crt', 'client-key': join(dir, 'pki', 'me.key') },
        ),
      );
      const ours = await applied(loadKubeConfig({ kubeconfig: file }));
      expect(ours).toEqual(await clientNode(file));
      expect(ours).toMatchObject({ ca: 'CA FILE', cert: 'CERT FILE', key: 'KEY FILE' });
    });

    it('certificate and key as data, basic auth, impersonation, skip-verify and a TLS server name', async () => {
      const file = join(dir, 'config');
      await writeFile(
        file,
        kubeconfig(
          { server: 'https://k:6443', 'insecure-skip-tls-verify': true, 'tls-server-name': 'kubernetes' },
          {
            'client-certificate-data': b64('CERT'),
            'client-key-data': b64('KEY'),
            username: 'admin',
            password: 'secret',
            as: 'someone',
          },
        ),
      );
      const ours = await applied(loadKubeConfig({ kubeconfig: file }));
      expect(ours).toEqual(await clientNode(file));
      expect(ours).toMatchObject({ rejectUnauthorized: false, servername: 'kubernetes', auth: 'admin:secret' });
      expect(ours['headers']).toEqual({ 'Impersonate-User': 'someone' });
    });

    it('a token-file, relative to the kubeconfig directory', async () => {
      await writeFile(join(dir, 'tok'), 'from-file');
      const file = join(dir, 'config');
      await writeFile(file, kubeconfig({ server: 'https://k' }, { 'token-file': 'tok' }));
      // client-node reads a relative token-file against the working directory.
      const cwd = process.cwd();
      process.chdir(dir);
      try {
        expect(await applied(loadKubeConfig({ kubeconfig: file }))).toEqual(await clientNode(file));
      } finally {
        process.chdir(cwd);
      }
    });

    it('the context asked for instead of the current one', async () => {
      const file = join(dir, 'config');
      await writeFile(
        file,
        stringify({
          clusters: [
            { name: 'a', cluster: { server: 'https://a' } },
            { name: 'b', cluster: { server: 'https://b' } },
          ],
          users: [
            { name: 'ua', user: { token: 'ta' } },
            { name: 'ub', user: { token: 'tb' } },
          ],
          contexts: [
            { name: 'A', context: { cluster: 'a', user: 'ua' } },
            { name: 'B', context: { cluster: 'b', user: 'ub' } },
          ],
          'current-context': 'A',
        }),
      );
      const ours = await applied(loadKubeConfig({ kubeconfig: file, context: 'B' }));
      expect(ours).toEqual(await clientNode(file, 'B'));
      expect(ours).toMatchObject({ server: 'https://b', headers: { Authorization: 'Bearer tb' } });
    });
  });

  describe('refuses', () => {
    it('a context that is not there, a cluster without a server, a file that is not a kubeconfig', async () => {
      const file = join(dir, 'config');
      await writeFile(file, kubeconfig({ server: 'https://k' }, { token: 't' }));
      expect(() => loadKubeConfig({ kubeconfig: file, context: 'nope' })).toThrow('kubeconfig has no current cluster');
      await writeFile(file, kubeconfig({ 'certificate-authority-data': 'x' }, { token: 't' }));
      expect(() => loadKubeConfig({ kubeconfig: file })).toThrow('clusters[0].cluster.server is missing');
      await writeFile(file, 'just text');
      expect(() => loadKubeConfig({ kubeconfig: file })).toThrow('not a kubeconfig');
      expect(() => loadKubeConfig({ kubeconfig: join(dir, 'missing') })).toThrow(/ENOENT/);
    });

    it('a plain-HTTP server unless insecure-skip-tls-verify says so (client-node fails every request then)', async () => {
      const file = join(dir, 'config');
      await writeFile(file, kubeconfig({ server: 'http://127.0.0.1:8080' }, { token: 't' }));
      expect(() => loadKubeConfig({ kubeconfig: file })).toThrow(/plain HTTP server/);
      await writeFile(file, kubeconfig({ server: 'http://127.0.0.1:8080', 'insecure-skip-tls-verify': true }, {}));
      expect(loadKubeConfig({ kubeconfig: file }).getCurrentCluster()?.server).toBe('http://127.0.0.1:8080');
    });
  });

  describe('$KUBECONFIG with several files', () => {
    it('merges them as client-node does: the last current-context wins, names resolve across files', async () => {
      const one = join(dir, 'one');
      const two = join(dir, 'two');
      await writeFile(one, kubeconfig({ server: 'https://one' }, { token: 't1' }));
      await writeFile(
        two,
        stringify({
          clusters: [{ name: 'c2', cluster: { server: 'https://two' } }],
          contexts: [{ name: 'ctx2', context: { cluster: 'c2', user: 'u' } }],
          'current-context': 'ctx2',
        }),
      );
      const env = { KUBECONFIG: `${one}:${two}` };
      const ours = await applied(loadKubeConfig({ env }));
      vi.stubEnv('KUBECONFIG', env.KUBECONFIG);
      const kc = new KubeConfig();
      kc.loadFromDefault();
      expect(ours).toEqual(await applied(kc));
      expect(ours).toMatchObject({ server: 'https://two', headers: { Authorization: 'Bearer t1' } });
      vi.unstubAllEnvs();
    });

    it('refuses a name defined in two files', async () => {
      const one = join(dir, 'one');
      await writeFile(one, kubeconfig({ server: 'https://one' }, { token: 't1' }));
      expect(() => loadKubeConfig({ env: { KUBECONFIG: `${one}:${one}` } })).toThrow('Duplicate cluster: c');
    });
  });

  describe('in a cluster', () => {
    async function serviceAccount(): Promise<string> {
      const sa = join(dir, 'var/run/secrets/kubernetes.io/serviceaccount');
      await mkdir(sa, { recursive: true });
      await writeFile(join(sa, 'token'), 'sa-token-1');
      await writeFile(join(sa, 'ca.crt'), 'CLUSTER CA');
      return sa;
    }

    it('uses the service account and the apiserver Service address, as client-node loadFromCluster', async () => {
      const sa = await serviceAccount();
      for (const [host, port] of [
        ['10.96.0.1', '443'],
        ['fd00::1', '6443'],
      ] as const) {
        const env = { KUBERNETES_SERVICE_HOST: host, KUBERNETES_SERVICE_PORT: port };
        const ours = await applied(loadKubeConfig({ env, serviceAccountDir: sa }));
        vi.stubEnv('KUBERNETES_SERVICE_HOST', host);
        vi.stubEnv('KUBERNETES_SERVICE_PORT', port);
        const kc = new KubeConfig();
        kc.loadFromCluster(dir);
        expect(ours).toEqual(await applied(kc));
        vi.unstubAllEnvs();
      }
      const v6 = loadKubeConfig({
        env: { KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '6443' },
        serviceAccountDir: sa,
      });
      expect(v6.getCurrentCluster()?.server).toBe('https://[fd00::1]:6443');
    });

    it('reads a rotated token again after a minute, and not before', async () => {
      const sa = await serviceAccount();
      let now = 1_000_000;
      vi.spyOn(Date, 'now').mockImplementation(() => now);
      const kc = loadKubeConfig({
        env: { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' },
        serviceAccountDir: sa,
      });
      expect((await applied(kc))['headers']).toEqual({ Authorization: 'Bearer sa-token-1' });
      await writeFile(join(sa, 'token'), 'sa-token-2\n');
      now += 30_000;
      expect((await applied(kc))['headers']).toEqual({ Authorization: 'Bearer sa-token-1' });
      now += 31_000;
      expect((await applied(kc))['headers']).toEqual({ Authorization: 'Bearer sa-token-2' });
    });

    it('prefers $KUBECONFIG when it is set', async () => {
      const file = join(dir, 'config');
      await writeFile(file, kubeconfig({ server: 'https://outside' }, { token: 't' }));
      const env = { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443', KUBECONFIG: file };
      expect(loadKubeConfig({ env, serviceAccountDir: dir }).getCurrentCluster()?.server).toBe('https://outside');
    });
  });

  it('hands an exec plugin to client-node and sends the token it prints', async () => {
    const plugin = join(dir, 'plugin.mjs');
    await writeFile(
      plugin,
      "process.stdout.write(JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', status: { token: 'from-exec' } }));",
    );
    const file = join(dir, 'config');
    await writeFile(
      file,
      kubeconfig(
        { server: 'https://k', 'certificate-authority-data': b64('CA') },
        {
          exec: {
            apiVersion: 'client.authentication.k8s.io/v1',
            command: process.execPath,
            args: [plugin],
            interactiveMode: 'Never',
          },
        },
      ),
    );
    const kc = loadKubeConfig({ kubeconfig: file });
    expect(kc.getCurrentCluster()?.server).toBe('https://k');
    const ours = await applied(kc);
    expect(ours['headers']).toEqual({ Authorization: 'Bearer from-exec' });
    expect(ours['ca']).toBe('CA');
  });
});

describe('KubeHttp with a kubeconfig', () => {
  let pki: TestPki;
  let server: Server;
  let port: number;
  const seen: { cert: string | undefined; auth: string | undefined }[] = [];

  beforeAll(async () => {
    pki = await makeTestPki();
    server = createServer(
      {
        cert: await readFile(pki.serverCertFile),
        key: await readFile(pki.serverKeyFile),
        ca: pki.ca,
        requestCert: true,
        rejectUnauthorized: true,
      },
      (req, res) => {
        const peer = (req.socket as TLSSocket).getPeerCertificate();
        const cn = peer.subject?.CN;
        seen.push({ cert: Array.isArray(cn) ? cn.join(',') : cn, auth: req.headers.authorization });
        res.setHeader('Content-Type', 'application/json');
        res.end('{"kind":"Status","ok":true}');
      },
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as { port: number }).port;
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
    await rm(pki.dir, { recursive: true, force: true });
  });

  it('verifies the apiserver by the CA and presents the client certificate', async () => {
    const file = join(pki.dir, 'kubeconfig');
    await writeFile(
      file,
      kubeconfig(
        { server: `https://127.0.0.1:${port}`, 'certificate-authority': 'ca.crt', 'tls-server-name': 'localhost' },
        { 'client-certificate': 'kube-apiserver.crt', 'client-key': 'kube-apiserver.key', token: 'tok' },
      ),
    );
    const http = new KubeHttp(loadKubeConfig({ kubeconfig: file }));
    expect(await http.getJson('/api')).toEqual({ kind: 'Status', ok: true });
    expect(seen.at(-1)).toEqual({ cert: 'kube-apiserver', auth: 'Bearer tok' });
  });

  it('fails against an apiserver its CA did not sign', async () => {
    const file = join(pki.dir, 'kubeconfig-other');
    await writeFile(
      file,
      kubeconfig(
        { server: `https://127.0.0.1:${port}`, 'certificate-authority': 'other-ca.crt' },
        { 'client-certificate': 'kube-apiserver.crt', 'client-key': 'kube-apiserver.key' },
      ),
    );
    await expect(new KubeHttp(loadKubeConfig({ kubeconfig: file })).getJson('/api')).rejects.toThrow(/certificate/);
  });
});
