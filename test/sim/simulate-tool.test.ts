import { existsSync } from 'node:fs';
import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { simulateMain } from '../../tools/sim/simulate-command.js';
import { captureIo } from '../support/cli-capture.js';

// The simulator is a development tool (`npm run simulate`), not a command of the shipped CLI.
async function simulate(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const c = captureIo();
  const code = await simulateMain(argv, c.io);
  return { code, out: c.out(), err: c.err() };
}

describe('npm run simulate', () => {
  it('writes a scenario recording, with or without audit', async () => {
    const base = await mkdtemp(join(tmpdir(), 'ks-sim-'));
    const r = await simulate(['rolling-update', join(base, 'a')]);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(
      /^simulate: rolling-update → .* \(\d+ watch events, \d+ Event changes, \d+ audit events\)\n$/,
    );
    expect((await readdir(join(base, 'a'))).sort()).toContain('audit.log');
    expect((await simulate(['rolling-update', join(base, 'b'), '--no-audit'])).code).toBe(0);
    expect(existsSync(join(base, 'b', 'audit.log'))).toBe(false);
  });

  it.each([
    [['rolling-update', '/tmp/x', '--out', 'x'], 'unknown flag --out'],
    [['rolling-update'], 'expected <scenario> <dir>'],
    [['rolling-update', '/tmp/x', 'extra'], 'unexpected argument "extra"'],
    [['rolling-out', '/tmp/x'], 'unknown scenario "rolling-out"; one of: rolling-update'],
    [['rolling-update', '/tmp/x', '--no-audit=yes'], 'flag --no-audit takes no value'],
  ])('%j is a usage error (exit 2)', async (argv, reason) => {
    const r = await simulate(argv);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^simulate: .*\nSee 'npm run simulate -- --help'\.\n$/);
    expect(r.err).toContain(`simulate: ${reason}`);
  });

  it('--help prints its usage', async () => {
    const r = await simulate(['--help']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('Usage: npm run simulate -- <scenario> <dir> [--no-audit]');
  });

  it('a path it cannot create is said in words (exit 1)', async () => {
    const file = join(await mkdtemp(join(tmpdir(), 'ks-sim-')), 'a-file');
    await writeFile(file, '');
    const r = await simulate(['rolling-update', join(file, 'rec')]);
    expect(r.code).toBe(1);
    expect(r.err).toBe(`simulate: cannot write ${join(file, 'rec')}: a part of the path is not a directory\n`);
  });

  it('is not a command of the kubestitch CLI', async () => {
    const c = captureIo();
    expect(await main(['simulate', 'rolling-update', '/tmp/x'], c.io)).toBe(2);
    expect(c.err()).toContain('unknown command "simulate"');
  });
});
