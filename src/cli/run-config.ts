import { parse as parseYaml } from 'yaml';
import { resolveOtlpExport, withTlsLoaded } from '../export/otlp-export-config.js';
import type { Environment, OtlpExportConfig } from '../export/otlp-export-config.js';
import { type ListenAddr, parseListenAddr } from '../sources/http-listener.js';
import { parseResourceSpec } from '../sources/watch/resources.js';
import type { ResourceSpec } from '../sources/watch/resources.js';
import { parseWatchScope } from '../sources/watch/scope.js';
import type { WatchScope } from '../sources/watch/scope.js';
import { UsageError, adoptionWindowMs, redactionError } from './args.js';

/** The OTLP export flags, the same on `run` and `replay` (export/otlp-export-config.ts reads them). */
export const OTLP_EXPORT_OPTIONS = {
  'otlp-endpoint': { type: 'string' },
  'otlp-protocol': { type: 'string' },
  // Repeatable and never comma-split: a header value may hold commas.
  'otlp-header': { type: 'string', multiple: true },
  'otlp-compression': { type: 'string' },
  'otlp-timeout': { type: 'string' },
  'otlp-certificate': { type: 'string' },
  'otlp-client-certificate': { type: 'string' },
  'otlp-client-key': { type: 'string' },
  'otlp-insecure': { type: 'boolean' },
} as const;

/**
 * Every `kubestitch run` option. The config file (`--config FILE`, YAML) uses the same names as
 * keys; a flag on the command line overrides the file. `list` options take a comma-separated
 * string on the command line and a YAML list or a string in the file.
 */
export const RUN_OPTIONS = {
  config: { type: 'string' },
  cluster: { type: 'string' },
  sources: { type: 'string', list: true },
  'data-dir': { type: 'string' },
  kubeconfig: { type: 'string' },
  context: { type: 'string' },
  'watch-kinds': { type: 'string', list: true },
  namespaces: { type: 'string', list: true },
  'exclude-namespaces': { type: 'string', list: true },
  'label-selector': { type: 'string' },
  out: { type: 'string' },
  ...OTLP_EXPORT_OPTIONS,
  'spool-max-bytes': { type: 'string', number: true },
  ui: { type: 'string' },
  'store-retention-hours': { type: 'string', number: true },
  'store-max-bytes': { type: 'string', number: true },
  'admin-addr': { type: 'string' },
  'metrics-owner-allow': { type: 'string', list: true },
  'metrics-namespace-allow': { type: 'string', list: true },
  'audit-webhook-addr': { type: 'string' },
  'audit-webhook-path': { type: 'string' },
  'audit-tls-cert': { type: 'string' },
  'audit-tls-key': { type: 'string' },
  'audit-client-ca': { type: 'string' },
  'audit-webhook-token-file': { type: 'string' },
  'audit-webhook-insecure-http': { type: 'boolean' },
  'audit-log-path': { type: 'string' },
  'otlp-grpc-addr': { type: 'string' },
  'otlp-http-addr': { type: 'string' },
  'otlp-token-file': { type: 'string' },
  'otlp-tls-cert': { type: 'string' },
  'otlp-tls-key': { type: 'string' },
  'otlp-client-ca': { type: 'string' },
  'otlp-forward-endpoint': { type: 'string' },
  stitch: { type: 'string' },
  'leader-elect': { type: 'boolean' },
  // A duration (`15s`); a bare YAML number is milliseconds, as on the command line.
  'adoption-window': { type: 'string', number: true },
  'redact-annotations': { type: 'string' },
  'leader-election-namespace': { type: 'string' },
  'leader-election-lease-name': { type: 'string' },
  'leader-election-identity': { type: 'string' },
  'shutdown-deadline-seconds': { type: 'string', number: true },
} as const satisfies Record<
  string,
  { type: 'string' | 'boolean'; list?: boolean; number?: boolean; multiple?: boolean }
>;

export type RunOptionName = keyof typeof RUN_OPTIONS;

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
  /** The OTLP export's URL (as in otlpExport), kept for the forwarder default and messages. */
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

type RawValues = Partial<Record<RunOptionName, string | boolean | string[]>>;

const SOURCES: ReadonlySet<string> = new Set(['watch', 'events', 'audit', 'otlp']);

/**
 * Merges the config file (YAML text, may be undefined) under the command-line values and
 * validates the result. Returns the settings, or an error message naming the option (and file)
 * at fault. Never throws.
 */
export function resolveRunSettings(
  cli: RawValues,
  configText?: string,
  configName = 'config',
  env: Environment = {},
): RunSettings | string {
  let file: RawValues = {};
  if (configText !== undefined) {
    const parsed = fromFile(configText, configName);
    if (typeof parsed === 'string') return parsed;
    file = parsed;
  }
  const v: RawValues = { ...file, ...definedOnly(cli) };
  const str = (k: RunOptionName): string | undefined => (typeof v[k] === 'string' ? v[k] : undefined);
  const list = (k: RunOptionName): string[] => {
    const x = v[k];
    const items = Array.isArray(x) ? x : typeof x === 'string' ? [x] : [];
    return items
      .flatMap((s) => s.split(','))
      .map((s) => s.trim())
      .filter((s) => s !== '');
  };
  const num = (k: RunOptionName, dflt: number): number | string => {
    const x = str(k);
    if (x === undefined) return dflt;
    const n = Number(x);
    return Number.isFinite(n) && n > 0 ? n : `--${k} must be a positive number, got ${x}`;
  };
  const addr = (k: RunOptionName): ListenAddr | undefined | string => {
    const given = str(k);
    if (given === undefined) return undefined;
    const x = expandEnv(given);
    if (x === undefined) return `--${k} ${given}: an environment variable it names is not set`;
    return parseListenAddr(x) ?? `--${k} must be [host]:port, got ${x}`;
  };

  const webhookAddr = addr('audit-webhook-addr');
  const grpc = addr('otlp-grpc-addr');
  const http = addr('otlp-http-addr');
  const ui = addr('ui');
  const admin = addr('admin-addr');
  for (const a of [webhookAddr, grpc, http, ui, admin]) if (typeof a === 'string') return a;
  const numbers = {
    spool: num('spool-max-bytes', 1024 ** 3),
    retention: num('store-retention-hours', 72),
    storeMax: num('store-max-bytes', 2 * 1024 ** 3),
    deadline: num('shutdown-deadline-seconds', 20),
  };
  for (const n of Object.values(numbers)) if (typeof n === 'string') return n;
  const adoption = adoptionWindowMs(str('adoption-window'));
  if (adoption instanceof UsageError) return adoption.message;
  const redact = list('redact-annotations');
  const redactError = redactionError(redact);
  if (redactError !== undefined) return redactError;

  let sources = list('sources');
  if (sources.length === 0) {
    // Default: watch the cluster; add what the other options ask for.
    sources = ['watch', 'events'];
    if (webhookAddr !== undefined || str('audit-log-path') !== undefined) sources.push('audit');
    if (grpc !== undefined || http !== undefined) sources.push('otlp');
  }
  const unknown = sources.filter((s) => !SOURCES.has(s));
  if (unknown.length > 0) return `--sources: unknown source(s) ${unknown.join(', ')}; use watch, events, audit, otlp`;
  const set = new Set(sources as RunSource[]);
  if (set.has('audit') && webhookAddr === undefined && str('audit-log-path') === undefined) {
    return '--sources audit needs --audit-webhook-addr and/or --audit-log-path';
  }
  const insecure = v['audit-webhook-insecure-http'] === true;
  if (
    webhookAddr !== undefined &&
    !insecure &&
    (str('audit-tls-cert') === undefined || str('audit-tls-key') === undefined)
  ) {
    return 'the audit webhook serves HTTPS: give --audit-tls-cert and --audit-tls-key (or --audit-webhook-insecure-http)';
  }
  if ((str('otlp-tls-cert') === undefined) !== (str('otlp-tls-key') === undefined)) {
    return 'the OTLP receivers serve TLS with both --otlp-tls-cert and --otlp-tls-key';
  }
  if (str('otlp-client-ca') !== undefined && str('otlp-tls-cert') === undefined) {
    return '--otlp-client-ca needs --otlp-tls-cert and --otlp-tls-key (client certificates need TLS)';
  }
  const stitch = str('stitch');
  if (stitch !== undefined && stitch !== 'reparent' && stitch !== 'link')
    return `--stitch must be reparent or link, got ${stitch}`;
  const watchKinds: ResourceSpec[] = [];
  for (const item of list('watch-kinds')) {
    const spec = parseResourceSpec(item);
    if (typeof spec === 'string') return `--watch-kinds ${spec}`;
    watchKinds.push(spec);
  }
  const opt = <T>(name: string, x: T | undefined): Record<string, T> => (x === undefined ? {} : { [name]: x });
  const watchScope = parseWatchScope(list('namespaces'), list('exclude-namespaces'), str('label-selector'));
  if (typeof watchScope === 'string') return watchScope;
  const out = str('out');
  const otlpExport = otlpExportFrom(str, v['otlp-header'], v['otlp-insecure'] === true, env);
  if (typeof otlpExport === 'string') return otlpExport;
  const otlpEndpoint = otlpExport?.url;
  const embeddedStore = (out === undefined && otlpEndpoint === undefined) || ui !== undefined;
  const leaderElect = v['leader-elect'] === true;
  return {
    cluster: str('cluster') ?? 'default',
    sources: set,
    dataDir: str('data-dir') ?? '.kubestitch-data',
    watchKinds,
    watchScope,
    spoolMaxBytes: numbers.spool as number,
    embeddedStore,
    storeRetentionHours: numbers.retention as number,
    storeMaxBytes: numbers.storeMax as number,
    metricsOwnerAllow: list('metrics-owner-allow'),
    metricsNamespaceAllow: list('metrics-namespace-allow'),
    shutdownDeadlineMs: (numbers.deadline as number) * 1000,
    ...opt('adoptionWindowMs', adoption),
    redactAnnotations: redact,
    ...opt('kubeconfig', str('kubeconfig')),
    ...opt('context', str('context')),
    ...opt('out', out),
    ...opt('otlpEndpoint', otlpEndpoint),
    ...opt('otlpExport', otlpExport),
    ...opt('ui', ui ?? (embeddedStore ? { host: '127.0.0.1', port: 16686 } : undefined)),
    ...opt('adminAddr', admin),
    ...opt(
      'webhook',
      webhookAddr === undefined
        ? undefined
        : {
            addr: webhookAddr,
            insecureHttp: insecure,
            ...opt('path', str('audit-webhook-path')),
            ...opt('tlsCert', str('audit-tls-cert')),
            ...opt('tlsKey', str('audit-tls-key')),
            ...opt('clientCa', str('audit-client-ca')),
            ...opt('tokenFile', str('audit-webhook-token-file')),
          },
    ),
    ...opt('auditLogPath', str('audit-log-path')),
    // Loopback unless an address is given: the receivers take spans from whoever can connect.
    ...opt('otlpGrpcAddr', set.has('otlp') ? (grpc ?? { host: '127.0.0.1', port: 4317 }) : undefined),
    ...opt('otlpHttpAddr', set.has('otlp') ? (http ?? { host: '127.0.0.1', port: 4318 }) : undefined),
    ...opt('otlpAuth', set.has('otlp') ? otlpAuth(str) : undefined),
    ...opt('otlpForwardEndpoint', str('otlp-forward-endpoint')),
    ...opt('stitchMode', stitch as 'reparent' | 'link' | undefined),
    ...opt(
      'leaderElection',
      leaderElect
        ? {
            namespace: str('leader-election-namespace') ?? process.env['POD_NAMESPACE'] ?? 'default',
            leaseName: str('leader-election-lease-name') ?? 'kubestitch',
            ...opt('identity', str('leader-election-identity')),
          }
        : undefined,
    ),
  };
}

function definedOnly(values: RawValues): RawValues {
  return Object.fromEntries(Object.entries(values).filter(([, x]) => x !== undefined)) as RawValues;
}

// The file's keys are the flag names; values are checked against each option's type.
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
    if (!(key in RUN_OPTIONS) || key === 'config') return `${name}: unknown option "${key}"`;
    const spec: { type: string; list?: boolean; number?: boolean; multiple?: boolean } =
      RUN_OPTIONS[key as RunOptionName];
    if (value === null) continue;
    if (spec.type === 'boolean') {
      if (typeof value !== 'boolean') return `${name}: "${key}" must be true or false`;
      out[key as RunOptionName] = value;
    } else if ((spec.list === true || spec.multiple === true) && Array.isArray(value)) {
      if (!value.every((x) => typeof x === 'string')) return `${name}: "${key}" must be a list of strings`;
      out[key as RunOptionName] = value as string[];
    } else if (typeof value === 'string' || (typeof value === 'number' && spec.number === true)) {
      out[key as RunOptionName] = String(value);
    } else {
      return `${name}: "${key}" must be a ${spec.number === true ? 'number' : 'string'}`;
    }
  }
  return out;
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

// The export flags (over the file) and the OTEL_EXPORTER_OTLP_* variables.
function otlpExportFrom(
  str: (k: RunOptionName) => string | undefined,
  headers: string | boolean | string[] | undefined,
  insecure: boolean,
  env: Environment,
): OtlpExportConfig | undefined | string {
  return resolveOtlpExport(
    {
      ...optional('endpoint', str('otlp-endpoint')),
      ...optional('protocol', str('otlp-protocol')),
      ...optional('compression', str('otlp-compression')),
      ...optional('timeout', str('otlp-timeout')),
      ...optional('certificate', str('otlp-certificate')),
      ...optional('clientCertificate', str('otlp-client-certificate')),
      ...optional('clientKey', str('otlp-client-key')),
      ...(insecure ? { insecure } : {}),
      ...(Array.isArray(headers) ? { headers } : typeof headers === 'string' ? { headers: [headers] } : {}),
    },
    env,
  );
}

function otlpAuth(str: (k: RunOptionName) => string | undefined): RunSettings['otlpAuth'] {
  const auth = {
    ...optional('tokenFile', str('otlp-token-file')),
    ...optional('tlsCert', str('otlp-tls-cert')),
    ...optional('tlsKey', str('otlp-tls-key')),
    ...optional('clientCa', str('otlp-client-ca')),
  };
  return Object.keys(auth).length === 0 ? undefined : auth;
}

function optional(name: string, value: string | undefined): Record<string, string> {
  return value === undefined ? {} : { [name]: value };
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
