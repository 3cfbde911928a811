/**
 * `npm run e2e`: kubestitch against a real control plane (scripts/e2e-cluster.sh).
 *
 * 1. Builds or reuses the binaries, prepares certificates, starts `kubestitch run` (informers,
 *    audit webhook over TLS with a token, OTLP receiver behind a tee, --out, --ui) and
 *    `kubestitch record`, then the cluster, whose apiserver audits to the webhook and the log file
 *    and traces (with etcd) to the OTLP port.
 * 2. Drives the workloads of e2e/lib/scenarios.ts with kubectl, waits until the cluster is quiet.
 * 3. Stops kubestitch (SIGTERM) and the cluster, keeps everything in test-artifacts/e2e/:
 *    spans.jsonl (what run exported), recording/ (watch.jsonl, events.jsonl, audit.log,
 *    spans.jsonl of the apiserver and etcd), versions.json, logs; replays recording/ into
 *    replay-spans.jsonl.
 * 4. Runs the assertions (vitest.e2e.config.ts, e2e/tests/) on those artifacts.
 *
 * Flags: --keep (leave cluster and kubestitch running, print how to use them), --assert-only
 * (step 4 on the artifacts of an earlier run), --scenarios a,b (a subset of SCENARIOS).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kubectl } from './lib/kubectl.js';
import { OtlpTee } from './lib/otlp-tee.js';
import { SCENARIOS } from './lib/scenarios.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const ART = join(ROOT, 'test-artifacts/e2e');
const CLUSTER = join(ART, 'cluster');
const REC = join(ART, 'recording');
const CLI = join(ROOT, 'test/support/kubestitch-cli.ts');
const PORTS = { otlpTee: 24317, otlp: 24327, otlpHttp: 24328, webhook: 28443, ui: 26686, admin: 29090 };
const args = new Set(process.argv.slice(2));
// The apiserver's --audit-webhook-batch-max-wait (scripts/e2e-cluster.sh reads the same variable):
// docs/audit.md recommends 1 s; 10 s is what a tuned-for-volume cluster may run.
const BATCH_WAIT_S = Number.parseInt(process.env['E2E_WEBHOOK_BATCH_WAIT'] ?? '1s', 10) || 1;
const scenarioArg = process.argv.slice(2).find((a) => a.startsWith('--scenarios='));

const log = (msg: string): void => console.error(`e2e ${new Date().toISOString().slice(11, 23)} ${msg}`);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function cluster(cmd: 'prepare' | 'up' | 'down'): void {
  execFileSync('bash', [join(ROOT, 'scripts/e2e-cluster.sh'), cmd, CLUSTER], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, E2E_OTLP_GRPC_PORT: String(PORTS.otlpTee), E2E_WEBHOOK_PORT: String(PORTS.webhook) },
  });
}

function kubestitch(name: string, cliArgs: string[]): ChildProcess {
  const out = join(ART, `${name}.log`);
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...cliArgs], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const chunks: Buffer[] = [];
  child.stdout?.on('data', (d: Buffer) => chunks.push(d));
  child.stderr?.on('data', (d: Buffer) => chunks.push(d));
  child.on('exit', () => writeFileSync(out, Buffer.concat(chunks)));
  return child;
}

async function stop(child: ChildProcess, name: string): Promise<void> {
  if (child.exitCode !== null) {
    log(`${name} had already exited with ${child.exitCode}`);
    return;
  }
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  await Promise.race([exited, sleep(30_000)]);
  if (child.exitCode === null && child.signalCode === null) {
    log(`${name} ignored SIGTERM for 30 s; killing it`);
    child.kill('SIGKILL');
    await exited;
  }
}

function versions(): Record<string, string> {
  const bin = readFileSync(join(CLUSTER, 'bin-dir'), 'utf8').trim();
  const v = (file: string, ...a: string[]): string => execFileSync(file, a, { encoding: 'utf8' }).trim();
  return {
    'kube-apiserver': v(join(bin, 'kube-apiserver'), '--version'),
    'kube-controller-manager': v(join(bin, 'kube-controller-manager'), '--version'),
    'kube-scheduler': v(join(bin, 'kube-scheduler'), '--version'),
    etcd: v(join(bin, 'etcd'), '--version').split('\n')[0] ?? '',
    kwok: v(join(bin, 'kwok'), '--version'),
    kubectl: v(join(ROOT, '.tools/bin/kubectl'), 'version', '--client'),
    node: process.version,
    kubestitch: JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version as string,
  };
}

/** Waits until `kubestitch run` answers /readyz (every informer synced), at most 60 s. */
async function ready(child: ChildProcess): Promise<void> {
  for (let i = 0; i < 120; i++) {
    if (child.exitCode !== null) throw new Error(`kubestitch run exited with ${child.exitCode} (see run.log)`);
    const ok = await fetch(`http://127.0.0.1:${PORTS.admin}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await sleep(500);
  }
  throw new Error('kubestitch run not ready after 60 s');
}

/** Waits until no pod in an e2e namespace is being created or deleted (the stuck one excepted). */
async function quiet(k: Kubectl): Promise<void> {
  await k.until(
    'the e2e namespaces to settle',
    async () => {
      const pods = await k.json<{
        items: { metadata: { namespace: string; deletionTimestamp?: string }; status?: { phase?: string } }[];
      }>(['get', 'pods', '-A']);
      return pods.items
        .filter((p) => p.metadata.namespace.startsWith('e2e-') && p.metadata.namespace !== 'e2e-stuck')
        .every((p) => p.metadata.deletionTimestamp === undefined && p.status?.phase !== 'Pending');
    },
    120_000,
  );
}

async function drive(): Promise<void> {
  rmSync(ART, { recursive: true, force: true });
  mkdirSync(REC, { recursive: true });
  cluster('prepare');
  writeFileSync(join(CLUSTER, 'webhook-tokens'), readFileSync(join(CLUSTER, 'webhook-token')));
  const tee = new OtlpTee();
  await tee.start(PORTS.otlpTee, join(REC, 'spans.jsonl'), `127.0.0.1:${PORTS.otlp}`);
  let record: ChildProcess | undefined;
  let run: ChildProcess | undefined;
  try {
    // kubestitch starts once the apiserver serves (it reads discovery at start); the apiserver
    // retries audit batches its webhook refused meanwhile.
    cluster('up');
    run = kubestitch('run', [
      'run',
      ...['--kubeconfig', join(CLUSTER, 'kubestitch.kubeconfig'), '--cluster', 'e2e'],
      ...['--data-dir', join(ART, 'kubestitch-data'), '--out', join(ART, 'spans.jsonl')],
      ...['--ui', `127.0.0.1:${PORTS.ui}`, '--admin-addr', `127.0.0.1:${PORTS.admin}`],
      ...['--audit-webhook-addr', `127.0.0.1:${PORTS.webhook}`],
      ...['--audit-tls-cert', join(CLUSTER, 'pki/kubestitch-webhook.crt')],
      ...['--audit-tls-key', join(CLUSTER, 'pki/kubestitch-webhook.key')],
      ...['--audit-webhook-token-file', join(CLUSTER, 'webhook-tokens')],
      ...['--otlp-grpc-addr', `127.0.0.1:${PORTS.otlp}`, '--otlp-http-addr', `127.0.0.1:${PORTS.otlpHttp}`],
      // Leader election as the chart runs it, so the real apiserver judges the Lease writes.
      ...['--leader-elect', '--leader-election-namespace', 'default', '--leader-election-identity', 'e2e-kubestitch'],
    ]);
    await ready(run);
    record = kubestitch('record', ['record', REC, '--kubeconfig', join(CLUSTER, 'kubestitch.kubeconfig')]);
    // Its initial lists hold the nodes: once they are written, the recording sees every change.
    for (
      let i = 0;
      i < 60 && !(existsSync(join(REC, 'watch.jsonl')) && statSync(join(REC, 'watch.jsonl')).size > 0);
      i++
    ) {
      await sleep(500);
    }
    const k = new Kubectl(join(CLUSTER, 'kubeconfig'));
    const names = scenarioArg?.slice('--scenarios='.length).split(',') ?? Object.keys(SCENARIOS);
    const started = Date.now();
    await Promise.all(
      names.map(async (name) => {
        const fn = SCENARIOS[name as keyof typeof SCENARIOS];
        if (fn === undefined) throw new Error(`unknown scenario ${name}`);
        const t0 = Date.now();
        await fn(k);
        log(`scenario ${name} done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      }),
    );
    await quiet(k);
    // Past the adoption window (15 s) and a webhook batch, so the last operations are exported.
    await sleep(16_000 + BATCH_WAIT_S * 1000);
    log(`workloads driven in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    // What the viewer lists as in progress now: the stuck rollout, waiting on its unready pods.
    const open = await fetch(`http://127.0.0.1:${PORTS.ui}/api/open-operations`).then(
      (r) => r.text(),
      (err: unknown) => JSON.stringify({ error: String(err) }),
    );
    writeFileSync(join(ART, 'open-operations.json'), open);
    // And the stuck rollout's trace as the viewer gets it: exported spans plus the open ones.
    const stuckTrace = /"traceID":"([0-9a-f]{32})"[^}]*"namespace":"e2e-stuck"/.exec(open)?.[1] ?? 'none';
    const trace = await fetch(`http://127.0.0.1:${PORTS.ui}/api/traces/${stuckTrace}`).then(
      (r) => r.text(),
      (err: unknown) => JSON.stringify({ error: String(err) }),
    );
    writeFileSync(join(ART, 'open-trace.json'), trace);
    writeFileSync(
      join(ART, 'lease.json'),
      JSON.stringify(await k.json(['get', 'lease', 'kubestitch', '-n', 'default', '-o', 'json']), null, 2),
    );
    writeFileSync(join(ART, 'kubectl.log'), k.log.join('\n') + '\n');
    writeFileSync(join(ART, 'versions.json'), JSON.stringify(versions(), null, 2) + '\n');
    if (args.has('--keep')) {
      log(`kept running. kubectl --kubeconfig ${join(CLUSTER, 'kubeconfig')} get pods -A`);
      log(
        `viewer: http://127.0.0.1:${PORTS.ui}/   stop: scripts/e2e-cluster.sh down ${CLUSTER}; kill ${run.pid ?? ''}`,
      );
      await new Promise(() => undefined);
    }
  } finally {
    if (!args.has('--keep')) {
      // What the components sent so far reaches kubestitch before it stops; what they send after
      // that (shutdown spans) is dropped by the tee and counted.
      await tee.drain();
      if (record !== undefined) await stop(record, 'kubestitch record');
      if (run !== undefined) await stop(run, 'kubestitch run');
      await tee.stop();
      cluster('down');
      if (existsSync(join(CLUSTER, 'audit.log'))) copyFileSync(join(CLUSTER, 'audit.log'), join(REC, 'audit.log'));
    }
  }
  log(`tee: ${tee.requests} OTLP requests, ${tee.forwardErrors} refused forwards retried, ${tee.dropped} dropped`);
  execFileSync(
    process.execPath,
    ['--import', 'tsx', CLI, 'replay', REC, '--cluster', 'e2e', '--out', join(ART, 'replay-spans.jsonl')],
    {
      cwd: ROOT,
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
}

async function main(): Promise<number> {
  const t0 = Date.now();
  if (!args.has('--assert-only')) await drive();
  log(`artifacts ready after ${((Date.now() - t0) / 1000).toFixed(1)} s; asserting`);
  // The JSON report is how .ci/run adds the e2e tests to its passed/failed line.
  const report = ['--reporter=default', '--reporter=json', '--outputFile.json=test-artifacts/vitest-e2e.json'];
  const vitestMain = join(ROOT, 'node_modules/vitest/vitest.mjs');
  const vitest = spawn(process.execPath, [vitestMain, 'run', '--config', 'vitest.e2e.config.ts', ...report], {
    cwd: ROOT,
    stdio: 'inherit',
  });
  return new Promise((resolve) => vitest.once('exit', (code) => resolve(code ?? 1)));
}

process.exitCode = await main();
