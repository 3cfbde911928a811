/**
 * `npm run simulate -- <scenario> <dir> [--no-audit]`: writes a simulator scenario's recording.
 * A development tool (examples, tests, the bench): the simulator is not part of the shipped
 * package, whose traces come from real clusters.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError, describeFsError, parseCommandArgs } from '../../src/cli/args.js';
import type { CliIo } from '../../src/cli/main.js';
import { SCENARIOS, runScenario, writeRecording } from './index.js';

export const SIMULATE_USAGE = `Usage: npm run simulate -- <scenario> <dir> [--no-audit]

Writes the recording of a deterministic simulated cluster scenario to <dir>: watch events, Events
and audit log, as the simulator's cluster would have written them.
Scenarios: ${SCENARIOS.join(', ')}

Flags:
  --no-audit            leave audit.log out (watch + Events only)
  -h, --help            show this help

Exit status: 0 success, 1 runtime failure, 2 usage error.
`;

export interface SimulateCommandOptions {
  readonly scenario: string;
  readonly dir: string;
  readonly audit: boolean;
}

/** Parses the command line and runs it; resolves to the exit status, never throws. */
export async function simulateMain(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    const args = parseCommandArgs(argv, { 'no-audit': { type: 'boolean' } });
    if (args.values['help'] === true) {
      io.out(SIMULATE_USAGE);
      return 0;
    }
    const [scenario, dir, extra] = args.positionals;
    if (extra !== undefined) throw new UsageError(`unexpected argument ${JSON.stringify(extra)}`);
    if (scenario === undefined || dir === undefined) throw new UsageError('expected <scenario> <dir>');
    return await runSimulateCommand({ scenario, dir, audit: args.values['no-audit'] !== true }, io);
  } catch (err: unknown) {
    if (!(err instanceof UsageError)) throw err;
    io.err(`simulate: ${err.message}\nSee 'npm run simulate -- --help'.\n`);
    return 2;
  }
}

/** Writes the scenario's recording; resolves to the exit status, never throws. */
export async function runSimulateCommand(options: SimulateCommandOptions, io: CliIo): Promise<number> {
  const scenario = SCENARIOS.find((s) => s === options.scenario);
  if (scenario === undefined) {
    throw new UsageError(`unknown scenario "${options.scenario}"; one of: ${SCENARIOS.join(', ')}`);
  }
  const rec = runScenario(scenario);
  try {
    await writeRecording(options.dir, options.audit ? rec : { ...rec, audit: [] });
    // Without audit the recording is watch + Events only; an empty audit.log would say otherwise.
    if (!options.audit) await rm(join(options.dir, 'audit.log'), { force: true });
  } catch (err: unknown) {
    io.err(`simulate: cannot write ${options.dir}: ${describeFsError(err)}\n`);
    return 1;
  }
  const audit = options.audit ? `, ${rec.audit.length} audit events` : '';
  io.err(
    `simulate: ${scenario} → ${options.dir} (${rec.watch.length} watch events, ${rec.events.length} Event changes${audit})\n`,
  );
  return 0;
}
