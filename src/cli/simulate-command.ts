import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { SCENARIOS, runScenario, writeRecording } from '../sim/index.js';
import type { CliIo } from './main.js';
import { describeFsError } from './args.js';
import { usageErrorText } from './usage.js';

export interface SimulateCommandOptions {
  readonly scenario: string;
  readonly dir: string;
  readonly audit: boolean;
}

/** `kubestitch simulate`: writes a scenario's recording; resolves to the exit status, never throws. */
export async function runSimulateCommand(options: SimulateCommandOptions, io: CliIo): Promise<number> {
  const scenario = SCENARIOS.find((s) => s === options.scenario);
  if (scenario === undefined) {
    io.err(usageErrorText('simulate', `unknown scenario "${options.scenario}"; one of: ${SCENARIOS.join(', ')}`));
    return 2;
  }
  const rec = runScenario(scenario);
  try {
    await writeRecording(options.dir, options.audit ? rec : { ...rec, audit: [] });
    // Without audit the recording is watch + Events only; an empty audit.log would say otherwise.
    if (!options.audit) await rm(join(options.dir, 'audit.log'), { force: true });
  } catch (err: unknown) {
    io.err(`kubestitch simulate: cannot write ${options.dir}: ${describeFsError(err)}\n`);
    return 1;
  }
  const audit = options.audit ? `, ${rec.audit.length} audit events` : '';
  io.err(
    `kubestitch simulate: ${scenario} → ${options.dir} (${rec.watch.length} watch events, ${rec.events.length} Event changes${audit})\n`,
  );
  return 0;
}
