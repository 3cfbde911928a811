/**
 * Where and how spans are exported over OTLP: the `--otlp-*` flags and the standard
 * `OTEL_EXPORTER_OTLP_*` environment variables, read explicitly with the specification's
 * precedence — a flag, then `OTEL_EXPORTER_OTLP_TRACES_<X>`, then `OTEL_EXPORTER_OTLP_<X>` — instead
 * of relying on the SDK exporter's fallbacks (which only the gRPC exporter has, and only for some
 * settings).
 */
import { parseDurationMs } from '../model/duration.js';
import { describeTlsFiles, loadOtlpTls, resolveInsecure, resolveOtlpTlsFiles } from './otlp-export-tls.js';
import type { OtlpTls, OtlpTlsFiles, OtlpTlsFlags } from './otlp-export-tls.js';

export const OTLP_PROTOCOLS = ['grpc', 'http/protobuf', 'http/json'] as const;
export type OtlpProtocol = (typeof OTLP_PROTOCOLS)[number];

/** A resolved OTLP export: every field has its final value. */
export interface OtlpExportConfig {
  /** gRPC: the receiver's URL; HTTP: the URL requests are POSTed to (`…/v1/traces`). */
  readonly url: string;
  readonly protocol: OtlpProtocol;
  /** Lower-case names. Values are secrets (API keys): never log them. */
  readonly headers: Readonly<Record<string, string>>;
  readonly compression: 'gzip' | 'none';
  readonly timeoutMs: number;
  /** An https:// export's own CA and client certificate files (otlp-export-tls.ts); absent: system CAs. */
  readonly tlsFiles?: OtlpTlsFiles;
  /** Their PEM contents, once withTlsLoaded has read them. */
  readonly tls?: OtlpTls;
}

/** The export flags as given (all optional). */
export interface OtlpExportFlags extends OtlpTlsFlags {
  readonly endpoint?: string;
  readonly protocol?: string;
  /** `KEY=VALUE` each, from a repeatable flag. */
  readonly headers?: readonly string[];
  readonly compression?: string;
  readonly timeout?: string;
}

export type Environment = Readonly<Record<string, string | undefined>>;

const DEFAULT_TIMEOUT_MS = 10_000;
const TRACES_PATH = 'v1/traces';
// A gRPC endpoint without a scheme, as the spec allows: host:port or [ipv6]:port, nothing more.
const HOST_PORT = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\]):\d{1,5}$/;
// RFC 9110 token: what an HTTP header name (and a gRPC metadata key, lower-cased) may hold.
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// Control characters (CR/LF above all) would split the request; the value is never echoed.
// eslint-disable-next-line no-control-regex
const BAD_HEADER_VALUE = /[\u0000-\u0008\u000a-\u001f\u007f]/;

/** A setting's resolved value, or a usage error naming the flag or variable at fault. */
type Resolved<T> = { readonly value: T } | { readonly error: string };

/** A setting's text and where it came from: the flag or variable name errors quote. */
type Picked = readonly [text: string, source: string];

/**
 * Resolves the OTLP export from `flags` over `env`. Returns undefined when no endpoint is given
 * anywhere (no OTLP export), the config, or a one-line usage error naming the flag or variable at
 * fault — never a header value. Never throws.
 *
 * Endpoint: `--otlp-endpoint`, else `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` (used as is), else
 * `OTEL_EXPORTER_OTLP_ENDPOINT` (for HTTP `v1/traces` is appended, as the spec says). For HTTP the
 * flag gets `/v1/traces` appended unless its path already ends so, so both a Collector's base
 * URL and a vendor's full traces URL work. Headers merge per name: flags over
 * `…TRACES_HEADERS` over `…HEADERS`.
 */
export function resolveOtlpExport(flags: OtlpExportFlags, env: Environment): OtlpExportConfig | undefined | string {
  // One error at a time, in a fixed order: the same flags and variables give the same message.
  const protocol = resolveProtocol(flags, env);
  if ('error' in protocol) return protocol.error;
  const compression = resolveCompression(flags, env);
  if ('error' in compression) return compression.error;
  const timeoutMs = resolveTimeoutMs(flags, env);
  if ('error' in timeoutMs) return timeoutMs.error;
  const headers = resolveHeaders(flags.headers ?? [], env);
  if (typeof headers === 'string') return headers;
  const insecure = resolveInsecure(flags.insecure, env);
  if (typeof insecure === 'string') return insecure;
  const url = resolveUrl(flags.endpoint, env, protocol.value, insecure);
  if (url === undefined || 'error' in url) return url?.error;
  const tlsFiles = resolveOtlpTlsFiles(flags, env, url.value);
  if (typeof tlsFiles === 'string') return tlsFiles;
  return {
    url: url.value,
    protocol: protocol.value,
    headers,
    compression: compression.value,
    timeoutMs: timeoutMs.value,
    ...(tlsFiles !== undefined ? { tlsFiles } : {}),
  };
}

// The spec's precedence: the flag, then OTEL_EXPORTER_OTLP_TRACES_<name>, then
// OTEL_EXPORTER_OTLP_<name>; a blank variable counts as unset.
function pick(flag: string | undefined, name: string, env: Environment): Picked | undefined {
  if (flag !== undefined) return [flag, `--otlp-${name.toLowerCase()}`];
  for (const variable of [`OTEL_EXPORTER_OTLP_TRACES_${name}`, `OTEL_EXPORTER_OTLP_${name}`]) {
    const value = env[variable]?.trim();
    if (value !== undefined && value !== '') return [value, variable];
  }
  return undefined;
}

function isOtlpProtocol(text: string): text is OtlpProtocol {
  return (OTLP_PROTOCOLS as readonly string[]).includes(text);
}

function resolveProtocol(flags: OtlpExportFlags, env: Environment): Resolved<OtlpProtocol> {
  const [text, source] = pick(flags.protocol, 'PROTOCOL', env) ?? ['grpc', 'default'];
  if (!isOtlpProtocol(text)) {
    return { error: `${source} must be one of ${OTLP_PROTOCOLS.join(', ')}, got ${JSON.stringify(text)}` };
  }
  return { value: text };
}

function resolveCompression(flags: OtlpExportFlags, env: Environment): Resolved<'gzip' | 'none'> {
  const [text, source] = pick(flags.compression, 'COMPRESSION', env) ?? ['gzip', 'default'];
  if (text !== 'gzip' && text !== 'none') {
    return { error: `${source} must be gzip or none, got ${JSON.stringify(text)}` };
  }
  return { value: text };
}

function resolveTimeoutMs(flags: OtlpExportFlags, env: Environment): Resolved<number> {
  const timeout = pick(flags.timeout, 'TIMEOUT', env);
  if (timeout === undefined) return { value: DEFAULT_TIMEOUT_MS };
  const [text, source] = timeout;
  const ms = parseTimeoutMs(text);
  if (ms === undefined) {
    return {
      error: `${source} must be a duration such as 10s, 500ms or 10000 (milliseconds), got ${JSON.stringify(text)}`,
    };
  }
  return { value: ms };
}

/** `10s`, `500ms`, `1m`, or a bare number of milliseconds (as OTEL_EXPORTER_OTLP_TIMEOUT). */
function parseTimeoutMs(text: string): number | undefined {
  const ms = parseDurationMs(text);
  return ms !== undefined && ms > 0 ? ms : undefined;
}

/**
 * How the signal path is added to an HTTP endpoint: the traces variable is the full URL (as is),
 * the general variable a base URL (appended, as the spec says), the flag either (appended unless
 * it already ends in v1/traces).
 */
type PathRule = 'as-is' | 'append' | 'append-unless-traces';

interface GivenEndpoint {
  readonly text: string;
  readonly source: string;
  readonly rule: PathRule;
}

function givenEndpoint(flag: string | undefined, env: Environment): GivenEndpoint | undefined {
  if (flag !== undefined) return { text: flag, source: '--otlp-endpoint', rule: 'append-unless-traces' };
  const traces = nonEmpty(env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT']);
  if (traces !== undefined) return { text: traces, source: 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', rule: 'as-is' };
  const base = nonEmpty(env['OTEL_EXPORTER_OTLP_ENDPOINT']);
  if (base !== undefined) return { text: base, source: 'OTEL_EXPORTER_OTLP_ENDPOINT', rule: 'append' };
  return undefined;
}

// undefined: no endpoint anywhere. A gRPC endpoint without a scheme (`collector:4317`, as the spec
// allows) is TLS unless insecure says plaintext.
function resolveUrl(
  flag: string | undefined,
  env: Environment,
  protocol: OtlpProtocol,
  insecure: boolean,
): Resolved<string> | undefined {
  const given = givenEndpoint(flag, env);
  if (given === undefined) return undefined;
  const http = protocol !== 'grpc';
  const text = !http && HOST_PORT.test(given.text) ? `${insecure ? 'http' : 'https'}://${given.text}` : given.text;
  const url = parseEndpointUrl(text, given.source, http);
  if ('error' in url) return url;
  return { value: http ? tracesUrl(url.value, text, given.rule) : text };
}

function parseEndpointUrl(text: string, source: string, http: boolean): Resolved<URL> {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return {
      error: `${source} must be a URL such as http://localhost:${http ? 4318 : 4317}, got ${JSON.stringify(text)}`,
    };
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '') {
    return { error: `${source} must be an http:// or https:// URL with a host, got ${JSON.stringify(text)}` };
  }
  return { value: url };
}

// An HTTP endpoint's URL to POST to; `text` is returned unchanged (not re-serialized by URL) when
// the rule leaves the path alone.
function tracesUrl(url: URL, text: string, rule: PathRule): string {
  if (rule === 'as-is') return text;
  if (rule === 'append-unless-traces' && /\/v1\/traces\/?$/.test(url.pathname)) return text;
  url.pathname = url.pathname.endsWith('/') ? `${url.pathname}${TRACES_PATH}` : `${url.pathname}/${TRACES_PATH}`;
  return url.toString();
}

function nonEmpty(value: string | undefined): string | undefined {
  const v = value?.trim();
  return v === undefined || v === '' ? undefined : v;
}

function resolveHeaders(flags: readonly string[], env: Environment): Record<string, string> | string {
  const out: Record<string, string> = {};
  for (const variable of ['OTEL_EXPORTER_OTLP_HEADERS', 'OTEL_EXPORTER_OTLP_TRACES_HEADERS']) {
    const parsed = parseHeaderList(env[variable] ?? '', variable);
    if (typeof parsed === 'string') return parsed;
    Object.assign(out, parsed);
  }
  for (const item of flags) {
    const parsed = parseHeader(item, false, '--otlp-header');
    if (typeof parsed === 'string') return parsed;
    out[parsed[0]] = parsed[1];
  }
  return out;
}

/**
 * The W3C-baggage-like list of OTEL_EXPORTER_OTLP_HEADERS: `k=v,k2=v2`, whitespace around items
 * ignored, values percent-decoded. An error names the variable and the entry's key, not its value.
 */
export function parseHeaderList(text: string, source: string): Record<string, string> | string {
  const out: Record<string, string> = {};
  for (const item of text.split(',')) {
    if (item.trim() === '') continue;
    const parsed = parseHeader(item, true, source);
    if (typeof parsed === 'string') return parsed;
    out[parsed[0]] = parsed[1];
  }
  return out;
}

function parseHeader(item: string, percentEncoded: boolean, source: string): [string, string] | string {
  const eq = item.indexOf('=');
  const name = (eq < 0 ? item : item.slice(0, eq)).trim();
  if (eq < 0 || name === '') return `${source} takes KEY=VALUE, got an entry without "=" or without a key`;
  if (!HEADER_NAME.test(name)) return `${source}: ${JSON.stringify(name)} is not a valid header name`;
  let value = item.slice(eq + 1).trim();
  if (percentEncoded) {
    try {
      value = decodeURIComponent(value);
    } catch {
      return `${source}: the value of ${name} is not valid percent-encoding`;
    }
  }
  if (BAD_HEADER_VALUE.test(value)) return `${source}: the value of ${name} holds a control character`;
  return [name.toLowerCase(), value];
}

/** Header names only, for logs: the values are credentials. */
export function describeOtlpExport(config: OtlpExportConfig): string {
  const names = Object.keys(config.headers);
  const headers = names.length === 0 ? '' : `, headers ${names.join(', ')}`;
  const url = new URL(config.url);
  url.username = '';
  url.password = '';
  const tls = config.tlsFiles === undefined ? '' : `, tls ${describeTlsFiles(config.tlsFiles)}`;
  return `${config.protocol} ${url.toString()} (compression ${config.compression}, timeout ${config.timeoutMs} ms${headers}${tls})`;
}

/**
 * The config with its TLS files read and checked (loadOtlpTls), or a usage error naming the flag
 * or variable. Commands call it once at start; a config without TLS files comes back as is.
 */
export function withTlsLoaded(
  config: OtlpExportConfig,
  readFile?: (path: string) => Buffer,
): OtlpExportConfig | string {
  if (config.tlsFiles === undefined || config.tls !== undefined) return config;
  const tls = loadOtlpTls(config.tlsFiles, readFile);
  return typeof tls === 'string' ? tls : { ...config, tls };
}
