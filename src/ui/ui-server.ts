import { readFile, readdir } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { TraceStore } from '../../storage/index.js';
import type { OpenOperationsSource } from './open-operations.js';
import { handleApiRequest } from './query-api.js';
import { parseListenAddr as parseAddr } from '../sources/http-listener.js';

const gzipAsync = promisify(gzip);

/** Where the viewer and query API listen unless told otherwise (Jaeger's query port). */
export const DEFAULT_UI_ADDR = '127.0.0.1:16686';

/** The slice of a pino logger the server uses. */
export interface UiServerLogger {
  warn(context: object, message: string): void;
}

export interface UiServerOptions {
  readonly store: TraceStore;
  /** `HOST:PORT`, `:PORT` (every interface) or `PORT`; default `127.0.0.1:16686`. Port 0 picks one. */
  readonly addr?: string;
  readonly logger?: UiServerLogger;
  readonly nowMs?: () => number;
  /** Live only: the operations still open, for `/api/open-operations` and open spans in traces. */
  readonly openOperations?: OpenOperationsSource;
}

/** A listening viewer + query API. */
export interface UiServer {
  /** Base URL to print, e.g. `http://127.0.0.1:16686` (`localhost` when listening on every interface). */
  readonly url: string;
  readonly address: AddressInfo;
  /** Stops listening and drops open connections. Idempotent; never rejects. */
  close(): Promise<void>;
}

/**
 * Parses a listen address. Throws `TypeError` with a usage hint for anything that is not
 * `[HOST]:PORT` or `PORT` with a port in 0–65535.
 */
export function parseListenAddr(addr: string): { host: string; port: number } {
  const parsed = parseAddr(addr, { barePort: true });
  if (parsed === undefined) {
    throw new TypeError(
      `invalid listen address ${JSON.stringify(addr)}: expected [HOST]:PORT, e.g. 127.0.0.1:16686 or :16686`,
    );
  }
  return { host: parsed.host ?? '', port: parsed.port };
}

const TYPES: Readonly<Record<string, string>> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
};

interface Asset {
  readonly type: string;
  readonly body: Buffer;
}

/** Reads the viewer's files once: only these names are ever served (no path handling at all). */
async function loadAssets(): Promise<Map<string, Asset>> {
  const dir = new URL('./assets/', import.meta.url);
  const assets = new Map<string, Asset>();
  for (const name of await readdir(dir)) {
    const type = TYPES[name.slice(name.lastIndexOf('.') + 1)];
    if (type !== undefined) assets.set(name, { type, body: await readFile(new URL(name, dir)) });
  }
  if (!assets.has('index.html')) throw new Error(`viewer assets missing in ${dir.pathname} (run npm run build)`);
  return assets;
}

const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'content-security-policy': "default-src 'self'; img-src 'self' data:; style-src 'self'; frame-ancestors 'none'",
  'referrer-policy': 'no-referrer',
};

async function send(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  type: string,
  body: Buffer,
): Promise<void> {
  const headers: Record<string, string> = { ...SECURITY_HEADERS, 'content-type': type, 'cache-control': 'no-cache' };
  let payload = body;
  if (body.length > 1024 && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))) {
    payload = await gzipAsync(body);
    headers['content-encoding'] = 'gzip';
    headers.vary = 'accept-encoding';
  }
  headers['content-length'] = String(payload.length);
  res.writeHead(status, headers);
  res.end(req.method === 'HEAD' ? undefined : payload);
}

/**
 * Serves the viewer at `/` (also `/trace/{id}` and `/search`) and the query API under `/api/`
 * on one node:http server. Rejects when the address is malformed (`TypeError`), the port cannot be
 * bound (`EADDRINUSE`, `EACCES` …) or the viewer files are missing. A failing request is answered
 * 500 and logged; it never takes the server down.
 */
export async function startUiServer(options: UiServerOptions): Promise<UiServer> {
  const { host, port } = parseListenAddr(options.addr ?? DEFAULT_UI_ADDR);
  const assets = await loadAssets();
  const nowMs = options.nowMs ?? Date.now;
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://kubestitch.invalid');
    if (url.pathname.startsWith('/api/')) {
      const ctx = { store: options.store, nowMs: nowMs(), openOperations: options.openOperations };
      const answer = await handleApiRequest(ctx, req.method ?? 'GET', url);
      await send(req, res, answer.status, 'application/json', Buffer.from(JSON.stringify(answer.body)));
      return;
    }
    const name = url.pathname.startsWith('/static/') ? url.pathname.slice('/static/'.length) : 'index.html';
    const isPage =
      url.pathname === '/' || url.pathname === '/search' || /^\/trace\/[0-9a-fA-F]{1,32}$/.test(url.pathname);
    const asset = name === 'index.html' && !isPage ? undefined : assets.get(name);
    if (asset === undefined) {
      await send(req, res, 404, 'text/plain; charset=utf-8', Buffer.from('not found\n'));
      return;
    }
    await send(req, res, 200, asset.type, asset.body);
  };
  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      options.logger?.warn({ err: error, url: req.url }, 'viewer request failed');
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('internal error\n');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host === '' ? undefined : host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shownHost =
    host === '' || host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${shownHost}:${address.port}`,
    address,
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
