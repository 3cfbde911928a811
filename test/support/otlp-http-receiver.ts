import { createServer } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import type { SpanData } from '../../src/model/span.js';
import { parseTraceRequestJson } from '../../src/sources/otlp/otlp-json-request.js';
import { decodeTraceRequest } from '../../src/sources/otlp/otlp-proto-codec.js';
import { traceRequestToSpanData } from '../../src/export/otlp-to-span-data.js';

/** One request as the receiver saw it, its body decompressed and decoded by kubestitch's own receiver code. */
export interface ReceivedHttpRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  /** Bytes on the wire (compressed when content-encoding is gzip). */
  readonly wireBytes: number;
  /** The spans the body decodes to (by content-type: protobuf or JSON). */
  readonly spans: SpanData[];
}

/** How the receiver answers one request. */
export interface HttpAnswer {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: Buffer | string;
}

/** PEM contents of a TLS receiver: its certificate and key, and the CA its clients must hold a certificate of. */
export interface ReceiverTls {
  readonly cert: Buffer;
  readonly key: Buffer;
  readonly clientCa: Buffer;
}

/**
 * A loopback OTLP/HTTP receiver for tests: records every request and answers from a queue of
 * scripted answers (200 with an empty body once the queue is empty).
 */
export class OtlpHttpReceiver {
  readonly requests: ReceivedHttpRequest[] = [];
  readonly #answers: HttpAnswer[] = [];
  #server: Server | undefined;

  /** Queues answers for the next requests, in order. */
  answer(...answers: HttpAnswer[]): void {
    this.#answers.push(...answers);
  }

  /**
   * Listens on 127.0.0.1 and an ephemeral port; resolves to its base URL (`http://127.0.0.1:PORT`,
   * or `https://` with `tls`: then only a client with a certificate signed by `clientCa` gets in).
   */
  async start(tls?: ReceiverTls): Promise<string> {
    const handler = (req: IncomingMessage, res: ServerResponse): void => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const wire = Buffer.concat(chunks);
        const body = req.headers['content-encoding'] === 'gzip' ? gunzipSync(wire) : wire;
        const type = req.headers['content-type'] ?? '';
        const request = type.includes('json') ? parseTraceRequestJson(body.toString('utf8')) : decodeTraceRequest(body);
        this.requests.push({
          method: req.method ?? '',
          path: req.url ?? '',
          headers: req.headers,
          wireBytes: wire.length,
          spans: traceRequestToSpanData(request).spans,
        });
        const answer = this.#answers.shift() ?? { status: 200 };
        res.writeHead(answer.status, answer.headers ?? {});
        res.end(answer.body ?? '');
      });
    };
    const server =
      tls === undefined
        ? createServer(handler)
        : createHttpsServer(
            { cert: tls.cert, key: tls.key, ca: tls.clientCa, requestCert: true, rejectUnauthorized: true },
            handler,
          );
    this.#server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `${tls === undefined ? 'http' : 'https'}://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    const server = this.#server;
    if (server === undefined) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
