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
        Export: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
          this.requests++;
          client.makeUnaryRequest(
            EXPORT_PATH,
            passThrough,
            passThrough,
            call.request,
            { deadline: Date.now() + 10_000 },
            (err, response) => {
              // Written once kubestitch took it: a request it refused is sent again by the
              // component's exporter, and the recording should hold it once, as delivered.
              if (err !== null) this.forwardErrors++;
              else this.#write(call.request);
              callback(err, response);
            },
          );
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

  #write(request: Buffer): void {
    try {
      this.#out?.write(traceRequestJson(request) + '\n');
    } catch {
      this.unreadable++;
    }
  }

  async stop(): Promise<void> {
    const server = this.#server;
    if (server !== undefined) await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
    this.#client?.close();
    const out = this.#out;
    if (out !== undefined) await new Promise<void>((resolve) => out.end(() => resolve()));
  }
}
