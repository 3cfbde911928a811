import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { closeGracefully, createListener } from '../http-listener.js';
import type { AddressInfo } from 'node:net';
import type { JsonObject } from '../../model/kube-json.js';
import type { AppendResult, IntakeEntry } from '../../../storage/intake-log.js';
import { IntakeLogFullError } from '../../../storage/intake-log.js';
import type { AuditLogger } from './audit-logger.js';
import { toIntakeItem } from './audit-entry.js';
import { WebhookAuth } from './webhook-auth.js';
import { RejectionCounts } from '../input-boundary.js';
import { discardRest, parseEventList, readBody } from './webhook-body.js';
import type { RejectedItem } from './webhook-body.js';

/** Where accepted batches go: `IntakeLog` fits. `append` must resolve only once durable. */
export interface AuditIntakeSink {
  append(entries: readonly IntakeEntry[]): Promise<AppendResult>;
}

/** One durable, deduplicated, redacted audit event handed to `onAccepted`. */
export interface AcceptedAuditEvent {
  readonly seq: number;
  /** `auditID + '/' + stage`. */
  readonly id: string;
  readonly event: JsonObject;
}

export interface AuditWebhookTls {
  readonly certFile: string;
  readonly keyFile: string;
  /** CA bundle for client certificates; when set, clients may authenticate with a certificate. */
  readonly clientCaFile?: string;
}

export interface AuditWebhookServerOptions {
  readonly intake: AuditIntakeSink;
  /** TCP port (0: any free port, see `listen()`). */
  readonly port: number;
  /** Listen address. Default: all interfaces. */
  readonly host?: string;
  /** URL path accepting POSTs. Default `/audit`. */
  readonly path?: string;
  /** Serve HTTPS with these files. Required unless `insecureHttp`. */
  readonly tls?: AuditWebhookTls;
  /** Serve plain HTTP (no client certificates possible). Must be explicit. */
  readonly insecureHttp?: boolean;
  readonly bearerTokens?: readonly string[];
  /** Accept requests without credentials. Default false: at least one credential kind must be configured. */
  readonly allowUnauthenticated?: boolean;
  /** Largest request body; larger ones get 413. Default 32 MiB (keep it below the intake log's byte bound). */
  readonly maxBodyBytes?: number;
  /** Retry-After seconds sent with 503. Default 5. */
  readonly retryAfterSeconds?: number;
  /** Whole-request timeout. Default 60 s. */
  readonly requestTimeoutMs?: number;
  /**
   * Called with each batch's newly accepted events after they are durable, before the 200 is sent.
   * Not awaited by the request; a rejection or throw is logged (the events stay in the intake log).
   */
  readonly onAccepted?: (events: readonly AcceptedAuditEvent[]) => void | Promise<void>;
  readonly logger?: AuditLogger;
}

/** Counters for /metrics. */
export interface AuditWebhookStats {
  /** Responses by HTTP status code. */
  readonly responses: Readonly<Record<string, number>>;
  readonly eventsAccepted: number;
  readonly duplicates: number;
  /** Events refused at the audit boundary (the rest of their batch was kept), by reason. */
  readonly rejected: Readonly<Record<string, number>>;
}

const STATUS_REASON: Readonly<Record<number, string>> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  413: 'RequestEntityTooLarge',
  500: 'InternalError',
  503: 'ServiceUnavailable',
};

/**
 * The kube-apiserver audit webhook backend (`--audit-webhook-config-file`): accepts POSTed
 * `EventList`s and answers 200 only after the redacted events are durable in the intake, so the
 * apiserver's retries (a batch is resent after 5xx or a timeout) cause no loss and — through the
 * intake's dedupe — no duplicates.
 *
 * Answers: 200 `{accepted, duplicates}`; 400 malformed JSON or not an EventList (nothing stored);
 * 401 no credentials; 403 wrong credentials; 404 other paths; 405 non-POST; 413 body too large;
 * 503 + Retry-After when the intake is full or failing, or the server is closing. Error bodies
 * are Kubernetes `Status` objects, so the apiserver logs their message.
 */
export class AuditWebhookServer {
  readonly #options: AuditWebhookServerOptions;
  readonly #auth: WebhookAuth;
  readonly #path: string;
  readonly #maxBodyBytes: number;
  readonly #inFlight = new Set<Promise<unknown>>();
  readonly #responses = new Map<number, number>();
  #eventsAccepted = 0;
  #duplicates = 0;
  readonly #rejected = new RejectionCounts();
  #server: Server | undefined;
  #closing: Promise<void> | undefined;

  /** Throws `TypeError` for an unusable configuration (no TLS without `insecureHttp`, no auth, …). */
  constructor(options: AuditWebhookServerOptions) {
    this.#options = options;
    if (options.tls === undefined && options.insecureHttp !== true) {
      throw new TypeError('audit webhook: give tls cert/key files, or set insecureHttp: true explicitly');
    }
    if (options.tls !== undefined && options.insecureHttp === true) {
      throw new TypeError('audit webhook: tls and insecureHttp are mutually exclusive');
    }
    const clientCerts = options.tls?.clientCaFile !== undefined;
    this.#auth = new WebhookAuth({ ...options, clientCerts });
    if (!this.#auth.configured && options.allowUnauthenticated !== true) {
      throw new TypeError('audit webhook: configure bearerTokens or tls.clientCaFile (or allowUnauthenticated)');
    }
    this.#path = options.path ?? '/audit';
    this.#maxBodyBytes = options.maxBodyBytes ?? 32 * 1024 * 1024;
  }

  /**
   * Reads the TLS files and starts listening; resolves with the bound address. Rejects when a
   * file cannot be read or parsed, the address is in use, or after `close()`/a previous `listen()`.
   */
  async listen(): Promise<AddressInfo> {
    if (this.#server !== undefined || this.#closing !== undefined) {
      throw new Error('audit webhook: listen() may be called once, before close()');
    }
    const server = await this.#createServer();
    server.requestTimeout = this.#options.requestTimeoutMs ?? 60_000;
    this.#server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#options.port, this.#options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('audit webhook: no TCP address');
    this.#options.logger?.info({ port: address.port, path: this.#path }, 'audit webhook listening');
    return address;
  }

  stats(): AuditWebhookStats {
    return {
      responses: Object.fromEntries(this.#responses),
      eventsAccepted: this.#eventsAccepted,
      duplicates: this.#duplicates,
      rejected: this.#rejected.snapshot(),
    };
  }

  /**
   * Stops accepting connections, answers 503 to new requests on open connections, waits for
   * requests in flight (and their `onAccepted` calls), then closes every connection. Idempotent;
   * never rejects.
   */
  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  async #createServer(): Promise<Server> {
    const handler = (req: IncomingMessage, res: ServerResponse): void => this.#track(this.#serve(req, res));
    // Ask for a certificate but verify it ourselves, so a bad one is a clean 403, not a TLS alert.
    return createListener(this.#options.tls, handler, true);
  }

  async #shutdown(): Promise<void> {
    const server = this.#server;
    if (server === undefined) return;
    await closeGracefully(server, this.#inFlight);
    this.#options.logger?.info({}, 'audit webhook closed');
  }

  #track(work: Promise<unknown>): void {
    const tracked = work.catch((error: unknown) => {
      this.#options.logger?.error({ err: error }, 'audit webhook request failed');
    });
    this.#inFlight.add(tracked);
    void tracked.finally(() => this.#inFlight.delete(tracked));
  }

  async #serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      await this.#handle(req, res);
    } catch (error: unknown) {
      this.#options.logger?.error({ err: error }, 'audit webhook request failed');
      if (!res.headersSent) this.#fail(res, 500, 'internal error; see the kubestitch log');
    }
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?', 1)[0];
    if (path !== this.#path) return this.#fail(res, 404, `no audit webhook at ${path}; POST to ${this.#path}`);
    const auth = this.#auth.check(req);
    if (auth.status === 'unauthenticated') {
      return this.#fail(res, 401, auth.message, { 'WWW-Authenticate': 'Bearer realm="kubestitch-audit"' });
    }
    if (auth.status === 'forbidden') return this.#fail(res, 403, auth.message);
    if (req.method !== 'POST') return this.#fail(res, 405, 'only POST is accepted', { Allow: 'POST' });
    if (this.#closing !== undefined) return this.#busy(res, 'the audit webhook is shutting down');
    const read = await readBody(req, this.#maxBodyBytes);
    if (read.status === 'aborted') return;
    if (read.status === 'too-large') {
      const message = `request body exceeds ${this.#maxBodyBytes} bytes; lower --audit-webhook-batch-max-size`;
      return this.#fail(res, 413, message, { Connection: 'close' });
    }
    const parsed = parseEventList(read.body);
    if (!parsed.ok) return this.#fail(res, 400, parsed.message);
    this.#countRejected(parsed.rejected);
    await this.#store(res, parsed.events, parsed.rejected.length);
  }

  #countRejected(rejected: readonly RejectedItem[]): void {
    if (rejected.length === 0) return;
    for (const { reason } of rejected) {
      this.#rejected.add(reason);
    }
    const first = rejected[0];
    this.#options.logger?.warn({ rejected: rejected.length, first }, 'audit events refused, rest of batch kept');
  }

  async #store(
    res: ServerResponse,
    events: readonly { event: JsonObject; id: string }[],
    rejected: number,
  ): Promise<void> {
    const items = events.map(toIntakeItem);
    let result: AppendResult;
    try {
      result = await this.#options.intake.append(items.map((item) => item.entry));
    } catch (error: unknown) {
      if (error instanceof TypeError) return this.#fail(res, 400, error.message);
      const full = error instanceof IntakeLogFullError;
      this.#options.logger?.[full ? 'warn' : 'error']({ err: error, events: events.length }, 'audit batch refused');
      return this.#busy(res, full ? 'the intake log is full; retry later' : 'the intake log is failing; retry later');
    }
    this.#eventsAccepted += result.accepted;
    this.#duplicates += result.duplicates;
    this.#notify(result, new Map(items.map((item) => [item.entry.id, item.event])));
    this.#reply(res, 200, JSON.stringify({ ...count(result), ...(rejected > 0 ? { rejected } : {}) }));
  }

  #notify(result: AppendResult, events: ReadonlyMap<string, JsonObject>): void {
    const onAccepted = this.#options.onAccepted;
    if (onAccepted === undefined || result.records.length === 0) return;
    const accepted = result.records.flatMap(({ seq, id }) => {
      const event = events.get(id);
      return event === undefined ? [] : [{ seq, id, event }];
    });
    this.#track(
      (async () => {
        try {
          await onAccepted(accepted);
        } catch (error: unknown) {
          this.#options.logger?.error({ err: error, events: accepted.length }, 'audit onAccepted callback failed');
        }
      })(),
    );
  }

  #busy(res: ServerResponse, message: string): void {
    this.#fail(res, 503, message, { 'Retry-After': String(this.#options.retryAfterSeconds ?? 5) });
  }

  #fail(res: ServerResponse, code: number, message: string, headers: Record<string, string> = {}): void {
    const reason = STATUS_REASON[code] ?? 'Unknown';
    const status = { kind: 'Status', apiVersion: 'v1', status: 'Failure', message, reason, code };
    this.#reply(res, code, JSON.stringify(status), headers);
  }

  #reply(res: ServerResponse, code: number, body: string, headers: Record<string, string> = {}): void {
    this.#responses.set(code, (this.#responses.get(code) ?? 0) + 1);
    const unread = !res.req.complete && res.req.listenerCount('data') === 0;
    // Refused before reading the body: don't let an unauthenticated client stream into us.
    if (unread) discardRest(res.req);
    const connection: Record<string, string> = unread ? { Connection: 'close' } : {};
    res.writeHead(code, { 'Content-Type': 'application/json', ...connection, ...headers }).end(body);
  }
}

function count(result: AppendResult): { accepted: number; duplicates: number } {
  return { accepted: result.accepted, duplicates: result.duplicates };
}
