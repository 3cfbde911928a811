import { parseArgs } from 'node:util';
import { packageVersion } from '../version.js';
import { SCENARIOS } from '../sim/index.js';
import { runReplayCommand } from './replay-command.js';
import { runSimulateCommand } from './simulate-command.js';

const USAGE_TEMPLATE = `kubestitch — traces of Kubernetes controller work, as OTLP

Usage:
  kubestitch replay <dir> [--out FILE] [--otlp-endpoint URL] [--cluster NAME]
  kubestitch simulate <scenario> <dir> [--no-audit]
  kubestitch --help | --version

Commands:
  replay <dir>   Read a recording directory (watch.jsonl, events.jsonl, audit.log; spans.jsonl
                 is reported and skipped in this version) and export the traces.
  simulate <scenario> <dir>
                 Write the recording of a simulated cluster scenario (deterministic) to <dir>.
                 Scenarios: SCENARIO_LIST.

Options:
  --out FILE            Write OTLP/JSON lines (Collector file-exporter format); replaces FILE.
  --otlp-endpoint URL   Export over OTLP gRPC, e.g. http://localhost:4317.
  --cluster NAME        k8s.cluster.name of every span (default: "default").
  --no-audit            simulate: leave audit.log out (watch + Events only).
  -h, --help            Show this help.
  -v, --version         Print the version.

Exit status: 0 on success, 1 when the recording cannot be read or export fails, 2 on usage errors.
`;

const USAGE = USAGE_TEMPLATE.replace('SCENARIO_LIST', SCENARIOS.join(', '));

/** Output streams, injectable for tests. */
export interface CliIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

const processIo: CliIo = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
};

/** Entry point of the `kubestitch` command. Resolves to the exit status; never throws. */
export async function main(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        out: { type: 'string' },
        'otlp-endpoint': { type: 'string' },
        cluster: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
        'no-audit': { type: 'boolean' },
      },
    });
  } catch (err: unknown) {
    io.err(`kubestitch: ${err instanceof Error ? err.message : String(err)}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help === true) {
    io.out(USAGE);
    return 0;
  }
  if (values.version === true) {
    io.out(`kubestitch ${packageVersion()}\n`);
    return 0;
  }
  const [command, ...rest] = positionals;
  if (command === 'replay') {
    if (rest.length !== 1 || rest[0] === undefined) {
      io.err(`kubestitch replay: expected exactly one recording directory\n\n${USAGE}`);
      return 2;
    }
    return runReplayCommand(
      {
        dir: rest[0],
        cluster: values.cluster ?? 'default',
        ...(values.out !== undefined ? { out: values.out } : {}),
        ...(values['otlp-endpoint'] !== undefined ? { otlpEndpoint: values['otlp-endpoint'] } : {}),
      },
      io,
    );
  }
  if (command === 'simulate') {
    const [scenario, dir, ...extra] = rest;
    if (scenario === undefined || dir === undefined || extra.length > 0) {
      io.err(`kubestitch simulate: expected <scenario> <dir>\n\n${USAGE}`);
      return 2;
    }
    return runSimulateCommand({ scenario, dir, audit: values['no-audit'] !== true }, io);
  }
  io.err(command === undefined ? USAGE : `kubestitch: unknown command "${command}"\n\n${USAGE}`);
  return 2;
}
