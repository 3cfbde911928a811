import { redactAnnotations } from '../sources/redact.js';
import { packageVersion } from '../version.js';
import { resolveOtlpExport, withTlsLoaded } from '../export/otlp-export-config.js';
import type { OtlpExportConfig } from '../export/otlp-export-config.js';
import { UsageError, adoptionWindowMs, parseCommandArgs, redactionError, str, strs } from './args.js';
import type { OptionSpec, ParsedArgs } from './args.js';
import { runReplayCommand } from './replay-command.js';
import { RUN_USAGE, runRunCommand } from './run-command.js';
import { OTLP_EXPORT_OPTIONS, RUN_OPTIONS } from './run-config.js';
import { runRecordCommand } from './record-command.js';
import { runServeCommand } from './serve-command.js';
import { runTraceCommand } from './trace-command.js';
import { COMMAND_USAGE, EXIT, GLOBAL_USAGE, usageErrorText } from './usage.js';

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

interface Command {
  /** The flags it takes (besides -h/--help); any other is a usage error. */
  readonly options: OptionSpec;
  readonly usage: string;
  /** Runs it; throws `UsageError` for arguments it cannot take. */
  readonly run: (args: ParsedArgs, io: CliIo) => Promise<number>;
}

function positionals(args: ParsedArgs, count: number, what: string): string[] {
  if (args.positionals.length === count) return [...args.positionals];
  const extra = args.positionals[count];
  throw new UsageError(extra !== undefined ? `unexpected argument ${JSON.stringify(extra)}` : `expected ${what}`);
}

function stitchMode(args: ParsedArgs): 'reparent' | 'link' | undefined {
  const stitch = str(args, 'stitch');
  if (stitch === undefined || stitch === 'reparent' || stitch === 'link') return stitch;
  throw new UsageError(`--stitch must be reparent or link, got ${JSON.stringify(stitch)}`);
}

/**
 * `--redact-annotations LIST`: annotations dropped on every path besides the defaults, names or
 * `/regex/flags`, comma-separated. Set before any input is read.
 */
function redaction(args: ParsedArgs): void {
  const list = str(args, 'redact-annotations');
  if (list === undefined) return;
  const entries = list
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  const problem = redactionError(entries);
  if (problem !== undefined) throw new UsageError(problem);
  redactAnnotations(entries);
}

function replay(args: ParsedArgs, io: CliIo): Promise<number> {
  const [dir = ''] = positionals(args, 1, 'exactly one recording directory');
  redaction(args);
  const stitch = stitchMode(args);
  const hold = str(args, 'stitch-hold-ms');
  const holdMs = hold === undefined ? undefined : Number(hold);
  if (holdMs !== undefined && !(hold !== '' && Number.isFinite(holdMs) && holdMs >= 0)) {
    throw new UsageError(`--stitch-hold-ms must be a number of milliseconds, got ${JSON.stringify(hold)}`);
  }
  const otlp = otlpExport(args);
  const adoption = adoptionWindowMs(str(args, 'adoption-window'));
  if (adoption instanceof UsageError) throw adoption;
  const [out, dataDir, ui] = [str(args, 'out'), str(args, 'data-dir'), str(args, 'ui')];
  return runReplayCommand(
    {
      dir,
      cluster: str(args, 'cluster') ?? 'default',
      ...(stitch !== undefined ? { stitchMode: stitch } : {}),
      ...(holdMs !== undefined ? { holdMs } : {}),
      ...(adoption !== undefined ? { adoptionWindowMs: adoption } : {}),
      ...(out !== undefined ? { out } : {}),
      ...(otlp !== undefined ? { otlp } : {}),
      ...(dataDir !== undefined ? { dataDir } : {}),
      ...(ui !== undefined ? { ui, stopSignal: stopSignal() } : {}),
      // A \r line only where a person watches it, not into a log file or pipe.
      ...(io === processIo && process.stderr.isTTY ? { progress: {} } : {}),
    },
    io,
  );
}

// The --otlp-* flags over the OTEL_EXPORTER_OTLP_* variables; a bad value is a usage error.
function otlpExport(args: ParsedArgs): OtlpExportConfig | undefined {
  const flags = {
    endpoint: str(args, 'otlp-endpoint'),
    protocol: str(args, 'otlp-protocol'),
    compression: str(args, 'otlp-compression'),
    timeout: str(args, 'otlp-timeout'),
    certificate: str(args, 'otlp-certificate'),
    clientCertificate: str(args, 'otlp-client-certificate'),
    clientKey: str(args, 'otlp-client-key'),
  };
  const given = Object.fromEntries(Object.entries(flags).filter(([, v]) => v !== undefined));
  const insecure = args.values['otlp-insecure'] === true ? { insecure: true } : {};
  const resolved = resolveOtlpExport({ ...given, ...insecure, headers: strs(args, 'otlp-header') }, process.env);
  // The TLS files are read here, at start: a missing or bad one is a usage error too.
  const loaded = resolved === undefined || typeof resolved === 'string' ? resolved : withTlsLoaded(resolved);
  if (typeof loaded === 'string') throw new UsageError(loaded);
  return loaded;
}

const COMMANDS: Readonly<Record<string, Command>> = {
  replay: {
    usage: COMMAND_USAGE['replay'] ?? '',
    options: {
      out: { type: 'string' },
      ...OTLP_EXPORT_OPTIONS,
      cluster: { type: 'string' },
      stitch: { type: 'string' },
      'stitch-hold-ms': { type: 'string' },
      'data-dir': { type: 'string' },
      ui: { type: 'string' },
      'redact-annotations': { type: 'string' },
      'adoption-window': { type: 'string' },
    },
    run: replay,
  },
  serve: {
    usage: COMMAND_USAGE['serve'] ?? '',
    options: { 'data-dir': { type: 'string' }, ui: { type: 'string' } },
    run: (args, io) => {
      positionals(args, 0, 'no arguments');
      const [dataDir, ui] = [str(args, 'data-dir'), str(args, 'ui')];
      if (dataDir === undefined) throw new UsageError('expected --data-dir DIR');
      return runServeCommand({ dataDir, stopSignal: stopSignal(), ...(ui !== undefined ? { ui } : {}) }, io);
    },
  },
  record: {
    usage: COMMAND_USAGE['record'] ?? '',
    options: {
      kubeconfig: { type: 'string' },
      context: { type: 'string' },
      'watch-kinds': { type: 'string' },
      namespaces: { type: 'string' },
      'exclude-namespaces': { type: 'string' },
      'label-selector': { type: 'string' },
      'redact-annotations': { type: 'string' },
    },
    run: (args, io) => {
      const [dir = ''] = positionals(args, 1, 'exactly one directory');
      redaction(args);
      return runRecordCommand(dir, args, io, stopSignal());
    },
  },
  run: {
    usage: RUN_USAGE,
    options: RUN_OPTIONS,
    run: (args, io) => {
      positionals(args, 0, 'no arguments');
      return runRunCommand(args, io, stopSignal());
    },
  },
  trace: {
    usage: COMMAND_USAGE['trace'] ?? '',
    options: {
      namespace: { type: 'string', short: 'n' },
      from: { type: 'string' },
      'data-dir': { type: 'string' },
      server: { type: 'string' },
      cluster: { type: 'string' },
      json: { type: 'boolean' },
    },
    run: (args, io) => runTraceCommand(args, io, io === processIo && process.stderr.isTTY),
  },
  help: {
    usage: COMMAND_USAGE['help'] ?? '',
    options: {},
    run: (args, io) => {
      const [topic, extra] = args.positionals;
      if (extra !== undefined) throw new UsageError(`unexpected argument ${JSON.stringify(extra)}`);
      if (topic === undefined) {
        io.out(GLOBAL_USAGE);
        return Promise.resolve(EXIT.ok);
      }
      const command = COMMANDS[topic];
      if (command === undefined) throw new UsageError(`unknown command ${JSON.stringify(topic)}`);
      io.out(command.usage);
      return Promise.resolve(EXIT.ok);
    },
  },
  version: {
    usage: COMMAND_USAGE['version'] ?? '',
    options: {},
    run: (args, io) => {
      positionals(args, 0, 'no arguments');
      io.out(`kubestitch ${packageVersion()}\n`);
      return Promise.resolve(EXIT.ok);
    },
  },
};

/** Entry point of the `kubestitch` command. Resolves to the exit status; never throws. */
export async function main(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === '-h' || first === '--help') {
    (first === undefined ? io.err : io.out)(GLOBAL_USAGE);
    return first === undefined ? EXIT.usage : EXIT.ok;
  }
  if (first === '-v' || first === '--version')
    return COMMANDS['version']?.run({ values: {}, positionals: [] }, io) ?? 0;
  const command = Object.hasOwn(COMMANDS, first) ? COMMANDS[first] : undefined;
  if (command === undefined) {
    const what = first.startsWith('-') ? `unknown flag ${first}` : `unknown command ${JSON.stringify(first)}`;
    io.err(usageErrorText(undefined, what));
    return EXIT.usage;
  }
  try {
    const args = parseCommandArgs(rest, command.options);
    if (args.values['help'] === true) {
      io.out(command.usage);
      return EXIT.ok;
    }
    return await command.run(args, io);
  } catch (err: unknown) {
    if (err instanceof UsageError) {
      io.err(usageErrorText(first, err.message));
      return EXIT.usage;
    }
    io.err(`kubestitch ${first}: unexpected failure: ${err instanceof Error ? err.message : String(err)}\n`);
    return EXIT.failure;
  }
}
