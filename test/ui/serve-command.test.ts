import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { runReplayCommand } from '../../src/cli/replay-command.js';
import { runServeCommand } from '../../src/cli/serve-command.js';
import { openTraceStore } from '../../storage/index.js';
import { captureIo } from '../support/cli-capture.js';

const ROLLOUT = new URL('../../examples/demo/rollout/', import.meta.url).pathname;
const dirs: string[] = [];

afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'ks-serve-'));
  dirs.push(d);
  return d;
}

/** A stop signal the test fires, like SIGINT in main. */
function stopper(): { signal: Promise<string>; stop: () => void } {
  let stop = (): void => undefined;
  const signal = new Promise<string>((resolve) => (stop = () => resolve('SIGINT')));
  return { signal, stop };
}

async function waitFor(read: () => string, re: RegExp, context: () => string = () => ''): Promise<RegExpMatchArray> {
  // Generous: a cold `node --import tsx` start under a loaded CI machine takes seconds.
  for (let i = 0; i < 800; i++) {
    const m = read().match(re);
    if (m !== null) return m;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`no ${re} in ${JSON.stringify(read())} ${context()}`);
}

describe('kubestitch replay --data-dir, then serve --data-dir', () => {
  it('stores the replay on disk and serves it until stopped', async () => {
    const dataDir = await tempDir();
    const replay = captureIo();
    expect(await runReplayCommand({ dir: ROLLOUT, cluster: 'c1', dataDir }, replay.io)).toBe(0);
    expect(replay.err()).toMatch(/125 spans in 4 traces → the trace store in /);

    const serve = captureIo();
    const { signal, stop } = stopper();
    const done = runServeCommand({ dataDir, ui: '127.0.0.1:0', stopSignal: signal }, serve.io);
    const [url] = await waitFor(serve.out, /http:\/\/127\.0\.0\.1:\d+\//);
    expect(serve.err()).toMatch(/4 traces, 125 spans/);
    const body = (await (await fetch(`${url}api/objects?q=shop/web`)).json()) as { data: { name: string }[] };
    expect(body.data[0]?.name).toBe('web');
    stop();
    expect(await done).toBe(0);
    await expect(fetch(`${url}api/services`)).rejects.toThrow();
  });

  it('replay --ui serves the replayed traces from memory and prints the largest trace', async () => {
    const out = captureIo();
    const { signal, stop } = stopper();
    const done = runReplayCommand({ dir: ROLLOUT, cluster: 'c1', ui: '127.0.0.1:0', stopSignal: signal }, out.io);
    const [, traceUrl] = await waitFor(
      out.err,
      /largest trace \(Deployment rollout of Deployment shop\/web, 80 spans\): (\S+)/,
    );
    expect((await fetch(traceUrl ?? '')).status).toBe(200);
    stop();
    expect(await done).toBe(0);
  });

  it('rejects a malformed --ui and a missing --data-dir as usage errors', async () => {
    const a = captureIo();
    expect(await main(['serve'], a.io)).toBe(2);
    expect(a.err()).toMatch(/expected --data-dir DIR/);
    const b = captureIo();
    expect(
      await runServeCommand(
        { dataDir: await tempDir(), ui: 'localhost', stopSignal: new Promise(() => undefined) },
        b.io,
      ),
    ).toBe(2);
    expect(b.err()).toMatch(/invalid listen address "localhost"/);
  });

  it('exits 0 on Ctrl-C (SIGINT) from the real command line', async () => {
    const dataDir = await tempDir();
    // serve reads a store, it does not create one: write an empty one first.
    await (await openTraceStore(dataDir)).close();
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '-e',
        `import('./src/cli/main.ts').then(async (m) => { process.exitCode = await m.main(process.argv.slice(1)); })`,
        'serve',
        '--data-dir',
        dataDir,
        '--ui',
        '127.0.0.1:0',
      ],
      { cwd: new URL('../../', import.meta.url).pathname, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = once(child, 'exit');
    const [url] = await waitFor(
      () => out,
      /http:\/\/127\.0\.0\.1:\d+\//,
      () => `stderr: ${err}`,
    );
    expect((await fetch(`${url}api/services`)).status).toBe(200);
    child.kill('SIGINT');
    const [code] = await exited;
    expect({ code, err }).toMatchObject({ code: 0 });
    expect(err).toMatch(/SIGINT: stopping the viewer/);
  });
});
