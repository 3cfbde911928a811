import { parseArgs } from 'node:util';
import { packageVersion } from '../version.js';
import { SCENARIOS } from '../sim/index.js';
import { runReplayCommand } from './replay-command.js';
import { RUN_USAGE, runRunCommand } from './run-command.js';
import { runRecordCommand } from './record-command.js';
import { runServeCommand } from './serve-command.js';
import { runSimulateCommand } from './simulate-command.js';

const USAGE_TEMPLATE = `kubestitch — traces of Kubernetes controller work, as OTLP

Usage:
  kubestitch replay <dir> [--out FILE] [--otlp-endpoint URL] [--cluster NAME] [--stitch MODE]
                 [--ui ADDR] [--data-dir DIR]
  kubestitch serve --data-dir DIR [--ui ADDR]
  kubestitch run [--config FILE] [options]        (kubestitch run --help lists them)
  kubestitch record <dir> [--kubeconfig FILE] [--context NAME] [--watch-kinds LIST]
  kubestitch simulate <scenario> <dir> [--no-audit]
  kubestitch --help | --version

Commands:
  replay <dir>   Read a recording directory (watch.jsonl, events.jsonl, audit.log, spans.jsonl)
                 and export the traces, with the real component spans stitched in.
  run            The long-running service: watches the cluster (objects, Events), takes audit
                 events and real component spans, and exports the traces until SIGTERM —
                 durably: a restart continues open operations (see kubestitch run --help).
  record <dir>   Capture a live cluster's watch events and Events (with receive times) into a
                 recording directory until Ctrl-C, for a bug report or a later replay.
  serve          Serve the embedded trace store of --data-dir: the web viewer and a
                 Jaeger-compatible query API (Grafana's Jaeger data source works), until Ctrl-C.
  simulate <scenario> <dir>
                 Write the recording of a simulated cluster scenario (deterministic) to <dir>.
                 Scenarios: SCENARIO_LIST.

Options:
  --out FILE            Write OTLP/JSON lines (Collector file-exporter format); replaces FILE.
  --otlp-endpoint URL   Export over OTLP gRPC, e.g. http://localhost:4317.
  --cluster NAME        k8s.cluster.name of every span (default: "default").
  --stitch MODE         replay: how real spans of spans.jsonl join the traces: reparent (default)
                        moves each matched trace under its pseudo-span; link only adds span links.
  --stitch-hold-ms MS   replay: how long a real span waits for its audit record (default 10000).
  --ui ADDR             replay, serve: serve the viewer and query API on [HOST]:PORT
                        (default for serve 127.0.0.1:16686); replay then keeps serving until Ctrl-C.
  --data-dir DIR        replay: also store the traces in DIR's embedded trace store
                        (without it, replay --ui keeps them in memory).
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

function stopSignal(): Promise<string> {
  return new Promise((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
}

/** Entry point of the `kubestitch` command. Resolves to the exit status; never throws. */
export async function main(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  // run and record have option sets of their own (run's doubles as its config file's keys).
  if (argv[0] === 'run') {
    if (argv.includes('--help') || argv.includes('-h')) {
      io.out(RUN_USAGE);
      return 0;
    }
    return runRunCommand(argv.slice(1), io, stopSignal());
  }
  if (argv[0] === 'record') return runRecordCommand(argv.slice(1), io, stopSignal());
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
        stitch: { type: 'string' },
        'stitch-hold-ms': { type: 'string' },
        'data-dir': { type: 'string' },
        ui: { type: 'string' },
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
    const stitch = values.stitch;
    if (stitch !== undefined && stitch !== 'reparent' && stitch !== 'link') {
      io.err(`kubestitch replay: --stitch must be reparent or link, got ${stitch}\n`);
      return 2;
    }
    const holdMs = values['stitch-hold-ms'] === undefined ? undefined : Number(values['stitch-hold-ms']);
    if (holdMs !== undefined && !(Number.isFinite(holdMs) && holdMs >= 0)) {
      io.err(`kubestitch replay: --stitch-hold-ms must be a number of milliseconds\n`);
      return 2;
    }
    return runReplayCommand(
      {
        ...(stitch !== undefined ? { stitchMode: stitch } : {}),
        ...(holdMs !== undefined ? { holdMs } : {}),
        dir: rest[0],
        cluster: values.cluster ?? 'default',
        ...(values.out !== undefined ? { out: values.out } : {}),
        ...(values['otlp-endpoint'] !== undefined ? { otlpEndpoint: values['otlp-endpoint'] } : {}),
        ...(values['data-dir'] !== undefined ? { dataDir: values['data-dir'] } : {}),
        ...(values.ui !== undefined ? { ui: values.ui, stopSignal: stopSignal() } : {}),
      },
      io,
    );
  }
  if (command === 'serve') {
    if (rest.length > 0 || values['data-dir'] === undefined) {
      io.err(`kubestitch serve: expected --data-dir DIR and no other arguments\n\n${USAGE}`);
      return 2;
    }
    return runServeCommand(
      { dataDir: values['data-dir'], stopSignal: stopSignal(), ...(values.ui !== undefined ? { ui: values.ui } : {}) },
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
