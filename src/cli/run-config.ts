import { parse as parseYaml } from 'yaml';
import { withTlsLoaded } from '../export/otlp-export-config.js';
import type { Environment, OtlpExportConfig } from '../export/otlp-export-config.js';
import { parseDurationMs } from '../model/duration.js';
import { type ListenAddr, parseListenAddr } from '../sources/http-listener.js';
import { parseResourceSpec } from '../sources/watch/resources.js';
import type { ResourceSpec } from '../sources/watch/resources.js';
import { parseWatchScope } from '../sources/watch/scope.js';
import type { WatchScope } from '../sources/watch/scope.js';
import { DEFAULT_CLUSTER, listItems, optionDef, optionsOf, valueProblem } from './option-schema.js';
import { otlpExportFromValues } from './otlp-flags.js';

/**
 * Every `kubestitch run` option, from the option schema (option-schema.ts). The config file
 * (`--config FILE`, YAML) uses the same names as keys; a flag on the command line overrides the
 * file. `list` options take a comma-separated string on the command line and a YAML list or a
 * string in the file.
 */
export const RUN_OPTIONS = optionsOf('run');

export { parseListenAddr, type ListenAddr };

export type RunSource = 'watch' | 'events' | 'audit' | 'otlp';

/** The resolved, validated settings `kubestitch run` starts from. */
export interface RunSettings {
  readonly cluster: string;
  readonly sources: ReadonlySet<RunSource>;
  readonly dataDir: string;
  readonly kubeconfig?: string;
  readonly context?: string;
  readonly watchKinds: readonly ResourceSpec[];
  /** What the watches cover: --namespaces, --exclude-namespaces, --label-selector. */
  readonly watchScope: WatchScope;
  readonly out?: string;
  /** The OTLP export's URL (as in otlpExport), kept to check it is an http(s) URL at start-up. */
  readonly otlpEndpoint?: string;
  /** --otlp-* flags over OTEL_EXPORTER_OTLP_* variables; undefined: no OTLP export. */
  readonly otlpExport?: OtlpExportConfig;
  readonly spoolMaxBytes: number;
  /** Viewer + query API address; set by default when spans go to the embedded store. */
  readonly ui?: ListenAddr;
  /** Spans go to the embedded store (no --out / --otlp-endpoint, or --ui given). */
  readonly embeddedStore: boolean;
  readonly storeRetentionHours: number;
  readonly storeMaxBytes: number;
  readonly adminAddr?: ListenAddr;
  readonly metricsOwnerAllow: readonly string[];
  readonly metricsNamespaceAllow: readonly string[];
  readonly webhook?: {
    readonly addr: ListenAddr;
    readonly path?: string;
    readonly tlsCert?: string;
    readonly tlsKey?: string;
    readonly clientCa?: string;
    readonly tokenFile?: string;
    readonly insecureHttp: boolean;
  };
  readonly auditLogPath?: string;
  readonly otlpGrpcAddr?: ListenAddr;
  readonly otlpHttpAddr?: ListenAddr;
  /** Credentials the OTLP receivers ask for and the TLS they serve (both receivers alike). */
  readonly otlpAuth?: {
    readonly tokenFile?: string;
    readonly tlsCert?: string;
    readonly tlsKey?: string;
    readonly clientCa?: string;
  };
  readonly otlpForwardEndpoint?: string;
  readonly stitchMode?: 'reparent' | 'link';
  readonly leaderElection?: { readonly namespace: string; readonly leaseName: string; readonly identity?: string };
  readonly shutdownDeadlineMs: number;
  /** How long an operation waits for an owner that may still arrive (ADR 0004); synth's default if unset. */
  readonly adoptionWindowMs?: number;
  /** Annotations dropped besides the defaults (`--redact-annotations`, also from the config file). */
  readonly redactAnnotations: readonly string[];
}

/** Option values by flag name: the command line's, the config file's, or both merged. */
export type RawValues = Partial<Record<string, string | boolean | string[]>>;

/** Typed reads of checked values; a number option not given is its schema fallback. */
interface Values {
  /** The values as given (the OTLP export reads its own flags from them). */
  readonly raw: RawValues;
  str(name: string): string | undefined;
  list(name: string): string[];
  flag(name: string): boolean;
  num(name: string): number;
  /** The value, or the schema's fallback for it. */
  text(name: string): string | undefined;
}

function fallbackText(name: string): string | undefined {
  const fallback = optionDef(name)?.fallback;
  return fallback === undefined ? undefined : String(fallback);
}

function values(v: RawValues): Values {
  const str = (name: string): string | undefined => {
    const x = v[name];
    return typeof x === 'string' ? x : undefined;
  };
  return {
    raw: v,
    str,
    list: (name) => listItems(v[name]),
    flag: (name) => v[name] === true,
    num: (name) => Number(str(name) ?? optionDef(name)?.fallback),
    text: (name) => str(name) ?? fallbackText(name),
  };
}

/**
 * Merges the config file (YAML text, may be undefined) under the command-line values and
 * validates the result: each value by its flag's check in the option schema, then the
 * combinations. Returns the settings, or an error message naming the option (and file) at
 * fault. Reads no file; never throws.
 */
export function resolveRunSettings(
  cli: RawValues,
  configText?: string,
  configName = 'config',
  env: Environment = {},
): RunSettings | string {
  const file = configText === undefined ? {} : fromFile(configText, configName);
  if (typeof file === 'string') return file;
  const merged: RawValues = { ...file, ...definedOnly(cli) };
  for (const [name, value] of Object.entries(merged)) {
    const problem = valueProblem(name, value);
    if (problem !== undefined) return problem;
  }
  return settingsFrom(values(merged), env);
}

function settingsFrom(r: Values, env: Environment): RunSettings | string {
  const at = listeners(r);
  if (typeof at === 'string') return at;
  const sources = runSources(r, at);
  if (typeof sources === 'string') return sources;
  const problem = tlsProblem(r, at);
  if (problem !== undefined) return problem;
  const watchScope = parseWatchScope(r.list('namespaces'), r.list('exclude-namespaces'), r.str('label-selector'));
  if (typeof watchScope === 'string') return watchScope;
  const outputs = runOutputs(r, at, env);
  if (typeof outputs === 'string') return outputs;
  const adoption = r.str('adoption-window');
  const stitch = r.str('stitch');
  return {
    cluster: r.text('cluster') ?? DEFAULT_CLUSTER,
    sources,
    dataDir: r.str('data-dir') ?? '.kubestitch-data',
    kubeconfig: r.str('kubeconfig'),
    context: r.str('context'),
    watchKinds: r.list('watch-kinds').flatMap((item) => resourceSpecs(item)),
    watchScope,
    ...outputs,
    spoolMaxBytes: r.num('spool-max-bytes'),
    storeRetentionHours: r.num('store-retention-hours'),
    storeMaxBytes: r.num('store-max-bytes'),
    adminAddr: at.admin,
    metricsOwnerAllow: r.list('metrics-owner-allow'),
    metricsNamespaceAllow: r.list('metrics-namespace-allow'),
    webhook: webhook(r, at.webhook),
    auditLogPath: r.str('audit-log-path'),
    ...otlpReceivers(r, sources, at),
    otlpForwardEndpoint: r.str('otlp-forward-endpoint'),
    stitchMode: stitch === 'reparent' || stitch === 'link' ? stitch : undefined,
    leaderElection: leaderElection(r),
    shutdownDeadlineMs: r.num('shutdown-deadline-seconds') * 1000,
    adoptionWindowMs: adoption === undefined ? undefined : parseDurationMs(adoption),
    redactAnnotations: r.list('redact-annotations'),
  };
}

// Checked by the schema already: a spec that does not parse is not there.
function resourceSpecs(item: string): ResourceSpec[] {
  const spec = parseResourceSpec(item);
  return typeof spec === 'string' ? [] : [spec];
}

/** The listen addresses given (none has a default here: that depends on the sources). */
interface Listeners {
  readonly webhook?: ListenAddr;
  readonly grpc?: ListenAddr;
  readonly http?: ListenAddr;
  readonly ui?: ListenAddr;
  readonly admin?: ListenAddr;
}

const LISTENERS: readonly (readonly [keyof Listeners, string])[] = [
  ['webhook', 'audit-webhook-addr'],
  ['grpc', 'otlp-grpc-addr'],
  ['http', 'otlp-http-addr'],
  ['ui', 'ui'],
  ['admin', 'admin-addr'],
];

function listeners(r: Values): Listeners | string {
  const out: Partial<Record<keyof Listeners, ListenAddr>> = {};
  for (const [key, name] of LISTENERS) {
    const addr = listenAddr(r, name);
    if (typeof addr === 'string') return addr;
    out[key] = addr;
  }
  return out;
}

function listenAddr(r: Values, name: string): ListenAddr | undefined | string {
  const given = r.str(name);
  if (given === undefined) return undefined;
  const x = expandEnv(given);
  if (x === undefined) return `--${name} ${given}: an environment variable it names is not set`;
  return parseListenAddr(x) ?? `--${name} must be [host]:port, got ${x}`;
}

// Default: watch the cluster; add what the other options ask for.
function runSources(r: Values, at: Listeners): ReadonlySet<RunSource> | string {
  const auditGiven = at.webhook !== undefined || r.str('audit-log-path') !== undefined;
  const given = r.list('sources') as RunSource[];
  const sources = new Set<RunSource>(given.length > 0 ? given : ['watch', 'events']);
  if (given.length === 0 && auditGiven) sources.add('audit');
  if (given.length === 0 && (at.grpc !== undefined || at.http !== undefined)) sources.add('otlp');
  if (sources.has('audit') && !auditGiven) return '--sources audit needs --audit-webhook-addr and/or --audit-log-path';
  return sources;
}

// The servers' TLS needs its certificate and key together.
function tlsProblem(r: Values, at: Listeners): string | undefined {
  const insecure = r.flag('audit-webhook-insecure-http');
  if (
    at.webhook !== undefined &&
    !insecure &&
    (r.str('audit-tls-cert') === undefined || r.str('audit-tls-key') === undefined)
  ) {
    return 'the audit webhook serves HTTPS: give --audit-tls-cert and --audit-tls-key (or --audit-webhook-insecure-http)';
  }
  if ((r.str('otlp-tls-cert') === undefined) !== (r.str('otlp-tls-key') === undefined)) {
    return 'the OTLP receivers serve TLS with both --otlp-tls-cert and --otlp-tls-key';
  }
  if (r.str('otlp-client-ca') !== undefined && r.str('otlp-tls-cert') === undefined) {
    return '--otlp-client-ca needs --otlp-tls-cert and --otlp-tls-key (client certificates need TLS)';
  }
  return undefined;
}

type RunOutputs = Pick<RunSettings, 'out' | 'otlpEndpoint' | 'otlpExport' | 'embeddedStore' | 'ui'>;

// Spans go to the embedded store (served on 127.0.0.1:16686) unless they go elsewhere and no --ui asks for it.
function runOutputs(r: Values, at: Listeners, env: Environment): RunOutputs | string {
  const out = r.str('out');
  const otlpExport = otlpExportFromValues(r.raw, env);
  if (typeof otlpExport === 'string') return otlpExport;
  const embeddedStore = (out === undefined && otlpExport === undefined) || at.ui !== undefined;
  return {
    out,
    otlpEndpoint: otlpExport?.url,
    otlpExport,
    embeddedStore,
    ui: at.ui ?? (embeddedStore ? { host: '127.0.0.1', port: 16686 } : undefined),
  };
}

function webhook(r: Values, addr: ListenAddr | undefined): RunSettings['webhook'] {
  if (addr === undefined) return undefined;
  return {
    addr,
    insecureHttp: r.flag('audit-webhook-insecure-http'),
    path: r.str('audit-webhook-path'),
    tlsCert: r.str('audit-tls-cert'),
    tlsKey: r.str('audit-tls-key'),
    clientCa: r.str('audit-client-ca'),
    tokenFile: r.str('audit-webhook-token-file'),
  };
}

type OtlpReceivers = Pick<RunSettings, 'otlpGrpcAddr' | 'otlpHttpAddr' | 'otlpAuth'>;

// Loopback unless an address is given: the receivers take spans from whoever can connect.
function otlpReceivers(r: Values, sources: ReadonlySet<RunSource>, at: Listeners): OtlpReceivers {
  if (!sources.has('otlp')) return {};
  const auth = {
    tokenFile: r.str('otlp-token-file'),
    tlsCert: r.str('otlp-tls-cert'),
    tlsKey: r.str('otlp-tls-key'),
    clientCa: r.str('otlp-client-ca'),
  };
  return {
    otlpGrpcAddr: at.grpc ?? { host: '127.0.0.1', port: 4317 },
    otlpHttpAddr: at.http ?? { host: '127.0.0.1', port: 4318 },
    otlpAuth: Object.values(auth).every((x) => x === undefined) ? undefined : auth,
  };
}

function leaderElection(r: Values): RunSettings['leaderElection'] {
  if (!r.flag('leader-elect')) return undefined;
  return {
    namespace: r.str('leader-election-namespace') ?? process.env['POD_NAMESPACE'] ?? 'default',
    leaseName: r.text('leader-election-lease-name') ?? 'kubestitch',
    identity: r.str('leader-election-identity'),
  };
}

function definedOnly(v: RawValues): RawValues {
  return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined));
}

// The file's keys are the flag names run takes (not --config itself); each value is read by its
// option's type here and checked by the schema with the command line's values.
function fromFile(text: string, name: string): RawValues | string {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err: unknown) {
    return `${name}: not valid YAML (${err instanceof Error ? err.message.split('\n')[0] : String(err)})`;
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) return `${name}: expected a mapping of option names to values`;
  const out: RawValues = {};
  for (const [key, value] of Object.entries(doc as Record<string, unknown>)) {
    const read = fileValue(key, value);
    if (typeof read === 'object' && 'problem' in read) return `${name}: ${read.problem}`;
    if (read !== undefined) out[key] = read;
  }
  return out;
}

function fileValue(key: string, value: unknown): string | boolean | string[] | undefined | { problem: string } {
  const spec = Object.hasOwn(RUN_OPTIONS, key) && key !== 'config' ? RUN_OPTIONS[key] : undefined;
  if (spec === undefined) return { problem: `unknown option "${key}"` };
  if (value === null) return undefined;
  if (spec.type === 'boolean')
    return typeof value === 'boolean' ? value : { problem: `"${key}" must be true or false` };
  if ((spec.list === true || spec.multiple === true) && Array.isArray(value)) {
    return value.every((x) => typeof x === 'string') ? value : { problem: `"${key}" must be a list of strings` };
  }
  if (typeof value === 'string' || (typeof value === 'number' && spec.number === true)) return String(value);
  return { problem: `"${key}" must be a ${spec.number === true ? 'number' : 'string'}` };
}

/**
 * The settings with the export's TLS files read and checked (run calls it at start, after
 * resolveRunSettings, which reads no files): a missing or bad file is a usage error naming its
 * flag or variable. A usage error given in comes back as is.
 */
export function withExportTls(settings: RunSettings | string): RunSettings | string {
  if (typeof settings === 'string' || settings.otlpExport === undefined) return settings;
  const otlpExport = withTlsLoaded(settings.otlpExport);
  return typeof otlpExport === 'string' ? otlpExport : { ...settings, otlpExport };
}

/**
 * `$(NAME)` in a listen address replaced by the environment variable, as Kubernetes does in
 * container args: the chart binds `[$(POD_IP)]:4317`, an address known only when the pod starts.
 * undefined when a named variable is unset or empty.
 */
function expandEnv(text: string): string | undefined {
  let missing = false;
  const out = text.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (_m, name: string) => {
    const value = process.env[name];
    if (value === undefined || value === '') missing = true;
    return value ?? '';
  });
  return missing ? undefined : out;
}
