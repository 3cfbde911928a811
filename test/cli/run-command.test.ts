import { appendFile, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { synthesizeRecords } from '../../src/replay.js';
import { splitInitialList, startFakeApiserver } from '../../tools/sim/apiserver/index.js';
import type { FakeApiserver } from '../../tools/sim/apiserver/index.js';
import { runScenario, writeRecording } from '../../tools/sim/index.js';
import { readRecording } from '../../src/sources/recording/read-recording.js';
import { mergedLines, until } from '../live/support/live-harness.js';
import { killAllCli, spawnKubestitch } from '../support/cli-process.js';

let api: FakeApiserver;
let kubeconfig: string;

beforeAll(async () => {
  api = await startFakeApiserver({ bookmarkIntervalMs: 500 });
  kubeconfig = await api.kubeconfig(join(await mkdtemp(join(tmpdir(), 'ks-run-cmd-')), 'kubeconfig'));
});
afterAll(async () => {
  await api.close();
});
afterEach(killAllCli);

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

async function get(url: string, accept?: string): Promise<{ status: number; type: string; body: string } | undefined> {
  try {
    const res = await fetch(url, accept === undefined ? {} : { headers: { Accept: accept } });
    return { status: res.status, type: res.headers.get('content-type') ?? '', body: await res.text() };
  } catch {
    return undefined; // not listening yet
  }
}

/** GETs `url` until `check` holds for the answer (or fails after the timeout); resolves to that answer. */
async function waitFor(
  url: string,
  check: (r: { status: number; body: string }) => boolean,
  what: string,
  options: { timeoutMs?: number; accept?: string; seen?: (r: { status: number; body: string }) => void } = {},
): Promise<{ status: number; type: string; body: string }> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  let last: { status: number; type: string; body: string } | undefined;
  for (;;) {
    last = await get(url, options.accept);
    if (last !== undefined) {
      options.seen?.(last);
      if (check(last)) return last;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last answer: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('kubestitch run (process)', () => {
  it(
    'serves health, readiness per informer, metrics and the viewer; stops on SIGTERM with status 0',
    { timeout: 120_000 },
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'ks-run-cmd-'));
      const adminPort = await freePort();
      const uiPort = await freePort();
      const config = join(dir, 'kubestitch.yaml');
      await writeFile(
        config,
        [
          `kubeconfig: ${kubeconfig}`,
          `data-dir: ${join(dir, 'data')}`,
          'cluster: e2e',
          `admin-addr: 127.0.0.1:${adminPort}`,
          `ui: 127.0.0.1:${uiPort}`,
          'watch-kinds: [services.v1]',
          'shutdown-deadline-seconds: 5',
          '',
        ].join('\n'),
      );
      // The scenario's objects before the run starts; its changes while it runs.
      const rec = runScenario('rolling-update', { startMs: Date.now() - 120_000 });
      const { initial, rest } = splitInitialList(rec);
      api.preload(initial);
      // The pods list fails a few times: /readyz must say so until the informer recovers.
      api.failNext({ method: 'GET', pathPrefix: '/api/v1/pods', status: 500, times: 4 });

      const run = spawnKubestitch(['run', '--config', config]);
      const admin = `http://127.0.0.1:${adminPort}`;
      const health = await waitFor(`${admin}/healthz`, (r) => r.status === 200, '/healthz');
      expect(JSON.parse(health.body)).toMatchObject({ status: 'ok' });

      type Ready = { status: string; checks: { informers: Record<string, { phase: string; synced: boolean }> } };
      const notReady: Ready[] = [];
      const ready = await waitFor(`${admin}/readyz`, (r) => r.status === 200, '/readyz', {
        seen: (r) => {
          if (r.status === 503) notReady.push(JSON.parse(r.body) as Ready);
        },
      });
      // Before: 503, naming the informer that was not synced yet.
      expect(notReady.length).toBeGreaterThan(0);
      expect(notReady.some((r) => r.status === 'fail' && r.checks.informers['pods.v1']?.synced === false)).toBe(true);
      const informers = (JSON.parse(ready.body) as Ready).checks.informers;
      for (const id of [
        'deployments.v1.apps',
        'replicasets.v1.apps',
        'pods.v1',
        'nodes.v1',
        'events.v1',
        'events.v1.events.k8s.io',
        'services.v1',
      ])
        expect(informers[id], id).toMatchObject({ synced: true });
      expect(Object.keys(informers)).not.toContain('secrets.v1');
      // /healthz lists the informers too, with what they went through.
      const healthNow = await get(`${admin}/healthz`);
      expect(JSON.parse(healthNow?.body ?? '{}')).toMatchObject({
        status: 'ok',
        checks: { phase: 'running', informers: { 'pods.v1': { synced: true, restarts: 4 } } },
      });

      for (const line of mergedLines(rest)) api.apply(line.type, line.object as Record<string, unknown>);

      const metrics = await waitFor(
        `${admin}/metrics`,
        (r) => r.status === 200 && /kubestitch_records_in_total\{source="watch"\} [1-9]/.test(r.body),
        'records in /metrics',
        { accept: 'application/openmetrics-text; version=1.0.0' },
      );
      expect(metrics.type).toContain('application/openmetrics-text');
      expect(metrics.body).toContain('kubestitch_informer_state{');
      expect(metrics.body).toMatch(/kubestitch_informer_state\{[^}]*informer="pods.v1"[^}]*state="watching"[^}]*\} 1/);
      expect(metrics.body).toMatch(/kubestitch_informer_restarts_total\{informer="pods.v1"\} 4/);
      // Retrying a failed first list is not a relist (relists mean a watch fell behind compaction).
      expect(metrics.body).toMatch(/kubestitch_informer_relists_total\{informer="pods.v1"\} 0/);
      expect(metrics.body).toContain('# EOF');

      // The viewer answers from the embedded store once the rollout's spans are in.
      const replay = await replayServices(rec);
      const ui = `http://127.0.0.1:${uiPort}`;
      const rollout = `${ui}/api/services/${encodeURIComponent(replay.rolloutService)}/operations`;
      await waitFor(
        rollout,
        (r) => r.status === 200 && (JSON.parse(r.body) as { data: string[] }).data.includes('Deployment rollout'),
        'the rollout in the viewer',
      );
      const services = await get(`${ui}/api/services`);
      const listed = (JSON.parse(services?.body ?? '{}') as { data: string[] }).data;
      expect(listed).toContain(replay.rolloutService);
      for (const s of listed) expect(replay.services).toContain(s);

      run.child.kill('SIGTERM');
      const code = await Promise.race([
        run.exit,
        new Promise<'late'>((r) => setTimeout(() => r('late'), 5_000 + 15_000)),
      ]);
      expect(code, run.stderr().slice(-2000)).toBe(0);
      expect(run.stdout()).toContain(`viewer at http://127.0.0.1:${uiPort}`);
      // And the admin server is gone with it.
      expect(await get(`${admin}/healthz`)).toBeUndefined();
    },
  );

  it('takes the leader lease in the cluster of --context, the one it watches', { timeout: 60_000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ks-run-le-'));
    // The current context points nowhere; --context names the fake apiserver.
    const config = join(dir, 'kubeconfig');
    await writeFile(
      config,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters:',
        '- name: nowhere',
        '  cluster: { server: "http://127.0.0.1:1", insecure-skip-tls-verify: true }',
        '- name: fake',
        `  cluster: { server: "${api.url}", insecure-skip-tls-verify: true }`,
        'users:',
        '- name: u',
        '  user: { token: t }',
        'contexts:',
        '- name: nowhere',
        '  context: { cluster: nowhere, user: u }',
        '- name: fake',
        '  context: { cluster: fake, user: u }',
        'current-context: nowhere',
        '',
      ].join('\n'),
    );
    const adminPort = await freePort();
    const run = spawnKubestitch([
      'run',
      '--kubeconfig',
      config,
      '--context',
      'fake',
      '--leader-elect',
      '--leader-election-namespace',
      'default',
      '--leader-election-lease-name',
      'kubestitch-context-test',
      '--leader-election-identity',
      'replica-a',
      '--data-dir',
      join(dir, 'data'),
      '--out',
      join(dir, 'spans.jsonl'),
      '--admin-addr',
      `127.0.0.1:${adminPort}`,
    ]);
    await waitFor(`http://127.0.0.1:${adminPort}/readyz`, (r) => r.status === 200, 'readiness as the leader');
    const lease = api.get('coordination.k8s.io/v1', 'Lease', 'default', 'kubestitch-context-test');
    expect(lease?.['spec']).toMatchObject({ holderIdentity: 'replica-a' });
    run.child.kill('SIGTERM');
    expect(await run.exit, run.stderr().slice(-2000)).toBe(0);
  });

  it('keeps running on an idle audit log alone until SIGTERM', { timeout: 60_000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ks-run-audit-'));
    const auditLog = join(dir, 'audit.log');
    await writeFile(auditLog, '');
    const out = join(dir, 'spans.jsonl');
    const run = spawnKubestitch([
      'run',
      '--sources',
      'audit',
      '--audit-log-path',
      auditLog,
      '--data-dir',
      join(dir, 'data'),
      '--out',
      out,
    ]);
    await until(() => run.stderr().includes('kubestitch running') || run.child.exitCode !== null, 'the start', 30_000);
    expect(run.child.exitCode, run.stderr()).toBeNull();
    // Nothing to read: an earlier version fell out of its event loop here (exit status 13).
    await appendFile(auditLog, 'not an audit event\n');
    await new Promise((r) => setTimeout(r, 1_500));
    expect(run.child.exitCode, run.stderr()).toBeNull();
    run.child.kill('SIGTERM');
    expect(await run.exit).toBe(0);
  });
});

/** The service names a replay of the scenario gives (what the viewer may list), and the rollout's. */
async function replayServices(
  rec: ReturnType<typeof runScenario>,
): Promise<{ services: string[]; rolloutService: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'ks-run-cmd-replay-'));
  await writeRecording(dir, { ...rec, audit: [] });
  const spans = synthesizeRecords((await readRecording(dir)).records, { cluster: 'e2e' }).flat();
  const service = (s: (typeof spans)[number]): string => String(s.resource.attributes['service.name']);
  const root = spans.find((s) => s.name === 'Deployment rollout' && s.parentSpanId === undefined);
  if (root === undefined) throw new Error('the scenario has no Deployment rollout');
  return { services: [...new Set(spans.map(service))], rolloutService: service(root) };
}

describe('kubestitch run (usage)', () => {
  function io(): { out: string[]; err: string[]; io: { out: (t: string) => void; err: (t: string) => void } } {
    const out: string[] = [];
    const err: string[] = [];
    return { out, err, io: { out: (t) => out.push(t), err: (t) => err.push(t) } };
  }

  it('run --help lists the options and exits 0', async () => {
    const c = io();
    expect(await main(['run', '--help'], c.io)).toBe(0);
    const text = c.out.join('');
    for (const option of [
      '--config FILE',
      '--sources',
      '--kubeconfig',
      '--watch-kinds',
      '--otlp-endpoint',
      '--ui',
      '--admin-addr',
      '--audit-webhook-addr',
      '--leader-elect',
      '--shutdown-deadline-seconds',
    ])
      expect(text).toContain(option);
  });

  it.each([
    [['run', '--bogus'], "kubestitch run: unknown flag --bogus\nSee 'kubestitch run --help'."],
    [['run', 'extra'], 'unexpected argument "extra"'],
    [['run', '--sources', 'watch,tea'], 'unknown source(s) tea'],
    [['run', '--config', '/nonexistent/kubestitch.yaml'], 'cannot read --config /nonexistent/kubestitch.yaml'],
    [['run', '--kubeconfig', '/nonexistent/kubeconfig'], 'cannot load the kubeconfig'],
  ])('%j exits 2 with a message', async (argv, message) => {
    const c = io();
    expect(await main(argv, c.io)).toBe(2);
    expect(c.err.join('')).toContain(message);
  });

  it('refuses a kubeconfig leader election cannot load, also without watching', { timeout: 10_000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ks-run-le-'));
    await writeFile(join(dir, 'audit.log'), '');
    const c = io();
    const argv = ['run', '--sources', 'audit', '--audit-log-path', join(dir, 'audit.log'), '--leader-elect'];
    const more = ['--kubeconfig', '/nonexistent/kubeconfig', '--out', join(dir, 'o.jsonl'), '--data-dir', dir];
    expect(await main([...argv, ...more], c.io)).toBe(2);
    expect(c.err.join('')).toContain('cannot load the kubeconfig');
  });

  it('names the config file and key at fault', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ks-run-cfg-'));
    const config = join(dir, 'bad.yaml');
    await writeFile(config, 'clusterr: x\n');
    const c = io();
    expect(await main(['run', '--config', config], c.io)).toBe(2);
    expect(c.err.join('')).toContain(`${config}: unknown option "clusterr"`);
    expect(await readFile(config, 'utf8')).toBe('clusterr: x\n');
  });
});
