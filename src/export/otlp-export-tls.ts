/**
 * The export's TLS settings: the CA that verifies the backend and the client certificate and key
 * for mTLS, from `--otlp-certificate`, `--otlp-client-certificate`, `--otlp-client-key` or the
 * `OTEL_EXPORTER_OTLP_[TRACES_]CERTIFICATE` / `CLIENT_CERTIFICATE` / `CLIENT_KEY` variables (a flag
 * wins, then the TRACES_ variable, then the general one), and `--otlp-insecure` /
 * `OTEL_EXPORTER_OTLP_[TRACES_]INSECURE` (plaintext gRPC for an endpoint given without a scheme).
 *
 * resolveOtlpExport resolves which files (paths, no I/O); loadOtlpTls reads and checks them once,
 * at start, so a missing file or one that holds no PEM certificate/key is a usage error naming
 * the flag or variable then, not a failed export hours later.
 */
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import type { Environment } from './otlp-export-config.js';

/** What the sinks need: PEM contents, never paths. */
export interface OtlpTls {
  /** Replaces the system's CAs for verifying the backend. */
  readonly ca?: Buffer;
  /** Client certificate chain and its key (mTLS); both or neither. */
  readonly cert?: Buffer;
  readonly key?: Buffer;
}

/** The TLS flags as given (all optional). */
export interface OtlpTlsFlags {
  readonly certificate?: string;
  readonly clientCertificate?: string;
  readonly clientKey?: string;
  readonly insecure?: boolean;
}

/** A setting's value and the flag or variable it came from. */
type Picked = readonly [value: string, source: string, fromFlag: boolean];

/** The flag, else OTEL_EXPORTER_OTLP_TRACES_<name>, else OTEL_EXPORTER_OTLP_<name>. */
export function pickSetting(
  flag: string | undefined,
  flagName: string,
  name: string,
  env: Environment,
): Picked | undefined {
  if (flag !== undefined) return [flag, flagName, true];
  for (const variable of [`OTEL_EXPORTER_OTLP_TRACES_${name}`, `OTEL_EXPORTER_OTLP_${name}`]) {
    const value = env[variable]?.trim();
    if (value !== undefined && value !== '') return [value, variable, false];
  }
  return undefined;
}

/**
 * Whether a scheme-less gRPC endpoint means plaintext: `--otlp-insecure`, else the INSECURE
 * variables (`true`/`false`, any case). A usage error for another value.
 */
export function resolveInsecure(flag: boolean | undefined, env: Environment): boolean | string {
  if (flag === true) return true;
  const picked = pickSetting(undefined, '--otlp-insecure', 'INSECURE', env);
  if (picked === undefined) return false;
  const value = picked[0].toLowerCase();
  if (value !== 'true' && value !== 'false')
    return `${picked[1]} must be true or false, got ${JSON.stringify(picked[0])}`;
  return value === 'true';
}

/** One TLS file setting: its path and the flag or variable that named it. */
export interface TlsFile {
  readonly path: string;
  readonly source: string;
}

/** The export's TLS files as configured, not read yet (loadOtlpTls reads them). */
export interface OtlpTlsFiles {
  readonly ca?: TlsFile;
  readonly cert?: TlsFile;
  readonly key?: TlsFile;
}

/**
 * The TLS files for an export to `url`. Undefined when none is given; a one-line usage error
 * naming the flag or variable at fault. Files given by a flag for an `http://` endpoint are an
 * error (they would be ignored); given by a variable they are ignored, as other OTLP exporters
 * do, since a variable may be set for a whole pod. Reads nothing (see loadOtlpTls); never throws.
 */
export function resolveOtlpTlsFiles(
  flags: OtlpTlsFlags,
  env: Environment,
  url: string,
): OtlpTlsFiles | undefined | string {
  const ca = pickSetting(flags.certificate, '--otlp-certificate', 'CERTIFICATE', env);
  const cert = pickSetting(flags.clientCertificate, '--otlp-client-certificate', 'CLIENT_CERTIFICATE', env);
  const key = pickSetting(flags.clientKey, '--otlp-client-key', 'CLIENT_KEY', env);
  const given = [ca, cert, key].filter((p): p is Picked => p !== undefined);
  if (given.length === 0) return undefined;
  if (url.startsWith('http://')) {
    const flag = given.find((p) => p[2]);
    return flag === undefined ? undefined : `${flag[1]} needs an https:// endpoint (TLS), got ${url}`;
  }
  if ((cert === undefined) !== (key === undefined)) {
    const [has, lacks] = cert === undefined ? [key, '--otlp-client-certificate'] : [cert, '--otlp-client-key'];
    return `${has?.[1] ?? ''} needs ${lacks} (or its variable) too: a client certificate goes with its key`;
  }
  const file = (name: keyof OtlpTlsFiles, p: Picked | undefined): OtlpTlsFiles =>
    p === undefined ? {} : { [name]: { path: p[0], source: p[1] } };
  return { ...file('ca', ca), ...file('cert', cert), ...file('key', key) };
}

/** Paths only, for logs: `ca FILE, client certificate FILE`. */
export function describeTlsFiles(files: OtlpTlsFiles): string {
  const parts = [
    files.ca !== undefined ? `ca ${files.ca.path}` : undefined,
    files.cert !== undefined ? `client certificate ${files.cert.path}` : undefined,
  ];
  return parts.filter((s): s is string => s !== undefined).join(', ');
}

/**
 * Reads the files and checks them by building a TLS context from them: the PEM contents, or a
 * one-line usage error naming the flag or variable (a missing file, no PEM certificate, a key
 * that is not the certificate's). Called once at start, so a bad file stops the command there
 * rather than failing exports hours later. Never throws.
 */
export function loadOtlpTls(files: OtlpTlsFiles, readFile: (path: string) => Buffer = readFileSync): OtlpTls | string {
  const read = (f: TlsFile | undefined): Buffer | undefined | string => {
    if (f === undefined) return undefined;
    try {
      return readFile(f.path);
    } catch (error: unknown) {
      return `${f.source}: cannot read ${f.path} (${errorCode(error)})`;
    }
  };
  const [ca, cert, key] = [read(files.ca), read(files.cert), read(files.key)];
  for (const x of [ca, cert, key]) if (typeof x === 'string') return x;
  const pem = (x: Buffer | undefined | string): Buffer | undefined => (typeof x === 'string' ? undefined : x);
  const invalid = checkPem(pem(ca), pem(cert), pem(key), files.ca?.source, files.cert?.source, files.key?.source);
  if (invalid !== undefined) return invalid;
  const [caPem, certPem, keyPem] = [pem(ca), pem(cert), pem(key)];
  return {
    ...(caPem !== undefined ? { ca: caPem } : {}),
    ...(certPem !== undefined && keyPem !== undefined ? { cert: certPem, key: keyPem } : {}),
  };
}

// Builds TLS contexts from the files, the CA apart from the client pair, so the error names the
// right flag; OpenSSL's reason ("no start line", "key values mismatch") is kept short.
function checkPem(
  ca: Buffer | undefined,
  cert: Buffer | undefined,
  key: Buffer | undefined,
  caSource: string | undefined,
  certSource: string | undefined,
  keySource: string | undefined,
): string | undefined {
  if (ca !== undefined) {
    if (!ca.includes('-----BEGIN CERTIFICATE-----')) return `${caSource ?? ''}: the file holds no PEM certificate`;
    const failed = tryContext({ ca });
    if (failed !== undefined) return `${caSource ?? ''}: not a usable CA certificate (${failed})`;
  }
  if (cert !== undefined && key !== undefined) {
    const failed = tryContext({ cert, key });
    if (failed !== undefined) {
      return `${certSource ?? ''} and ${keySource ?? ''}: not a usable certificate and key (${failed})`;
    }
  }
  return undefined;
}

function tryContext(options: { ca?: Buffer; cert?: Buffer; key?: Buffer }): string | undefined {
  try {
    createSecureContext(options);
    return undefined;
  } catch (error: unknown) {
    const message = error instanceof Error ? error.message : String(error);
    return message.replace(/^error:[0-9A-F]+:/, '').slice(0, 120);
  }
}

function errorCode(error: unknown): string {
  const code = typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined;
  return typeof code === 'string' ? code : 'unreadable';
}
