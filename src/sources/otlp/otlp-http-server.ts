import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { TLSSocket } from 'node:tls';
import { closeGracefully, createListener } from '../http-listener.js';
import type { AddressInfo } from 'node:net';
import { BearerAuth } from './bearer-auth.js';
import { OtlpBodyError, encodingOf, readTraceBody } from './otlp-http-body.js';
import type { OtlpHttpEncoding } from './otlp-http-body.js';
import type { OtlpLogger } from '../../otlp/otlp-logger.js';
import type { OtlpServerTls } from './otlp-server-tls.js';
import type { IntakeResult, TraceIntake } from '../../otlp/otlp-message.js';
import { countSpans } from '../../otlp/otlp-message.js';
import { safeIntake, type OtlpServerStats } from './otlp-grpc-server.js';
import { encodeRpcStatus, encodeTraceResponse } from './otlp-proto-codec.js';

export interface OtlpHttpServerOptions {
  readonly intake: TraceIntake;
  /** Default 4318, the OTLP/HTTP port; 0 picks a free port. */
  readonly port?: number;
  /** Listen address. Default 127.0.0.1 (give `0.0.0.0` or a pod IP to be reachable). */
  readonly host?: string;
  /** Default `/v1/traces`. */
  readonly path?: string;
  readonly tls?: OtlpServerTls;
  readonly bearerTokens?: readonly string[];
  /** Largest body, compressed and decompressed. Default 16 MiB. */
  readonly maxBodyBytes?: number;
  /** Retry-After seconds sent with 503. Default 5. */
  readonly retryAfterSeconds?: number;
  readonly logger?: OtlpLogger;
}

// gRPC codes carried in the google.rpc.Status error bodies.
const RPC_CODE: Readonly<Record<number, number>> = {
  400: 3,
  401: 16,
  404: 5,
  405: 12,
  413: 8,
  415: 3,
  500: 13,
  503: 14,
};

/**
 * OTLP/HTTP receiver: `POST /v1/traces` with `application/x-protobuf` or `application/json`,
 * `content-encoding: gzip|deflate`, optional bearer token and TLS (mTLS with a client CA).
 *
 * Answers in the request's encoding: 200 + ExportTraceServiceResponse (with `partialSuccess`
 * when the intake reports rejected spans or a warning); error bodies are google.rpc.Status.
 * 400 undecodable body (nothing ingested); 401 missing/invalid token; 404 other paths; 405 other
 * methods; 413 body too large; 415 other content types/encodings; 503 + Retry-After when the
 * intake says `retryable` or the server is closing (the exporter retries); 500 when it says `failed`.
 */
export class OtlpHttpServer {
  readonly #options: OtlpHttpServerOptions;
  readonly #auth: BearerAuth;
  readonly #path: string;
  readonly #maxBodyBytes: number;
  readonly #answers = new Map<string, number>();
  readonly #inFlight = new Set<Promise<void>>();
  #requests = 0;
  #spans = 0;
  #server: Server | undefined;
  #closing: Promise<void> | undefined;

  constructor(options: OtlpHttpServerOptions) {
    this.#options = options;
    this.#auth = new BearerAuth(options.bearerTokens);
    this.#path = options.path ?? '/v1/traces';
    this.#maxBodyBytes = options.maxBodyBytes ?? 16 << 20;
  }

  /** Reads TLS files and listens. Rejects when a file is unreadable, the port in use, or after close(). */
  async listen(): Promise<AddressInfo> {
    if (this.#server !== undefined || this.#closing !== undefined) {
      throw new Error('OTLP HTTP receiver: listen() may be called once, before close()');
    }
    const server = await this.#createServer();
    this.#server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      // Loopback unless told otherwise: spans are accepted from whoever can connect.
      server.listen(this.#options.port ?? 4318, this.#options.host ?? '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('OTLP HTTP receiver: no TCP address');
    this.#options.logger?.info({ port: address.port, path: this.#path }, 'OTLP HTTP receiver listening');
    return address;
  }

  stats(): OtlpServerStats {
    return { requests: this.#requests, spans: this.#spans, answers: Object.fromEntries(this.#answers) };
  }

  /** Stops listening, answers requests in flight, closes connections. Idempotent; never rejects. */
  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  async #createServer(): Promise<Server> {
    const handler = (req: IncomingMessage, res: ServerResponse): void => {
      const work = this.#handle(req, res).catch((error: unknown) => {
        this.#options.logger?.error({ err: error }, 'OTLP HTTP request failed');
        if (!res.headersSent) this.#error(res, 'json', 500, 'internal error');
      });
      this.#inFlight.add(work);
      void work.finally(() => this.#inFlight.delete(work));
    };
    return createListener(this.#options.tls, handler, this.#certOrToken());
  }

  #certOrToken(): boolean {
    return this.#auth.enabled && this.#options.tls?.clientCaFile !== undefined;
  }

  async #shutdown(): Promise<void> {
    const server = this.#server;
    if (server === undefined) return;
    await closeGracefully(server, this.#inFlight);
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.#requests += 1;
    const encoding = encodingOf(req.headers['content-type']) ?? 'json';
    if (this.#refused(req, res, encoding)) return;
    const request = await this.#readBody(req, res, encoding);
    if (request === undefined) return;
    const spanCount = countSpans(request);
    this.#answer(res, encoding, safeIntake(this.#options.intake, { request, spanCount }), spanCount);
  }

  // Checks before the body is read, in the order a client fixes them; true when answered.
  #refused(req: IncomingMessage, res: ServerResponse, encoding: OtlpHttpEncoding): boolean {
    if ((req.url ?? '').split('?')[0] !== this.#path) {
      this.#error(res, encoding, 404, `no such path; POST ${this.#path}`);
      return true;
    }
    if (req.method !== 'POST') {
      res.setHeader('allow', 'POST');
      this.#error(res, encoding, 405, 'only POST is allowed');
      return true;
    }
    if (!this.#authorized(req, res, encoding)) return true;
    if (encodingOf(req.headers['content-type']) === undefined) {
      this.#error(res, encoding, 415, 'content-type must be application/x-protobuf or application/json');
      return true;
    }
    if (this.#closing !== undefined) {
      this.#unavailable(res, encoding, 'receiver is shutting down');
      return true;
    }
    return false;
  }

  // With a client CA and tokens, a verified client certificate or a token will do (as at the
  // audit webhook); the TLS layer then asks for a certificate without requiring one.
  #authorized(req: IncomingMessage, res: ServerResponse, encoding: OtlpHttpEncoding): boolean {
    const certified = this.#certOrToken() && req.socket instanceof TLSSocket && req.socket.authorized;
    const auth = certified ? { ok: true as const } : this.#auth.check(req.headers.authorization);
    if (auth.ok) return true;
    res.setHeader('www-authenticate', 'Bearer');
    const or = this.#certOrToken() ? ' (or present a client certificate the CA signed)' : '';
    this.#error(res, encoding, 401, auth.message + or);
    return false;
  }

  // The decoded body, or undefined once a body too large or undecodable was answered.
  async #readBody(
    req: IncomingMessage,
    res: ServerResponse,
    encoding: OtlpHttpEncoding,
  ): Promise<Awaited<ReturnType<typeof readTraceBody>> | undefined> {
    try {
      return await readTraceBody(req, encoding, this.#maxBodyBytes);
    } catch (error: unknown) {
      if (!(error instanceof OtlpBodyError)) throw error;
      if (error.httpStatus === 413) res.setHeader('connection', 'close');
      this.#error(res, encoding, error.httpStatus, error.message);
      return undefined;
    }
  }

  #answer(res: ServerResponse, encoding: OtlpHttpEncoding, result: IntakeResult, spanCount: number): void {
    if (result.status === 'retryable') return this.#unavailable(res, encoding, result.error.message, result.afterMs);
    if (result.status === 'failed') return this.#error(res, encoding, 500, result.error.message);
    this.#spans += spanCount;
    const rejected = result.rejectedSpans ?? 0;
    const message = result.message ?? '';
    const partial = rejected > 0 || message !== '' ? { rejectedSpans: rejected, errorMessage: message } : undefined;
    if (encoding === 'protobuf') {
      this.#send(res, 200, encoding, encodeTraceResponse(partial === undefined ? {} : { partialSuccess: partial }));
    } else {
      const json = partial === undefined ? {} : { partialSuccess: { ...partial, rejectedSpans: String(rejected) } };
      this.#send(res, 200, encoding, Buffer.from(JSON.stringify(json)));
    }
  }

  #unavailable(res: ServerResponse, encoding: OtlpHttpEncoding, message: string, afterMs?: number): void {
    const seconds =
      afterMs === undefined ? (this.#options.retryAfterSeconds ?? 5) : Math.max(1, Math.ceil(afterMs / 1000));
    res.setHeader('retry-after', String(seconds));
    this.#error(res, encoding, 503, message);
  }

  #error(res: ServerResponse, encoding: OtlpHttpEncoding, status: number, message: string): void {
    if (status !== 401 && status !== 404) this.#options.logger?.warn({ status, message }, 'OTLP HTTP export refused');
    const code = RPC_CODE[status] ?? 2;
    const body =
      encoding === 'protobuf' ? encodeRpcStatus(code, message) : Buffer.from(JSON.stringify({ code, message }));
    this.#send(res, status, encoding, body);
  }

  #send(res: ServerResponse, status: number, encoding: OtlpHttpEncoding, body: Buffer): void {
    this.#answers.set(String(status), (this.#answers.get(String(status)) ?? 0) + 1);
    res.statusCode = status;
    res.setHeader('content-type', encoding === 'protobuf' ? 'application/x-protobuf' : 'application/json');
    res.setHeader('content-length', body.length);
    res.end(body);
  }
}
