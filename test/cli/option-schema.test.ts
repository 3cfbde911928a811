import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { OPTIONS, optionsOf } from '../../src/cli/option-schema.js';
import type { CommandName } from '../../src/cli/option-schema.js';
import { RUN_USAGE } from '../../src/cli/run-command.js';
import { resolveRunSettings } from '../../src/cli/run-config.js';
import { COMMAND_USAGE } from '../../src/cli/usage.js';
import { captureIo } from '../support/cli-capture.js';
import { flagsIn } from '../chart/doc-commands.js';

async function run(argv: string[]): Promise<{ code: number; err: string }> {
  const c = captureIo();
  const code = await main(argv, c.io);
  return { code, err: c.err() };
}

const COMMANDS: readonly CommandName[] = ['replay', 'run', 'record', 'serve', 'trace'];

function usageOf(command: CommandName): string {
  return command === 'run' ? RUN_USAGE : (COMMAND_USAGE[command] ?? '');
}

describe('option schema', () => {
  describe('a flag of another command', () => {
    // Each refused before any work starts: no recording is read, no cluster is dialled.
    it.each([
      [['serve', '--stitch', 'bogus'], 'serve', '--stitch'],
      [['serve', '--data-dir', '/tmp', '--out', 'x'], 'serve', '--out'],
      [['record', '/tmp/rec', '--otlp-endpoint', 'x'], 'record', '--otlp-endpoint'],
      [['record', '/tmp/rec', '--stitch', 'link'], 'record', '--stitch'],
      [['replay', '/tmp/rec', '--leader-elect'], 'replay', '--leader-elect'],
      [['replay', '/tmp/rec', '--kubeconfig', 'k'], 'replay', '--kubeconfig'],
      [['run', '--stitch-hold-ms', '10'], 'run', '--stitch-hold-ms'],
      [['run', '--from', 'dir'], 'run', '--from'],
      [['trace', 'deploy/web', '--from', '/tmp/rec', '--stitch', 'link'], 'trace', '--stitch'],
      [['trace', 'deploy/web', '--from', '/tmp/rec', '--out', 'x'], 'trace', '--out'],
      [['version', '--out', 'x'], 'version', '--out'],
      [['help', '--cluster', 'x'], 'help', '--cluster'],
    ])('%j is a usage error, exit 2', async (argv, command, flag) => {
      const r = await run(argv);
      expect(r.code).toBe(2);
      expect(r.err).toBe(`kubestitch ${command}: unknown flag ${flag}\nSee 'kubestitch ${command} --help'.\n`);
    });
  });

  describe('values checked once, by the parser', () => {
    it.each([
      [['run', '--stitch', 'bogus'], 'run', '--stitch must be reparent or link, got bogus'],
      [['replay', '/nonexistent', '--stitch', 'glue'], 'replay', '--stitch must be reparent or link, got glue'],
      [['run', '--spool-max-bytes', '0'], 'run', '--spool-max-bytes must be a positive number, got 0'],
      [['run', '--sources', 'watch,logs'], 'run', '--sources: unknown source(s) logs'],
      [['record', '/tmp/rec', '--watch-kinds', 'secrets.v1'], 'record', '--watch-kinds "secrets.v1"'],
      [['record', '/tmp/rec', '--redact-annotations', '/(/'], 'record', '--redact-annotations: Invalid regular'],
    ])('%j', async (argv, command, reason) => {
      const r = await run(argv);
      expect(r.code).toBe(2);
      expect(r.err).toContain(`kubestitch ${command}: ${reason}`);
    });

    it('refuses a bad value of run before reading its config file', async () => {
      // The file does not exist: the flag is what is reported, not the file.
      const r = await run(['run', '--config', '/nonexistent/kubestitch.yaml', '--stitch', 'glue']);
      expect(r.code).toBe(2);
      expect(r.err).toContain('--stitch must be reparent or link, got glue');
    });

    it('checks a config file value with the same check as the flag', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'ks-schema-'));
      const config = join(dir, 'kubestitch.yaml');
      await writeFile(config, 'stitch: glue\n');
      const r = await run(['run', '--config', config]);
      expect(r.code).toBe(2);
      expect(r.err).toContain('kubestitch run: --stitch must be reparent or link, got glue');
    });

    it('refuses a config file key that is a flag of another command only', () => {
      expect(resolveRunSettings({}, 'stitch-hold-ms: 10\n', 'kubestitch.yaml')).toBe(
        'kubestitch.yaml: unknown option "stitch-hold-ms"',
      );
      expect(resolveRunSettings({}, 'json: true\n', 'kubestitch.yaml')).toBe('kubestitch.yaml: unknown option "json"');
    });
  });

  describe('each command’s help', () => {
    it.each(COMMANDS)('%s lists exactly the flags the schema gives it', (command) => {
      const documented = new Set(flagsIn(usageOf(command)).filter((f) => f !== 'help'));
      expect([...documented].sort()).toEqual(Object.keys(optionsOf(command)).sort());
    });

    it('gives every flag to at least one command', () => {
      const taken = new Set(COMMANDS.flatMap((c) => Object.keys(optionsOf(c))));
      expect([...taken].sort()).toEqual(Object.keys(OPTIONS).sort());
    });
  });
});
