import { parseDurationMs } from '../model/duration.js';
import { redactAnnotations } from '../sources/redact.js';
import { packageVersion } from '../version.js';
import { withTlsLoaded } from '../export/otlp-export-config.js';
import type { OtlpExportConfig } from '../export/otlp-export-config.js';
import { UsageError, parseCommandArgs, str } from './args.js';
import { otlpExportFromValues } from './otlp-flags.js';
import type { ParsedArgs } from './args.js';
import { DEFAULT_CLUSTER, listItems } from './option-schema.js';
import type { CommandName } from './option-schema.js';
import { RUN_USAGE } from './run-usage.js';
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

/**
 * A command's module is imported when it runs (the `run` service's Kubernetes client alone is
 * 75 MB of RSS and 2.8 s to load, which `replay` and `--help` need not pay).
 */
interface Command {
  /** Whose flags it takes (option-schema.ts; besides -h/--help): any other is a usage error. None: no flags. */
  readonly flagsOf?: CommandName;
  readonly usage: string;
  /** Runs it; throws `UsageError` for arguments it cannot take. */
  readonly run: (args: ParsedArgs, io: CliIo) => Promise<number>;
}

function positionals(args: ParsedArgs, count: number, what: string): string[] {
  if (args.positionals.length === count) return [...args.positionals];
  const extra = args.positionals[count];
  throw new UsageError(extra !== undefined ? `unexpected argument ${JSON.stringify(extra)}` : `expected ${what}`);
}

/**
 * `--redact-annotations LIST`: annotations dropped on every path besides the defaults, names or
 * `/regex/flags`, comma-separated (checked by the parser). Set before any input is read.
 */
function redaction(args: ParsedArgs): void {
  const entries = listItems(str(args, 'redact-annotations'));
  if (entries.length > 0) redactAnnotations(entries);
}

// The parser has checked each value (option-schema.ts): here they are only converted.
async function replay(args: ParsedArgs, io: CliIo): Promise<number> {
  const [dir = ''] = positionals(args, 1, 'exactly one recording directory');
  redaction(args);
  const [hold, adoption, ui] = [str(args, 'stitch-hold-ms'), str(args, 'adoption-window'), str(args, 'ui')];
  const stitch = str(args, 'stitch');
  const otlp = otlpExport(args);
  const { runReplayCommand } = await import('./replay-command.js');
  return runReplayCommand(
    {
      dir,
      cluster: str(args, 'cluster') ?? DEFAULT_CLUSTER,
      stitchMode: stitch === 'reparent' || stitch === 'link' ? stitch : undefined,
      holdMs: hold === undefined ? undefined : Number(hold),
      adoptionWindowMs: adoption === undefined ? undefined : parseDurationMs(adoption),
      out: str(args, 'out'),
      otlp,
      dataDir: str(args, 'data-dir'),
      ui,
      stopSignal: ui === undefined ? undefined : stopSignal(),
      // A \r line only where a person watches it, not into a log file or pipe.
      progress: io === processIo && process.stderr.isTTY ? {} : undefined,
    },
    io,
  );
}

// The --otlp-* flags over the OTEL_EXPORTER_OTLP_* variables; a bad value is a usage error.
function otlpExport(args: ParsedArgs): OtlpExportConfig | undefined {
  const resolved = otlpExportFromValues(args.values, process.env);
  // The TLS files are read here, at start: a missing or bad one is a usage error too.
  const loaded = resolved === undefined || typeof resolved === 'string' ? resolved : withTlsLoaded(resolved);
  if (typeof loaded === 'string') throw new UsageError(loaded);
  return loaded;
}

const COMMANDS: Readonly<Record<string, Command>> = {
  replay: {
    usage: COMMAND_USAGE['replay'] ?? '',
    flagsOf: 'replay',
    run: replay,
  },
  serve: {
    usage: COMMAND_USAGE['serve'] ?? '',
    flagsOf: 'serve',
    run: async (args, io) => {
      positionals(args, 0, 'no arguments');
      const [dataDir, ui] = [str(args, 'data-dir'), str(args, 'ui')];
      if (dataDir === undefined) throw new UsageError('expected --data-dir DIR');
      const { runServeCommand } = await import('./serve-command.js');
      return runServeCommand({ dataDir, stopSignal: stopSignal(), ...(ui !== undefined ? { ui } : {}) }, io);
    },
  },
  record: {
    usage: COMMAND_USAGE['record'] ?? '',
    flagsOf: 'record',
    run: async (args, io) => {
      const [dir = ''] = positionals(args, 1, 'exactly one directory');
      redaction(args);
      const { runRecordCommand } = await import('./record-command.js');
      return runRecordCommand(dir, args, io, stopSignal());
    },
  },
  run: {
    usage: RUN_USAGE,
    flagsOf: 'run',
    run: async (args, io) => {
      positionals(args, 0, 'no arguments');
      const { runRunCommand } = await import('./run-command.js');
      return runRunCommand(args, io, stopSignal());
    },
  },
  trace: {
    usage: COMMAND_USAGE['trace'] ?? '',
    flagsOf: 'trace',
    run: async (args, io) => {
      const { runTraceCommand } = await import('./trace-command.js');
      return runTraceCommand(args, io, io === processIo && process.stderr.isTTY);
    },
  },
  help: {
    usage: COMMAND_USAGE['help'] ?? '',
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
  if (first === '-v' || first === '--version') return runCommand('version', [], io);
  if (!Object.hasOwn(COMMANDS, first)) {
    const what = first.startsWith('-') ? `unknown flag ${first}` : `unknown command ${JSON.stringify(first)}`;
    io.err(usageErrorText(undefined, what));
    return EXIT.usage;
  }
  return runCommand(first, rest, io);
}

// One command: its flags parsed and checked, its help, its run; a UsageError is exit status 2.
async function runCommand(name: string, rest: readonly string[], io: CliIo): Promise<number> {
  const command = COMMANDS[name];
  if (command === undefined) return EXIT.usage;
  try {
    const args = parseCommandArgs(rest, command.flagsOf ?? {});
    if (args.values['help'] === true) {
      io.out(command.usage);
      return EXIT.ok;
    }
    return await command.run(args, io);
  } catch (err: unknown) {
    if (err instanceof UsageError) {
      io.err(usageErrorText(name, err.message));
      return EXIT.usage;
    }
    io.err(`kubestitch ${name}: unexpected failure: ${err instanceof Error ? err.message : String(err)}\n`);
    return EXIT.failure;
  }
}
