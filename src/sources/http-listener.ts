import { readFile } from 'node:fs/promises';
import { type RequestListener, type Server, createServer as createHttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';

/** Certificate files of an HTTPS listener (the audit webhook, the OTLP/HTTP receiver). */
export interface TlsFiles {
  readonly certFile: string;
  readonly keyFile: string;
  /** CA bundle for client certificates. */
  readonly clientCaFile?: string;
}

/**
 * An HTTP server, or HTTPS when `tls` is given. With a client CA, `verifyClientsOurselves` asks
 * for a certificate without rejecting at the TLS layer (the handler checks `socket.authorized` and
 * answers 401/403 cleanly); otherwise the TLS handshake rejects unsigned clients. Rejects when a
 * file cannot be read.
 */
export async function createListener(
  tls: TlsFiles | undefined,
  handler: RequestListener,
  verifyClientsOurselves: boolean,
): Promise<Server> {
  if (tls === undefined) return createHttpServer(handler);
  const [cert, key, ca] = await Promise.all([
    readFile(tls.certFile),
    readFile(tls.keyFile),
    tls.clientCaFile === undefined ? undefined : readFile(tls.clientCaFile),
  ]);
  const clientAuth = ca === undefined ? {} : { ca, requestCert: true, rejectUnauthorized: !verifyClientsOurselves };
  return createHttpsServer({ cert, key, ...clientAuth }, handler);
}

/**
 * Stops accepting, lets the requests in `inFlight` finish (including ones that start meanwhile),
 * then drops the remaining connections. Never rejects.
 */
export async function closeGracefully(server: Server, inFlight: ReadonlySet<Promise<unknown>>): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
  server.closeAllConnections();
  await closed;
}

/** Where a listener binds; no host means every interface. */
export interface ListenAddr {
  readonly host?: string;
  readonly port: number;
}

/**
 * Parses a listen address: `host:port`, `[v6]:port`, `:port` (every interface) and, with
 * `barePort`, `port` alone. An IPv6 host must be bracketed (in `fe80::1:9090` the port would be a
 * guess). Returns undefined for anything else, or a port outside 0–65535; never throws. The one
 * parser behind every listening flag (webhook, OTLP, admin, viewer), so they accept the same forms.
 */
export function parseListenAddr(text: string, options: { readonly barePort?: boolean } = {}): ListenAddr | undefined {
  const bare = options.barePort === true && /^\d+$/.test(text);
  const i = bare ? -1 : text.lastIndexOf(':');
  if (i < 0 && !bare) return undefined;
  const portText = text.slice(i + 1);
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65535) return undefined;
  const raw = bare ? '' : text.slice(0, i);
  const host = raw.replace(/^\[(.*)\]$/, '$1');
  if (host === raw && host.includes(':')) return undefined;
  return host === '' ? { port } : { host, port };
}
