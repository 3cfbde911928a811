import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import type { IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { SpanData } from '../model/span.js';
import { UnencodableSpanFilter } from './encodable-spans.js';
import { splitRequests } from './otlp-grpc-sink.js';
import { encodeOtlpJsonBytes } from './otlp-json.js';
import { toReadableSpans } from './readable-span.js';
import type { ExportResult, SpanSink } from './sink.js';

const gzipAsync = promisify(gzip);

/** Options for OtlpHttpSink. */
export interface OtlpHttpSinkOptions {
  /** The full URL requests are POSTed to, e.g. `http://collector:4318/v1/traces`. */
  readonly url: string;
  /** Body encoding: binary protobuf (`application/x-protobuf`) or OTLP/JSON (`application/json`). */
  readonly encoding: 'protobuf' | 'json';
  /** Sent on every request (e.g. an API key). Never logged. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Default `gzip`. */
  readonly compression?: 'gzip' | 'none';
  /** Deadline of one request, connecting included. Default 10 000. */
  readonly timeoutMillis?: number;
  /** Writes in flight at once; a write beyond it is answered `retryable` unsent. Default 4. */
  readonly maxInFlight?: number;
  /** Retries of one request after a retryable answer (429, 502, 503, 504, network error). Default 3. */
  readonly maxRetries?: number;
  /** First retry delay without Retry-After; doubles per retry. Default 1 000. */
  readonly initialBackoffMs?: number;
  /** A Retry-After longer than this is not waited for here: the write is answered `retryable`. Default 30 000. */
  readonly maxRetryAfterMs?: number;
  readonly scopeVersion?: string;
  /** Most spans in one request. Default 512, as the gRPC sink. */
  readonly maxSpansPerRequest?: number;
  /** Approximate most bytes of one request before compression. Default 4 000 000. */
  readonly maxRequestBytes?: number;
  /** Waits between retries; injectable for tests. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Told about spans the receiver rejected in a partial success (the count and its message). */
  readonly onRejected?: (rejectedSpans: number, message: string) => void;
  /** For an `https://` url: the CA verifying the receiver (else the system's), a client certificate and key (mTLS). */
  readonly tls?: { readonly ca?: Buffer; readonly cert?: Buffer; readonly key?: Buffer };
}

/** What the sink did, for logs and metrics. */
export interface OtlpHttpSinkStats {
  requests: number;
  retries: number;
  /** Spans the receiver reported in partial_success.rejected_spans (not retried, as the spec says). */
  rejectedSpans: number;
}

/** One request's answer before the retry decision. */
type Attempt =
  | { readonly kind: 'ok'; readonly body: Buffer; readonly contentType: string }
  | { readonly kind: 'retry'; readonly afterMs: number | undefined; readonly error: Error }
  | { readonly kind: 'failed'; readonly error: Error };

/** The status codes OTLP/HTTP calls retryable; every other 4xx/5xx is not. */
const RETRYABLE_STATUS: ReadonlySet<number> = new Set([429, 502, 503, 504]);
const CONTENT_TYPE = { protobuf: 'application/x-protobuf', json: 'application/json' } as const;
// Enough of an error body to say why (a google.rpc.Status message or a proxy's text).
const ERROR_BODY_CHARS = 300;

/**
 * OTLP/HTTP exporter (`POST /v1/traces`, protobuf or JSON body, gzip) on node:http(s) with a
 * keep-alive agent. A write larger than `maxSpansPerRequest`/`maxRequestBytes` goes as several
 * requests in turn. Protobuf bodies are the SDK serializer's (the same bytes the gRPC sink sends);
 * JSON bodies are the file sink's OTLP/JSON.
 *
 * Outcomes: 2xx → `ok` (a partial success is counted in `stats.rejectedSpans`, not retried);
 * 429/502/503/504 or a network error → retried up to `maxRetries` times, waiting Retry-After when
 * the receiver sends one, else exponential backoff; still failing → `retryable`; any other status
 * → `failed` with the status and the start of the body. Header values never appear in errors.
 * Never rejects. The constructor throws only for an unparsable URL.
 */
export class OtlpHttpSink implements SpanSink {
  readonly #url: URL;
  readonly #o: Required<Omit<OtlpHttpSinkOptions, 'scopeVersion' | 'onRejected' | 'headers' | 'tls'>>;
  readonly #options: OtlpHttpSinkOptions;
  readonly #agent: HttpAgent;
  readonly #pending = new Set<Promise<ExportResult>>();
  #shutdown: Promise<void> | undefined;
  readonly stats: OtlpHttpSinkStats = { requests: 0, retries: 0, rejectedSpans: 0 };
  readonly unencodable = new UnencodableSpanFilter();

  constructor(options: OtlpHttpSinkOptions) {
    this.#url = new URL(options.url);
    this.#options = options;
    this.#o = {
      url: options.url,
      encoding: options.encoding,
      compression: options.compression ?? 'gzip',
      timeoutMillis: options.timeoutMillis ?? 10_000,
      maxInFlight: Math.max(1, options.maxInFlight ?? 4),
      maxRetries: Math.max(0, options.maxRetries ?? 3),
      initialBackoffMs: options.initialBackoffMs ?? 1_000,
      maxRetryAfterMs: options.maxRetryAfterMs ?? 30_000,
      maxSpansPerRequest: Math.max(1, options.maxSpansPerRequest ?? 512),
      maxRequestBytes: Math.max(1, options.maxRequestBytes ?? 4_000_000),
      sleep: options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms).unref())),
    };
    const agentOptions = { keepAlive: true, maxSockets: this.#o.maxInFlight };
    this.#agent =
      this.#url.protocol === 'https:'
        ? new HttpsAgent({ ...agentOptions, ca: options.tls?.ca, cert: options.tls?.cert, key: options.tls?.key })
        : new HttpAgent(agentOptions);
  }

  /** Exports one batch (see the class doc for outcomes). Never rejects; empty batches are `ok`. */
  write(batch: readonly SpanData[]): Promise<ExportResult> {
    if (this.#shutdown !== undefined) {
      return Promise.resolve({ status: 'failed', error: new Error('OTLP/HTTP sink is shut down') });
    }
    const spans = this.unencodable.keep(batch);
    if (spans.length === 0) return Promise.resolve({ status: 'ok' });
    if (this.#pending.size >= this.#o.maxInFlight) {
      const error = new Error(`${this.#o.maxInFlight} OTLP exports already in flight`);
      return Promise.resolve({ status: 'retryable', afterMs: this.#o.initialBackoffMs, error });
    }
    const result = this.#exportAll(spans).catch((error: unknown): ExportResult => ({
      status: 'failed',
      error: asError(error),
    }));
    this.#pending.add(result);
    void result.finally(() => this.#pending.delete(result));
    return result;
  }

  /** Resolves when every write made so far has been answered. Never rejects. */
  async flush(): Promise<void> {
    await Promise.all([...this.#pending]);
  }

  /** Refuses new writes, waits for answers, closes idle connections. Idempotent; never rejects. */
  shutdown(): Promise<void> {
    this.#shutdown ??= this.flush().then(() => this.#agent.destroy());
    return this.#shutdown;
  }

  async #exportAll(spans: readonly SpanData[]): Promise<ExportResult> {
    for (const part of splitRequests(spans, this.#o.maxSpansPerRequest, this.#o.maxRequestBytes)) {
      const result = await this.#send(await this.#body(part));
      if (result.status !== 'ok') return result;
    }
    return { status: 'ok' };
  }

  async #body(spans: readonly SpanData[]): Promise<Buffer> {
    const scopeVersion = this.#options.scopeVersion;
    const raw =
      this.#o.encoding === 'json'
        ? encodeOtlpJsonBytes(spans, scopeVersion === undefined ? {} : { scopeVersion })
        : Buffer.from(ProtobufTraceSerializer.serializeRequest(toReadableSpans(spans, scopeVersion)) ?? []);
    return this.#o.compression === 'gzip' ? gzipAsync(raw) : raw;
  }

  // One request with its retries.
  async #send(body: Buffer): Promise<ExportResult> {
    for (let retry = 0; ; retry++) {
      const attempt = await this.#post(body);
      if (attempt.kind === 'ok') {
        this.#countPartialSuccess(attempt.body, attempt.contentType);
        return { status: 'ok' };
      }
      if (attempt.kind === 'failed') return { status: 'failed', error: attempt.error };
      const waitMs = attempt.afterMs ?? this.#o.initialBackoffMs * 2 ** retry;
      if (retry >= this.#o.maxRetries || waitMs > this.#o.maxRetryAfterMs) {
        return { status: 'retryable', afterMs: waitMs, error: attempt.error };
      }
      this.stats.retries++;
      await this.#o.sleep(waitMs);
    }
  }

  #post(body: Buffer): Promise<Attempt> {
    this.stats.requests++;
    const headers: Record<string, string | number> = {
      ...this.#options.headers,
      'content-type': CONTENT_TYPE[this.#o.encoding],
      'content-length': body.length,
      'user-agent': `kubestitch/${this.#options.scopeVersion ?? 'dev'}`,
    };
    if (this.#o.compression === 'gzip') headers['content-encoding'] = 'gzip';
    const send = this.#url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<Attempt>((resolve) => {
      const req = send(
        this.#url,
        { method: 'POST', headers, agent: this.#agent, signal: AbortSignal.timeout(this.#o.timeoutMillis) },
        (res) => {
          readAll(res).then(
            (data) => resolve(classify(res, data)),
            (error: unknown) => resolve({ kind: 'retry', afterMs: undefined, error: asError(error) }),
          );
        },
      );
      req.on('error', (error) => {
        const text = error.name === 'AbortError' ? `no answer within ${this.#o.timeoutMillis} ms` : error.message;
        resolve({ kind: 'retry', afterMs: undefined, error: new Error(`OTLP/HTTP ${this.#url.host}: ${text}`) });
      });
      req.end(body);
    });
  }

  #countPartialSuccess(body: Buffer, contentType: string): void {
    if (body.length === 0) return;
    let rejected = 0;
    let message = '';
    try {
      if (contentType.includes('json')) {
        const parsed = JSON.parse(body.toString('utf8')) as {
          partialSuccess?: { rejectedSpans?: string | number; errorMessage?: string };
        };
        rejected = Number(parsed.partialSuccess?.rejectedSpans ?? 0);
        message = parsed.partialSuccess?.errorMessage ?? '';
      } else {
        const parsed = ProtobufTraceSerializer.deserializeResponse(body);
        rejected = Number(parsed.partialSuccess?.rejectedSpans ?? 0);
        message = parsed.partialSuccess?.errorMessage ?? '';
      }
    } catch {
      return; // An unreadable success body is still a success.
    }
    if (!Number.isFinite(rejected) || rejected <= 0) return;
    this.stats.rejectedSpans += rejected;
    this.#options.onRejected?.(rejected, message);
  }
}

function classify(res: IncomingMessage, data: Buffer): Attempt {
  const status = res.statusCode ?? 0;
  if (status >= 200 && status < 300) {
    return { kind: 'ok', body: data, contentType: String(res.headers['content-type'] ?? '') };
  }
  const text = data.toString('utf8', 0, Math.min(data.length, ERROR_BODY_CHARS)).replace(/[^\x20-\x7e]+/g, ' ');
  const error = new Error(
    `OTLP/HTTP ${status} ${res.statusMessage ?? ''}${text.trim() === '' ? '' : `: ${text.trim()}`}`,
  );
  if (!RETRYABLE_STATUS.has(status)) return { kind: 'failed', error };
  return { kind: 'retry', afterMs: retryAfterMs(res.headers['retry-after']), error };
}

/** Retry-After as delay-seconds or an HTTP date (RFC 9110); undefined when absent or unreadable. */
export function retryAfterMs(header: string | undefined, nowMs: number = Date.now()): number | undefined {
  if (header === undefined || header.trim() === '') return undefined;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1_000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

// A success body is a small ExportTraceServiceResponse; more than this is not read into memory.
const MAX_RESPONSE_BYTES = 64 * 1024;

function readAll(res: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    res.on('data', (chunk: Buffer) => {
      if (bytes >= MAX_RESPONSE_BYTES) return;
      bytes += chunk.length;
      chunks.push(chunk);
    });
    res.on('end', () => resolve(Buffer.concat(chunks)));
    res.on('error', reject);
  });
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
