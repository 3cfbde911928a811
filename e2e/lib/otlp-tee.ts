/**
 * An OTLP/gRPC tee in front of kubestitch's receiver, like a Collector with two exporters: every
 * ExportTraceServiceRequest kube-apiserver and etcd send is written, untouched, as one OTLP/JSON
 * line (the Collector file-exporter format a recording's spans.jsonl holds) and forwarded as the
 * same bytes to kubestitch. So the recording keeps the real spans as the components made them,
 * while kubestitch still receives them over its own OTLP port.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { decodeTraceRequest } from '../../src/sources/otlp/otlp-proto-codec.js';

const EXPORT_PATH = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';
const ID_FIELDS = new Set(['traceId', 'spanId', 'parentSpanId']);
const passThrough = (b: Buffer): Buffer => b;
// An ExportTraceServiceResponse with no partial_success: zero bytes in protobuf.
const EMPTY_RESPONSE = Buffer.alloc(0);

/** OTLP/JSON: ids as hex, other bytes as base64 (the protobuf JSON mapping OTLP specifies). */
export function traceRequestJson(bytes: Buffer): string {
  return JSON.stringify(decodeTraceRequest(bytes), function (this: Record<string, unknown>, key, value: unknown) {
    const original = this[key];
    if (Buffer.isBuffer(original)) return ID_FIELDS.has(key) ? original.toString('hex') : original.toString('base64');
    return value;
  });
}

export class OtlpTee {
  #server: grpc.Server | undefined;
  #client: grpc.Client | undefined;
  #out: WriteStream | undefined;
  requests = 0;
  forwardErrors = 0;
  /** Requests our codec could not read: forwarded (kubestitch judges them), not recorded. */
  unreadable = 0;
  /** Requests still queued when stop() gave up on forwarding them. */
  dropped = 0;
  readonly #queue: Buffer[] = [];
  #sending = false;
  #stopping = false;
  #retry: NodeJS.Timeout | undefined;

  /** Listens on 127.0.0.1:`port`, writes lines to `file`, forwards to `target` (host:port). */
  async start(port: number, file: string, target: string): Promise<void> {
    this.#out = createWriteStream(file, { flags: 'a' });
    const client = new grpc.Client(target, grpc.credentials.createInsecure());
    this.#client = client;
    const server = new grpc.Server();
    server.addService(
      {
        Export: {
          path: EXPORT_PATH,
          requestStream: false,
          responseStream: false,
          requestSerialize: passThrough,
          requestDeserialize: passThrough,
          responseSerialize: passThrough,
          responseDeserialize: passThrough,
        },
      },
      {
        // Taken at once and queued, as a Collector's exporter queue would: the apiserver starts
        // tracing before kubestitch listens (it reads discovery first), and its own export queue
        // (2,048 spans) drops what it cannot send, which would leave etcd's spans orphaned.
        Export: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
          this.requests++;
          this.#queue.push(call.request);
          callback(null, EMPTY_RESPONSE);
          this.#pump();
        },
      },
    );
    this.#server = server;
    await new Promise<void>((resolve, reject) =>
      server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (err) =>
        err === null ? resolve() : reject(err),
      ),
    );
  }

  /** Forwards the queue in order; a refused request is retried every 500 ms until stop(). */
  #pump(): void {
    const client = this.#client;
    const head = this.#queue[0];
    // After stop() the client is closed: a retry timer that fires then must not use it (grpc-js
    // throws "Channel has been shut down", which ended a CI run).
    if (this.#stopping || this.#sending || client === undefined || head === undefined) return;
    this.#sending = true;
    client.makeUnaryRequest(EXPORT_PATH, passThrough, passThrough, head, { deadline: Date.now() + 10_000 }, (err) => {
      this.#sending = false;
      if (err !== null) {
        this.forwardErrors++;
        if (!this.#stopping) this.#retry = setTimeout(() => this.#pump(), 500).unref();
        return;
      }
      // Recorded once kubestitch took it, so the recording holds what it was given, once.
      this.#queue.shift();
      this.#write(head);
      this.#pump();
    });
  }

  #write(request: Buffer): void {
    try {
      this.#out?.write(traceRequestJson(request) + '\n');
    } catch {
      this.unreadable++;
    }
  }

  /** Waits (at most 15 s) until everything received so far has been forwarded. */
  async drain(): Promise<void> {
    for (let i = 0; i < 30 && this.#queue.length > 0; i++) await new Promise((r) => setTimeout(r, 500));
  }

  /** Stops taking requests, forwards what is queued (at most 15 s), closes the recording. */
  async stop(): Promise<void> {
    const server = this.#server;
    await this.drain();
    this.#stopping = true;
    clearTimeout(this.#retry);
    this.dropped = this.#queue.length;
    if (server !== undefined) await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
    this.#client?.close();
    const out = this.#out;
    if (out !== undefined) await new Promise<void>((resolve) => out.end(() => resolve()));
  }
}
