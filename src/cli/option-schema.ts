import { parseDurationMs } from '../model/duration.js';
import { redactionPolicy } from '../sources/redact.js';
import { parseResourceSpec } from '../sources/watch/resources.js';

/** The commands that take flags (help and version take none). */
export type CommandName = 'replay' | 'run' | 'record' | 'serve' | 'trace';

/**
 * One flag of the CLI: its type, the commands that take it and how a value is checked. The one
 * place a flag is declared: the arg parser refuses a flag its command does not list, and run's
 * config file (`--config`, the flag names as keys) goes through the same table.
 */
export interface OptionDef {
  readonly type: 'string' | 'boolean';
  readonly commands: readonly CommandName[];
  readonly short?: string;
  /** Repeatable on the command line (each value kept whole: a header value may hold commas). */
  readonly multiple?: boolean;
  /** A comma-separated list on the command line; a YAML list or a string in the config file. */
  readonly list?: boolean;
  /** A bare YAML number is taken in the config file (as its text). */
  readonly number?: boolean;
  /** The value when not given, where it is the same for every command that takes it. */
  readonly fallback?: string | number;
  /** Why a given value is refused (a usage error), or undefined. List items are checked one by one. */
  readonly check?: (value: string, flag: string) => string | undefined;
}

const oneOf =
  (...choices: readonly string[]) =>
  (value: string, flag: string): string | undefined =>
    choices.includes(value) ? undefined : `${flag} must be ${choices.join(' or ')}, got ${value}`;

const positive = (value: string, flag: string): string | undefined => {
  const n = Number(value);
  return Number.isFinite(n) && n > 0 ? undefined : `${flag} must be a positive number, got ${value}`;
};

const milliseconds = (value: string, flag: string): string | undefined => {
  const n = Number(value);
  return value !== '' && Number.isFinite(n) && n >= 0
    ? undefined
    : `${flag} must be a number of milliseconds, got ${JSON.stringify(value)}`;
};

const duration = (value: string, flag: string): string | undefined =>
  parseDurationMs(value) !== undefined
    ? undefined
    : `${flag} must be a duration: 15s (the default), 10s, 5000ms, or 0 to place at once; got ${JSON.stringify(value)}`;

const SOURCE_NAMES = ['watch', 'events', 'audit', 'otlp'] as const;

const source = (value: string, flag: string): string | undefined =>
  (SOURCE_NAMES as readonly string[]).includes(value)
    ? undefined
    : `${flag}: unknown source(s) ${value}; use ${SOURCE_NAMES.join(', ')}`;

const resourceSpec = (value: string, flag: string): string | undefined => {
  const spec = parseResourceSpec(value);
  return typeof spec === 'string' ? `${flag} ${spec}` : undefined;
};

const annotationPattern = (value: string, flag: string): string | undefined => {
  try {
    redactionPolicy([value]);
    return undefined;
  } catch (err: unknown) {
    return `${flag}: ${err instanceof Error ? err.message : String(err)}`;
  }
};

/** `k8s.cluster.name` of every span when --cluster is not given. */
export const DEFAULT_CLUSTER = 'default';

const S = 'string';
const B = 'boolean';
const RUN_REPLAY: readonly CommandName[] = ['run', 'replay'];
const RUN_ONLY: readonly CommandName[] = ['run'];

/** Every flag of every command. */
export const OPTIONS = {
  // Where spans go.
  out: { type: S, commands: RUN_REPLAY },
  'otlp-endpoint': { type: S, commands: RUN_REPLAY },
  'otlp-protocol': { type: S, commands: RUN_REPLAY },
  'otlp-header': { type: S, commands: RUN_REPLAY, multiple: true },
  'otlp-compression': { type: S, commands: RUN_REPLAY },
  'otlp-timeout': { type: S, commands: RUN_REPLAY },
  'otlp-certificate': { type: S, commands: RUN_REPLAY },
  'otlp-client-certificate': { type: S, commands: RUN_REPLAY },
  'otlp-client-key': { type: S, commands: RUN_REPLAY },
  'otlp-insecure': { type: B, commands: RUN_REPLAY },
  'data-dir': { type: S, commands: ['run', 'replay', 'serve', 'trace'] },
  ui: { type: S, commands: ['run', 'replay', 'serve'] },
  'spool-max-bytes': { type: S, commands: RUN_ONLY, number: true, fallback: 1024 ** 3, check: positive },
  'store-retention-hours': { type: S, commands: RUN_ONLY, number: true, fallback: 72, check: positive },
  'store-max-bytes': { type: S, commands: RUN_ONLY, number: true, fallback: 2 * 1024 ** 3, check: positive },
  // What is read and how it is shaped.
  config: { type: S, commands: RUN_ONLY },
  cluster: { type: S, commands: ['run', 'replay', 'trace'], fallback: DEFAULT_CLUSTER },
  sources: { type: S, commands: RUN_ONLY, list: true, check: source },
  kubeconfig: { type: S, commands: ['run', 'record'] },
  context: { type: S, commands: ['run', 'record'] },
  'watch-kinds': { type: S, commands: ['run', 'record'], list: true, check: resourceSpec },
  namespaces: { type: S, commands: ['run', 'record'], list: true },
  'exclude-namespaces': { type: S, commands: ['run', 'record'], list: true },
  'label-selector': { type: S, commands: ['run', 'record'] },
  'redact-annotations': { type: S, commands: ['run', 'replay', 'record'], list: true, check: annotationPattern },
  stitch: { type: S, commands: RUN_REPLAY, check: oneOf('reparent', 'link') },
  'stitch-hold-ms': { type: S, commands: ['replay'], check: milliseconds },
  // A duration (`15s`); a bare YAML number is milliseconds, as on the command line.
  'adoption-window': { type: S, commands: RUN_REPLAY, number: true, check: duration },
  // run's service: admin, audit intake, OTLP receivers, leader election.
  'admin-addr': { type: S, commands: RUN_ONLY },
  'metrics-owner-allow': { type: S, commands: RUN_ONLY, list: true },
  'metrics-namespace-allow': { type: S, commands: RUN_ONLY, list: true },
  'audit-webhook-addr': { type: S, commands: RUN_ONLY },
  'audit-webhook-path': { type: S, commands: RUN_ONLY },
  'audit-tls-cert': { type: S, commands: RUN_ONLY },
  'audit-tls-key': { type: S, commands: RUN_ONLY },
  'audit-client-ca': { type: S, commands: RUN_ONLY },
  'audit-webhook-token-file': { type: S, commands: RUN_ONLY },
  'audit-webhook-insecure-http': { type: B, commands: RUN_ONLY },
  'audit-log-path': { type: S, commands: RUN_ONLY },
  'otlp-grpc-addr': { type: S, commands: RUN_ONLY },
  'otlp-http-addr': { type: S, commands: RUN_ONLY },
  'otlp-token-file': { type: S, commands: RUN_ONLY },
  'otlp-tls-cert': { type: S, commands: RUN_ONLY },
  'otlp-tls-key': { type: S, commands: RUN_ONLY },
  'otlp-client-ca': { type: S, commands: RUN_ONLY },
  'otlp-forward-endpoint': { type: S, commands: RUN_ONLY },
  'leader-elect': { type: B, commands: RUN_ONLY },
  'leader-election-namespace': { type: S, commands: RUN_ONLY },
  'leader-election-lease-name': { type: S, commands: RUN_ONLY, fallback: 'kubestitch' },
  'leader-election-identity': { type: S, commands: RUN_ONLY },
  'shutdown-deadline-seconds': { type: S, commands: RUN_ONLY, number: true, fallback: 20, check: positive },
  // trace's own.
  namespace: { type: S, commands: ['trace'], short: 'n' },
  from: { type: S, commands: ['trace'] },
  server: { type: S, commands: ['trace'] },
  json: { type: B, commands: ['trace'] },
} as const satisfies Record<string, OptionDef>;

export type OptionName = keyof typeof OPTIONS;

/** A flag in node:util parseArgs form (`list`/`number` are ours; parseArgs ignores them). */
export interface ParseSpec {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  readonly multiple?: boolean;
  readonly list?: boolean;
  readonly number?: boolean;
}

/** The flags `command` takes, by name, in node:util parseArgs form. */
export function optionsOf(command: CommandName): Readonly<Record<string, ParseSpec>> {
  const out: Record<string, ParseSpec> = {};
  for (const [name, def] of Object.entries(OPTIONS) as [string, OptionDef][]) {
    if (!def.commands.includes(command)) continue;
    const { type, short, multiple, list, number } = def;
    out[name] = { type, short, multiple, list, number };
    for (const k of ['short', 'multiple', 'list', 'number'] as const)
      if (out[name][k] === undefined) delete out[name][k];
  }
  return out;
}

/** The definition of `name` when it is a flag at all. */
export function optionDef(name: string): OptionDef | undefined {
  return Object.hasOwn(OPTIONS, name) ? (OPTIONS as Readonly<Record<string, OptionDef>>)[name] : undefined;
}

/** A list option's items: comma-split (on the command line or as a YAML string), trimmed, no empties. */
export function listItems(value: string | boolean | readonly string[] | undefined): string[] {
  const items = Array.isArray(value) ? value : typeof value === 'string' ? [value] : [];
  return (items as readonly string[])
    .flatMap((s) => s.split(','))
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/**
 * Why the value given for `name` is refused (the usage error text), or undefined when it is fine
 * or `name` has no check. A list is checked item by item; a repeatable option value by value.
 */
export function valueProblem(
  name: string,
  value: string | boolean | readonly string[] | undefined,
): string | undefined {
  const def = optionDef(name);
  if (def?.check === undefined || value === undefined || typeof value === 'boolean') return undefined;
  const values = def.list === true ? listItems(value) : typeof value === 'string' ? [value] : value;
  for (const v of values) {
    const problem = def.check(v, `--${name}`);
    if (problem !== undefined) return problem;
  }
  return undefined;
}
