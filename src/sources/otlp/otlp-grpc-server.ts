import { readFile } from 'node:fs/promises';
import * as grpc from '@grpc/grpc-js';
import { BearerAuth } from './bearer-auth.js';
import type { OtlpLogger } from '../../otlp/otlp-logger.js';
import type { OtlpServerTls } from './otlp-server-tls.js';
import type { IntakeResult, TraceIntake, TraceRequest, TraceResponse } from '../../otlp/otlp-message.js';
import { countSpans } from '../../otlp/otlp-message.js';
import { TRACE_EXPORT_PATH, decodeTraceRequest, decodeTraceResponse, encodeTraceResponse } from './otlp-proto-codec.js';

export interface OtlpGrpcServerOptions {
  /** Where decoded requests go; its answer becomes the RPC's answer. */
  readonly intake: TraceIntake;
  /** Default 4317, the OTLP/gRPC port; 0 picks a free port (see listen()). */
  readonly port?: number;
  /** Listen address. Default 127.0.0.1 (give `0.0.0.0` or a pod IP to be reachable). */
  readonly host?: string;
  /** Serve TLS (and mTLS with clientCaFile); plaintext otherwise, as kube components default to. */
  readonly tls?: OtlpServerTls;
  /** When non-empty, every call must carry `authorization: Bearer <one of these>`. */
  readonly bearerTokens?: readonly string[];
  /** Largest accepted message after decompression. Default 16 MiB (gRPC's own default is 4 MiB). */
  readonly maxMessageBytes?: number;
  readonly logger?: OtlpLogger;
}

/** Counters for /metrics. */
export interface OtlpServerStats {
  readonly requests: number;
  readonly spans: number;
  /** Answers by status name (`OK`, `INVALID_ARGUMENT`, …). */
  readonly answers: Readonly<Record<string, number>>;
}

// Requests arrive as raw bytes: we decode them ourselves, through the input boundary (decodeTraceRequest).
const SERVICE: grpc.ServiceDefinition = {
  Export: {
    path: TRACE_EXPORT_PATH,
    requestStream: false,
    responseStream: false,
    requestSerialize: (body: Buffer) => body,
    requestDeserialize: (body: Buffer) => body,
    responseSerialize: encodeTraceResponse,
    responseDeserialize: decodeTraceResponse,
    originalName: 'export',
  },
};

/**
 * OTLP/gRPC receiver: `opentelemetry.proto.collector.trace.v1.TraceService/Export`, gzip and
 * deflate request compression (grpc-js handles `grpc-encoding`), optional bearer token and TLS.
 *
 * Answers: OK (with `partial_success` when the intake reports rejected spans or a warning);
 * UNAUTHENTICATED without a valid token; INVALID_ARGUMENT for a body that is not an
 * ExportTraceServiceRequest (nothing ingested); UNAVAILABLE when the intake says `retryable`
 * (the OTLP exporter retries with backoff; nothing was ingested); INTERNAL when it says `failed`.
 * RESOURCE_EXHAUSTED (from grpc-js) for a message above `maxMessageBytes`.
 */
export class OtlpGrpcServer {
  readonly #options: OtlpGrpcServerOptions;
  readonly #auth: BearerAuth;
  readonly #answers = new Map<string, number>();
  #requests = 0;
  #spans = 0;
  #server: grpc.Server | undefined;
  #closing: Promise<void> | undefined;

  constructor(options: OtlpGrpcServerOptions) {
    this.#options = options;
    this.#auth = new BearerAuth(options.bearerTokens);
  }

  /**
   * Reads TLS files and binds; resolves with the bound port. Rejects when a file cannot be read,
   * the address is in use, or after close()/a previous listen().
   */
  async listen(): Promise<{ readonly port: number }> {
    if (this.#server !== undefined || this.#closing !== undefined) {
      throw new Error('OTLP gRPC receiver: listen() may be called once, before close()');
    }
    const credentials = await serverCredentials(this.#options.tls, this.#auth.enabled);
    const server = new grpc.Server({ 'grpc.max_receive_message_length': this.#options.maxMessageBytes ?? 16 << 20 });
    server.addService(SERVICE, { Export: this.#export });
    this.#server = server;
    // Loopback unless told otherwise: spans are accepted from whoever can connect.
    const host = this.#options.host ?? '127.0.0.1';
    const address = `${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${this.#options.port ?? 4317}`;
    const port = await new Promise<number>((resolve, reject) => {
      server.bindAsync(address, credentials, (error, bound) => (error === null ? resolve(bound) : reject(error)));
    });
    this.#options.logger?.info({ port, tls: this.#options.tls !== undefined }, 'OTLP gRPC receiver listening');
    return { port };
  }

  stats(): OtlpServerStats {
    return { requests: this.#requests, spans: this.#spans, answers: Object.fromEntries(this.#answers) };
  }

  /**
   * Stops accepting calls, lets calls in flight finish (up to `graceMs`, default 5 s), then drops
   * what is left. Idempotent; never rejects.
   */
  close(graceMs = 5_000): Promise<void> {
    this.#closing ??= this.#shutdown(graceMs);
    return this.#closing;
  }

  async #shutdown(graceMs: number): Promise<void> {
    const server = this.#server;
    if (server === undefined) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        server.forceShutdown();
        resolve();
      }, graceMs);
      timer.unref();
      server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  #export = (call: grpc.ServerUnaryCall<Buffer, TraceResponse>, callback: grpc.sendUnaryData<TraceResponse>): void => {
    this.#requests += 1;
    // With a client CA and tokens, a verified client certificate or a token will do (as at the
    // audit webhook); grpc-js reports a peer certificate only when the CA verified it.
    const certified =
      this.#options.tls?.clientCaFile !== undefined && call.getAuthContext().sslPeerCertificate !== undefined;
    const auth = certified ? { ok: true as const } : this.#auth.check(firstString(call.metadata.get('authorization')));
    if (!auth.ok) return this.#fail(callback, grpc.status.UNAUTHENTICATED, auth.message);
    let request: TraceRequest;
    try {
      request = decodeTraceRequest(call.request);
    } catch (error: unknown) {
      return this.#fail(callback, grpc.status.INVALID_ARGUMENT, messageOf(error));
    }
    const spanCount = countSpans(request);
    const result = safeIntake(this.#options.intake, { request, spanCount });
    if (result.status === 'retryable') return this.#fail(callback, grpc.status.UNAVAILABLE, result.error.message);
    if (result.status === 'failed') return this.#fail(callback, grpc.status.INTERNAL, result.error.message);
    this.#spans += spanCount;
    this.#count('OK');
    const warn = (result.rejectedSpans ?? 0) > 0 || (result.message ?? '') !== '';
    callback(
      null,
      warn ? { partialSuccess: { rejectedSpans: result.rejectedSpans ?? 0, errorMessage: result.message ?? '' } } : {},
    );
  };

  #fail(callback: grpc.sendUnaryData<TraceResponse>, code: grpc.status, details: string): void {
    this.#count(grpc.status[code]);
    if (code !== grpc.status.UNAUTHENTICATED)
      this.#options.logger?.warn({ code: grpc.status[code], details }, 'OTLP gRPC export refused');
    callback({ code, details });
  }

  #count(answer: string): void {
    this.#answers.set(answer, (this.#answers.get(answer) ?? 0) + 1);
  }
}

/** Calls the intake, turning a throw (a bug: intakes must not throw) into `failed`. */
export function safeIntake(intake: TraceIntake, batch: Parameters<TraceIntake>[0]): IntakeResult {
  try {
    return intake(batch);
  } catch (error: unknown) {
    return { status: 'failed', error: error instanceof Error ? error : new Error(String(error)) };
  }
}

/**
 * TLS, and with a client CA mTLS: a certificate the CA signed is required, unless bearer tokens
 * are configured too — then the certificate is asked for but optional, and a request without a
 * verified one must carry a token.
 */
async function serverCredentials(tls: OtlpServerTls | undefined, tokens: boolean): Promise<grpc.ServerCredentials> {
  if (tls === undefined) return grpc.ServerCredentials.createInsecure();
  const [cert, key, ca] = await Promise.all([
    readFile(tls.certFile),
    readFile(tls.keyFile),
    tls.clientCaFile === undefined ? undefined : readFile(tls.clientCaFile),
  ]);
  if (ca === undefined || !tokens) {
    return grpc.ServerCredentials.createSsl(ca ?? null, [{ cert_chain: cert, private_key: key }], ca !== undefined);
  }
  // createSsl cannot ask for an optional certificate; a certificate provider can.
  const files = new StaticCertificates(ca, cert, key);
  return grpc.experimental.createCertificateProviderServerCredentials(files, files, false);
}

/**
 * Certificates read once at start (as createSsl takes them), for the certificate-provider
 * credentials. Updates are delivered after the listener is added: grpc-js registers the server as
 * a watcher only after adding its listeners, so a synchronous update would never reach it.
 */
class StaticCertificates implements grpc.experimental.CertificateProvider {
  constructor(
    private readonly ca: Buffer,
    private readonly cert: Buffer,
    private readonly key: Buffer,
  ) {}
  addCaCertificateListener(listener: grpc.experimental.CaCertificateUpdateListener): void {
    queueMicrotask(() => listener({ caCertificate: this.ca }));
  }
  removeCaCertificateListener(): void {}
  addIdentityCertificateListener(listener: grpc.experimental.IdentityCertificateUpdateListener): void {
    queueMicrotask(() => listener({ certificate: this.cert, privateKey: this.key }));
  }
  removeIdentityCertificateListener(): void {}
}

function firstString(values: readonly grpc.MetadataValue[]): string | undefined {
  const v = values[0];
  return typeof v === 'string' ? v : undefined;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
