import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { runReplayCommand } from '../../src/cli/replay-command.js';
import { captureIo } from '../support/cli-capture.js';
import { redactAnnotations } from '../../src/sources/redact.js';

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const c = captureIo();
  const code = await main(argv, c.io);
  return { code, out: c.out(), err: c.err() };
}

const EXAMPLE = new URL('../../examples/rolling-update/', import.meta.url).pathname;

describe('per-command help', () => {
  it.each([
    ['replay', '--otlp-endpoint URL'],
    ['serve', '--data-dir DIR'],
    ['record', '--watch-kinds LIST'],
    ['run', '--shutdown-deadline-seconds'],
    ['trace', '--server URL'],
    ['help', 'kubestitch help [command]'],
    ['version', 'kubestitch version'],
  ])('%s --help, -h and `help %s` print that command’s usage, not the global help', async (command, flag) => {
    for (const argv of [
      [command, '--help'],
      [command, '-h'],
      ['help', command],
    ]) {
      const r = await run(argv);
      expect(r.code).toBe(0);
      expect(r.out).toContain(`Usage: kubestitch ${command}`);
      expect(r.out).toContain(flag);
      expect(r.out).not.toContain('Commands:');
    }
  });

  it('the global help lists every command and points at per-command help', async () => {
    for (const argv of [['--help'], ['help']]) {
      const r = await run(argv);
      expect(r.code).toBe(0);
      for (const c of ['replay', 'trace', 'run', 'record', 'serve', 'help', 'version']) {
        expect(r.out).toMatch(new RegExp(`^  ${c}\\b`, 'm'));
      }
      expect(r.out).toContain("Use 'kubestitch <command> --help'");
      expect(r.out.split('\n').length).toBeLessThan(25);
    }
  });

  it('version and --version print the version', async () => {
    for (const argv of [['version'], ['--version'], ['-v']]) {
      const r = await run(argv);
      expect(r).toMatchObject({ code: 0 });
      expect(r.out).toMatch(/^kubestitch \d+\.\d+\.\d+\n$/);
    }
  });
});

describe('usage errors: one kubectl-style line, a pointer to the help, exit 2', () => {
  it.each([
    [['replay', 'x', '--bogus'], 'replay', 'unknown flag --bogus'],
    [['replay', 'x', '--out'], 'replay', 'flag needs an argument: --out'],
    [['replay'], 'replay', 'expected exactly one recording directory'],
    [['replay', 'a', 'b'], 'replay', 'unexpected argument "b"'],
    [['replay', EXAMPLE, '--otlp-endpoint', 'notaurl'], 'replay', '--otlp-endpoint must be a URL'],
    [
      ['replay', EXAMPLE, '--otlp-endpoint', 'ftp://h:1'],
      'replay',
      '--otlp-endpoint must be an http:// or https:// URL',
    ],
    [['replay', EXAMPLE, '--stitch', 'glue'], 'replay', '--stitch must be reparent or link'],
    [['replay', EXAMPLE, '--stitch-hold-ms', 'soon'], 'replay', '--stitch-hold-ms must be a number'],
    [['replay', EXAMPLE, '--adoption-window', 'soon'], 'replay', '--adoption-window must be a duration'],
    [['run', '--adoption-window', '-1s'], 'run', '--adoption-window must be a duration'],
    [['replay', EXAMPLE, '--ui', 'localhost'], 'replay', '--ui: invalid listen address "localhost"'],
    [['serve', '--data-dir', '/tmp', '--ui', '99999'], 'serve', '--ui: invalid listen address "99999"'],
    [['serve', '--stitch', 'bogus'], 'serve', 'unknown flag --stitch'],
    [['serve'], 'serve', 'expected --data-dir DIR'],
    [['serve', 'dir'], 'serve', 'unexpected argument "dir"'],
    [['record'], 'record', 'expected exactly one directory'],
    [['record', 'd', '--out', 'x'], 'record', 'unknown flag --out'],
    [['run', '--otlp-endpoint', 'notaurl'], 'run', '--otlp-endpoint must be a URL'],
    [['trace', 'deploy/web'], 'trace', 'give exactly one of --from DIR, --data-dir DIR, --server URL'],
    [['trace', 'web', '--from', EXAMPLE], 'trace', 'expected <kind>/<name>'],
    [['trace', 'deploy/web', '--server', 'localhost'], 'trace', '--server must be a URL'],
    [['trace', 'deploy/web', '--from', EXAMPLE, '--data-dir', 'd'], 'trace', 'give exactly one of'],
    [['help', 'frobnicate'], 'help', 'unknown command "frobnicate"'],
    [['version', 'extra'], 'version', 'unexpected argument "extra"'],
  ])('%j', async (argv, command, reason) => {
    const r = await run(argv);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`kubestitch ${command}: ${reason}`);
    expect(r.err).toContain(`See 'kubestitch ${command} --help'.\n`);
    // Not node's parser message (with its dangling quote), not the global help.
    expect(r.err).not.toMatch(/Unknown option|To specify a positional|Commands:/);
    expect(r.err.trim().split('\n')).toHaveLength(2);
  });

  it('an unknown command or top-level flag', async () => {
    for (const [argv, reason] of [
      [['frobnicate'], 'unknown command "frobnicate"'],
      [['--bogus'], 'unknown flag --bogus'],
    ] as const) {
      const r = await run([...argv]);
      expect(r.code).toBe(2);
      expect(r.err).toBe(`kubestitch: ${reason}\nSee 'kubestitch --help'.\n`);
    }
  });

  it('no arguments at all prints the global help on stderr, exit 2', async () => {
    const r = await run([]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('Usage: kubestitch <command>');
  });
});

describe('runtime failures: human text, exit 1', () => {
  it('a missing recording directory: one line, no "no output given", no errno code', async () => {
    const r = await run(['replay', '/nonexistent/recording']);
    expect(r.code).toBe(1);
    expect(r.err).toBe(
      'kubestitch replay: cannot read recording directory /nonexistent/recording: no such file or directory\n',
    );
  });

  it('a recording with no valid record exits 1', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ks-usage-'));
    await writeFile(join(dir, 'watch.jsonl'), 'garbage\n{"not":"a watch event"}\n');
    const r = await run(['replay', dir]);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`no valid record in ${dir}`);
  });

  it('serve refuses a directory that holds no store, and does not create one', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'ks-usage-'));
    const r = await run(['serve', '--data-dir', empty]);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`--data-dir ${empty} holds no kubestitch store`);
    expect(await readdir(empty)).toEqual([]);
    const missing = await run(['serve', '--data-dir', join(empty, 'typo')]);
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('no such file or directory');
    expect(await readdir(empty)).toEqual([]);
  });

  it('an --out that cannot be written names the flag and says why in words', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ks-usage-'));
    const r = await run(['replay', EXAMPLE, '--out', dir]);
    expect(r.code).toBe(1);
    expect(r.err).toBe(`kubestitch replay: cannot write --out ${dir}: it is a directory\n`);
  });
});

describe('replay without an output', () => {
  it('prints the operations by kind and outcome and the five slowest', async () => {
    const r = await run(['replay', EXAMPLE]);
    expect(r.code).toBe(0);
    expect(r.err).not.toContain('counted only');
    expect(r.out).toMatch(/^ {2}pod startup +3 +3 ok$/m);
    expect(r.out).toMatch(/^ {2}Deployment rollout +1 +1 ok$/m);
    const slowest = r.out.slice(r.out.indexOf('Slowest:')).trim().split('\n').slice(1);
    expect(slowest).toHaveLength(5);
    expect(slowest[0]).toMatch(/34\.186s +Deployment rollout of Deployment shop\/web +\(ok\)/);
  });
});

describe('replay progress', () => {
  it('draws a \\r progress line with % and records/s once the replay runs long, then clears it', async () => {
    let err = '';
    let t = 0;
    // A clock that moves 1 ms per read: the 139-record example "runs" long enough to show.
    const code = await runReplayCommand(
      { dir: EXAMPLE, cluster: 'default', progress: { afterMs: 0, everyMs: 0, nowMs: () => (t += 1) } },
      { out: () => undefined, err: (s) => (err += s) },
    );
    expect(code).toBe(0);
    // eslint-disable-next-line no-control-regex
    expect(err).toMatch(/\rkubestitch: replaying 100% of 139 records, [\d,]+ records\/s\u001b\[K/);
    expect(err).toMatch(/\rkubestitch: reading 100% of 0\.\d MB/);
    expect(err).toContain('\r\u001b[K');
    // The summary lines come after the cleared line, on a line of their own.
    expect(err.slice(err.lastIndexOf('\r\u001b[K'))).toContain('kubestitch replay: 139 records from');
  });

  it('prints nothing for a short replay or without a terminal', async () => {
    let err = '';
    await runReplayCommand(
      { dir: EXAMPLE, cluster: 'default', progress: {} },
      { out: () => undefined, err: (s) => (err += s) },
    );
    expect(err).not.toContain('\r');
    const r = await run(['replay', EXAMPLE]);
    expect(r.err).not.toContain('\r');
  });
});

describe('--redact-annotations', () => {
  it('drops the named annotations from what replay exports, on top of the defaults', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ks-redact-'));
    const out = join(dir, 'spans.jsonl');
    try {
      const r = await run([
        'replay',
        EXAMPLE,
        '--out',
        out,
        '--redact-annotations',
        'deployment.kubernetes.io/revision',
      ]);
      expect(r.code).toBe(0);
      const text = await readFile(out, 'utf8');
      expect(text).not.toContain('deployment.kubernetes.io/revision');
      // The setting is per process (one command each); tests share one, so set it back.
      redactAnnotations([]);
      const plain = join(dir, 'plain.jsonl');
      expect((await run(['replay', EXAMPLE, '--out', plain])).code).toBe(0);
      expect(await readFile(plain, 'utf8')).toContain('deployment.kubernetes.io/revision');
    } finally {
      redactAnnotations([]);
    }
  });

  it('is a usage error for a regex that does not compile', async () => {
    const r = await run(['replay', EXAMPLE, '--redact-annotations', '/(/']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('kubestitch replay: --redact-annotations: Invalid regular expression');
  });
});
