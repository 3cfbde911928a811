import { credentials, Metadata, status as GrpcStatus } from '@grpc/grpc-js';
import { ExportResultCode } from '@opentelemetry/core';
import type { ExportResult as OtelExportResult } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { SpanData } from '../model/span.js';
import { UnencodableSpanFilter } from './encodable-spans.js';
import { toReadableSpans } from './readable-span.js';
import type { ExportResult, SpanSink } from './sink.js';

/** Options for OtlpGrpcSink. */
export interface OtlpGrpcSinkOptions {
  /** Receiver address, e.g. `http://localhost:4317`; `http://` means plaintext, `https://` TLS. */
  readonly url: string;
  /** Sent as gRPC metadata on every export (e.g. `authorization`). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Deadline for one export call, connecting included. Default 10 000. */
  readonly timeoutMillis?: number;
  /** Exports allowed in flight at once; writes beyond it are answered `retryable`. Default 4. */
  readonly maxInFlight?: number;
  /** afterMs suggested in `retryable` answers. Default 1 000. */
  readonly retryAfterMs?: number;
  /** kubestitch's version, sent as the instrumentation scope version. */
  readonly scopeVersion?: string;
  /** Compression of every request on the channel. Default `gzip` (OTLP/JSON-like spans shrink ~10×). */
  readonly compression?: 'gzip' | 'none';
  /** Most spans in one Export request; a larger write is sent as several. Default 512. */
  readonly maxSpansPerRequest?: number;
  /**
   * Approximate most bytes of one Export request before compression; a larger write is split.
   * Default 4 MiB less headroom, under the 4 MiB a Collector's gRPC receiver accepts by default.
   */
  readonly maxRequestBytes?: number;
  /** For an `https://` url: the CA verifying the receiver (else the system's), a client certificate and key (mTLS). */
  readonly tls?: { readonly ca?: Buffer; readonly cert?: Buffer; readonly key?: Buffer };
}

type ExporterConfig = NonNullable<ConstructorParameters<typeof OTLPTraceExporter>[0]>;
type Compression = NonNullable<ExporterConfig['compression']>;

/**
 * gRPC status codes the OTLP spec calls retryable. RESOURCE_EXHAUSTED is retryable there only
 * with RetryInfo; we treat it as retryable always, since a receiver shedding load recovers.
 */
const TRANSIENT_GRPC_CODES: ReadonlySet<number> = new Set([
  GrpcStatus.CANCELLED,
  GrpcStatus.DEADLINE_EXCEEDED,
  GrpcStatus.RESOURCE_EXHAUSTED,
  GrpcStatus.ABORTED,
  GrpcStatus.OUT_OF_RANGE,
  GrpcStatus.UNAVAILABLE,
  GrpcStatus.DATA_LOSS,
]);

/** Grace past the gRPC deadline before the watchdog answers for an export that never called back. */
const WATCHDOG_GRACE_MS = 2_000;

/**
 * OTLP gRPC sink around the SDK's OTLPTraceExporter: each write() is one Export call, or several
 * in turn when it holds more than `maxSpansPerRequest` spans or about `maxRequestBytes`; requests
 * are gzip-compressed on the channel unless `compression: 'none'`.
 *
 * Outcomes: gRPC OK → `ok`; a transient gRPC status (UNAVAILABLE, DEADLINE_EXCEEDED,
 * RESOURCE_EXHAUSTED, …) or an unreachable receiver → `retryable` with `retryAfterMs`; anything
 * else (INVALID_ARGUMENT, UNAUTHENTICATED, an unencodable span, …) → `failed`.
 *
 * There is no queue or spool here (that comes later): at most `maxInFlight` exports run at once
 * and a write beyond that is answered `retryable` immediately, without being sent. Every write
 * resolves within about `timeoutMillis`; none rejects. The exporter does not retry gRPC errors
 * itself. OTEL_EXPORTER_OTLP_* environment variables still fill in settings not given here
 * (notably extra headers), as the SDK merges them as fallbacks.
 *
 * The constructor throws for an unparsable url or an invalid header name (a configuration error);
 * it does not connect — the channel opens on the first write.
 */
export class OtlpGrpcSink implements SpanSink {
  readonly #exporter: OTLPTraceExporter;
  readonly #timeoutMillis: number;
  readonly #maxInFlight: number;
  readonly #retryAfterMs: number;
  readonly #scopeVersion: string | undefined;
  readonly #maxSpansPerRequest: number;
  readonly #maxRequestBytes: number;
  readonly #pending = new Set<Promise<ExportResult>>();
  /** Exports handed to the exporter whose callback has not run (may outlive a watchdog answer). */
  #inFlight = 0;
  #shutdown: Promise<void> | undefined;
  /** Drops the unencodable spans of a batch so the rest is exported. */
  readonly unencodable = new UnencodableSpanFilter();

  constructor(options: OtlpGrpcSinkOptions) {
    this.#timeoutMillis = options.timeoutMillis ?? 10_000;
    this.#maxInFlight = Math.max(1, options.maxInFlight ?? 4);
    this.#retryAfterMs = options.retryAfterMs ?? 1_000;
    this.#scopeVersion = options.scopeVersion;
    this.#maxSpansPerRequest = Math.max(1, options.maxSpansPerRequest ?? 512);
    this.#maxRequestBytes = Math.max(1, options.maxRequestBytes ?? 4_000_000);
    this.#exporter = traceExporter(options, this.#timeoutMillis, this.#maxInFlight);
  }

  /** Exports one batch (see the class doc for outcomes). Never rejects; empty batches are `ok`. */
  write(batch: readonly SpanData[]): Promise<ExportResult> {
    if (this.#shutdown !== undefined) {
      return Promise.resolve({ status: 'failed', error: new Error('gRPC sink is shut down') });
    }
    const spans = this.unencodable.keep(batch);
    if (spans.length === 0) return Promise.resolve({ status: 'ok' });
    if (this.#inFlight >= this.#maxInFlight) {
      return Promise.resolve(this.#retryable(new Error(`${this.#maxInFlight} OTLP exports already in flight`)));
    }
    const result = this.#exportAll(spans);
    this.#pending.add(result);
    void result.finally(() => this.#pending.delete(result));
    return result;
  }

  /** Resolves when every write made so far has been answered. Never rejects. */
  async flush(): Promise<void> {
    await Promise.all([...this.#pending]);
  }

  /** Refuses new writes, waits for answers, closes the channel. Idempotent; never rejects. */
  shutdown(): Promise<void> {
    this.#shutdown ??= this.flush().then(() => this.#exporter.shutdown().catch(() => undefined));
    return this.#shutdown;
  }

  // A write too large for one request goes as several, one after another (each holds a slot of
  // maxInFlight); the answer is the worst of theirs, and an unsent rest counts as that answer too.
  async #exportAll(spans: readonly SpanData[]): Promise<ExportResult> {
    let result: ExportResult = { status: 'ok' };
    for (const part of splitRequests(spans, this.#maxSpansPerRequest, this.#maxRequestBytes)) {
      let readable: ReadableSpan[];
      try {
        readable = toReadableSpans(part, this.#scopeVersion);
      } catch (error: unknown) {
        return { status: 'failed', error: asError(error) };
      }
      result = await this.#export(readable);
      if (result.status !== 'ok') return result;
    }
    return result;
  }

  #export(readable: ReadableSpan[]): Promise<ExportResult> {
    return new Promise<ExportResult>((resolve) => {
      let answered = false;
      const answer = (result: ExportResult): void => {
        if (answered) return;
        answered = true;
        clearTimeout(watchdog);
        resolve(result);
      };
      const watchdog = setTimeout(
        () => answer(this.#retryable(new Error('OTLP export did not complete in time'))),
        this.#timeoutMillis + WATCHDOG_GRACE_MS,
      );
      watchdog.unref();
      let calledBack = false;
      const done = (result: OtelExportResult): void => {
        if (calledBack) return;
        calledBack = true;
        this.#inFlight -= 1;
        answer(this.#map(result));
      };
      this.#inFlight += 1;
      try {
        this.#exporter.export(readable, done);
      } catch (error: unknown) {
        done({ code: ExportResultCode.FAILED, error: asError(error) });
      }
    });
  }

  #map(result: OtelExportResult): ExportResult {
    if (result.code === ExportResultCode.SUCCESS) return { status: 'ok' };
    const error = result.error ?? new Error('OTLP export failed without an error');
    return isTransient(error) ? this.#retryable(error) : { status: 'failed', error };
  }

  #retryable(error: Error): ExportResult {
    return { status: 'retryable', afterMs: this.#retryAfterMs, error };
  }
}

/** The SDK exporter behind the sink: throws for an unparsable url or an invalid header name. */
function traceExporter(options: OtlpGrpcSinkOptions, timeoutMillis: number, maxInFlight: number): OTLPTraceExporter {
  const metadata = new Metadata();
  for (const [key, value] of Object.entries(options.headers ?? {})) metadata.set(key, value);
  const tls = options.tls;
  return new OTLPTraceExporter({
    url: options.url,
    // Explicit, so OTEL_EXPORTER_OTLP_INSECURE cannot flip what the URL scheme says.
    credentials: options.url.startsWith('http://')
      ? credentials.createInsecure()
      : credentials.createSsl(tls?.ca ?? null, tls?.key ?? null, tls?.cert ?? null),
    metadata,
    timeoutMillis,
    compression: (options.compression ?? 'gzip') as Compression,
    // One above ours, so the exporter's own "Concurrent export limit reached" never fires.
    concurrencyLimit: maxInFlight + 1,
  });
}

/**
 * `spans` cut into runs of at most `maxSpans` spans and about `maxBytes` (a cheap estimate of the
 * encoded size: the strings a span carries plus a fixed overhead). A span larger than `maxBytes`
 * alone still goes, alone.
 */
export function splitRequests(spans: readonly SpanData[], maxSpans: number, maxBytes: number): SpanData[][] {
  const out: SpanData[][] = [];
  let current: SpanData[] = [];
  let bytes = 0;
  for (const span of spans) {
    const size = estimateSpanBytes(span);
    if (current.length > 0 && (current.length >= maxSpans || bytes + size > maxBytes)) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(span);
    bytes += size;
  }
  if (current.length > 0) out.push(current);
  return out;
}

// Ids, times, kind, flags and framing of a span, its events and links.
const SPAN_OVERHEAD_BYTES = 80;

function estimateSpanBytes(span: SpanData): number {
  let bytes =
    SPAN_OVERHEAD_BYTES +
    span.name.length +
    (span.status.code === 'error' ? span.status.message.length : 0) +
    attributeBytes(span.attributes);
  for (const e of span.events) bytes += SPAN_OVERHEAD_BYTES / 2 + e.name.length + attributeBytes(e.attributes);
  for (const l of span.links) bytes += SPAN_OVERHEAD_BYTES / 2 + attributeBytes(l.attributes);
  return bytes;
}

function attributeBytes(attributes: SpanData['attributes']): number {
  let bytes = 0;
  for (const key in attributes) {
    const value = attributes[key];
    bytes += key.length + 8;
    if (typeof value === 'string') bytes += value.length;
    else if (Array.isArray(value)) for (const item of value) bytes += item.length + 4;
  }
  return bytes;
}

function isTransient(error: Error): boolean {
  const code = 'code' in error ? error.code : undefined;
  if (typeof code === 'number') return TRANSIENT_GRPC_CODES.has(code);
  // The exporter's own back-pressure signal, not a gRPC status.
  return error.message.includes('Concurrent export limit reached');
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
