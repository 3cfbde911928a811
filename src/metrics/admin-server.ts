import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type ListenAddr, closeGracefully, parseListenAddr as parseAddr } from '../sources/http-listener.js';
import type { Exposition } from './kubestitch-metrics.js';

/** What /healthz and /readyz report; `ok` decides 200 or 503, the rest is the JSON body. */
export interface HealthReport {
  readonly ok: boolean;
  /** Per-check detail (per informer state, store open, leader…), shown as is. */
  readonly checks?: Readonly<Record<string, unknown>>;
}

/** Minimal pino-compatible logger. */
export interface AdminLogger {
  warn(obj: object, msg: string): void;
}

export interface AdminServerOptions {
  /** `host:port`, `:port` (every interface), `[::1]:port`; port 0 picks a free one. */
  readonly addr: string;
  readonly metrics: { render(accept?: string): Promise<Exposition> };
  /** /healthz; default always ok (the process answers). */
  readonly health?: () => HealthReport | Promise<HealthReport>;
  /** /readyz; default always ok. */
  readonly ready?: () => HealthReport | Promise<HealthReport>;
  readonly logger?: AdminLogger;
}

/** A listening admin server. */
export interface AdminServer {
  readonly address: AddressInfo;
  /** `http://host:port` for the bound address (loopback when bound to every interface). */
  readonly url: string;
  /** Stops accepting, lets requests in flight finish, closes. Idempotent; never rejects. */
  close(): Promise<void>;
}

/**
 * Parses `host:port` / `:port` / `[v6]:port`. Throws an Error naming the bad value when the port
 * is missing or not 0–65535.
 */
export function parseListenAddr(addr: string): ListenAddr {
  const parsed = parseAddr(addr);
  if (parsed === undefined) throw new Error(`admin address ${JSON.stringify(addr)} is not host:port or :port`);
  return parsed;
}

/**
 * Starts the admin HTTP server (DESIGN §5, run flag `admin-addr`): GET /metrics (content
 * negotiated: OpenMetrics with exemplars, else Prometheus text), /healthz and /readyz (200 or 503
 * with a JSON body; a check that throws answers 503 with its message), 404 for anything else, 405
 * for methods other than GET/HEAD. Rejects when the address is invalid or cannot be bound.
 */
export async function startAdminServer(options: AdminServerOptions): Promise<AdminServer> {
  const { host, port } = parseListenAddr(options.addr);
  const inFlight = new Set<Promise<unknown>>();
  const server = createServer((req, res) => {
    const done = handle(options, req, res).catch((err: unknown) => {
      options.logger?.warn({ err, path: req.url }, 'admin request failed');
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', 'internal error\n', req.method === 'HEAD');
      else res.destroy();
    });
    inFlight.add(done);
    void done.finally(() => inFlight.delete(done));
  });
  const address = await listen(server, port, host);
  let closing: Promise<void> | undefined;
  const shownHost = host === undefined || host === '0.0.0.0' || host === '::' ? '127.0.0.1' : address.address;
  return {
    address,
    url: `http://${shownHost.includes(':') ? `[${shownHost}]` : shownHost}:${address.port}`,
    close: () => (closing ??= closeGracefully(server, inFlight)),
  };
}

function listen(server: Server, port: number, host: string | undefined): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
}

async function handle(options: AdminServerOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? '/').split('?', 1)[0];
  const head = req.method === 'HEAD';
  const known = path === '/metrics' || path === '/healthz' || path === '/readyz';
  if (!known) return send(res, 404, 'text/plain; charset=utf-8', 'not found: try /metrics, /healthz, /readyz\n', head);
  if (req.method !== 'GET' && !head) {
    res.setHeader('Allow', 'GET, HEAD');
    return send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n', false);
  }
  if (path === '/metrics') {
    const exposition = await options.metrics.render(req.headers.accept);
    res.setHeader('Vary', 'Accept');
    return send(res, 200, exposition.contentType, exposition.body, head);
  }
  const check = path === '/healthz' ? options.health : options.ready;
  const report = await runCheck(check);
  const body = `${JSON.stringify({ status: report.ok ? 'ok' : 'fail', ...report })}\n`;
  return send(res, report.ok ? 200 : 503, 'application/json; charset=utf-8', body, head);
}

async function runCheck(check: AdminServerOptions['health']): Promise<HealthReport> {
  if (check === undefined) return { ok: true };
  try {
    return await check();
  } catch (err: unknown) {
    return { ok: false, checks: { error: err instanceof Error ? err.message : String(err) } };
  }
}

function send(res: ServerResponse, status: number, contentType: string, body: string, head: boolean): void {
  res.statusCode = status;
  res.setHeader('Content-Type', contentType);
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.setHeader('Cache-Control', 'no-store');
  res.end(head ? undefined : body);
}
