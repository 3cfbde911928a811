import { request } from 'node:http';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import type { IntakeResult, TraceBatch } from '../../../src/otlp/otlp-message.js';
import { OtlpHttpServer } from '../../../src/sources/otlp/otlp-http-server.js';
import { decodeTraceResponse, encodeTraceRequest } from '../../../src/sources/otlp/otlp-proto-codec.js';
import { etcdServerBatch, idOf } from '../../stitch/real-spans.js';
import { traceRequestFromJson } from '../../../src/sources/otlp/otlp-json-request.js';

const JSON_BODY = etcdServerBatch(idOf('http-test', 16), idOf('http-parent', 8), {
  startMs: 1_700_000_000_000,
  endMs: 1_700_000_000_004,
});
const PROTO_BODY = encodeTraceRequest(traceRequestFromJson(JSON_BODY));

const servers: OtlpHttpServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

interface Started {
  readonly url: string;
  readonly seen: TraceBatch[];
}

async function start(
  answer: () => IntakeResult = () => ({ status: 'ok' }),
  extra: { bearerTokens?: string[]; maxBodyBytes?: number } = {},
): Promise<Started> {
  const seen: TraceBatch[] = [];
  const server = new OtlpHttpServer({
    intake: (batch) => {
      seen.push(batch);
      return answer();
    },
    port: 0,
    host: '127.0.0.1',
    ...extra,
  });
  servers.push(server);
  const { port } = await server.listen();
  return { url: `http://127.0.0.1:${port}/v1/traces`, seen };
}

function post(url: string, body: Buffer | string, headers: Record<string, string>): Promise<Response> {
  return fetch(url, { method: 'POST', body, headers });
}

describe('OtlpHttpServer', () => {
  describe('POST /v1/traces', () => {
    it('takes protobuf and answers with an ExportTraceServiceResponse', async () => {
      const { url, seen } = await start();
      const res = await post(url, PROTO_BODY, { 'content-type': 'application/x-protobuf' });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/x-protobuf');
      expect(decodeTraceResponse(Buffer.from(await res.arrayBuffer()))).toEqual({});
      expect(encodeTraceRequest(seen[0]?.request ?? { resourceSpans: [] })).toEqual(PROTO_BODY);
      expect(seen[0]?.spanCount).toBe(1);
    });

    it('takes OTLP/JSON, gzip-compressed, into the same messages as protobuf', async () => {
      const { url, seen } = await start();
      const res = await post(url, gzipSync(JSON.stringify(JSON_BODY)), {
        'content-type': 'application/json; charset=utf-8',
        'content-encoding': 'gzip',
      });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({});
      expect(encodeTraceRequest(seen[0]?.request ?? { resourceSpans: [] })).toEqual(PROTO_BODY);
    });

    it('answers a warning as partialSuccess in the request encoding', async () => {
      const { url } = await start(() => ({ status: 'ok', message: 'careful' }));
      const json = await post(url, JSON.stringify(JSON_BODY), { 'content-type': 'application/json' });
      expect(await json.json()).toEqual({ partialSuccess: { rejectedSpans: '0', errorMessage: 'careful' } });
      const proto = await post(url, PROTO_BODY, { 'content-type': 'application/x-protobuf' });
      expect(decodeTraceResponse(Buffer.from(await proto.arrayBuffer()))).toEqual({
        partialSuccess: { rejectedSpans: 0, errorMessage: 'careful' },
      });
    });

    it('answers 400 with a Status body naming the bad field, ingesting nothing', async () => {
      const { url, seen } = await start();
      const res = await post(
        url,
        JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{ spanId: 'zz' }] }] }] }),
        {
          'content-type': 'application/json',
        },
      );
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({
        code: 3,
        message: 'resourceSpans[0].scopeSpans[0].spans[0].spanId: expected hex, got "zz"',
      });
      const corrupt = await post(url, Buffer.from('not gzip'), {
        'content-type': 'application/x-protobuf',
        'content-encoding': 'gzip',
      });
      expect(corrupt.status).toBe(400);
      expect(seen).toHaveLength(0);
    });

    it('answers 401 without the bearer token', async () => {
      const { url, seen } = await start(undefined, { bearerTokens: ['tok'] });
      const res = await post(url, PROTO_BODY, { 'content-type': 'application/x-protobuf' });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
      const ok = await post(url, PROTO_BODY, { 'content-type': 'application/x-protobuf', authorization: 'Bearer tok' });
      expect(ok.status).toBe(200);
      expect(seen).toHaveLength(1);
    });

    it('answers 503 with Retry-After when the intake says retryable', async () => {
      const { url } = await start(() => ({ status: 'retryable', afterMs: 2_500, error: new Error('queue full') }));
      const res = await post(url, PROTO_BODY, { 'content-type': 'application/x-protobuf' });
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('3');
    });

    it('answers 413, 415, 404 and 405 as OTLP/HTTP clients expect', async () => {
      const { url, seen } = await start(undefined, { maxBodyBytes: 200 });
      expect((await post(url, PROTO_BODY, { 'content-type': 'application/x-protobuf' })).status).toBe(413);
      expect(
        (
          await post(url, gzipSync(Buffer.alloc(10_000)), {
            'content-type': 'application/x-protobuf',
            'content-encoding': 'gzip',
          })
        ).status,
      ).toBe(413);
      expect((await post(url, 'x', { 'content-type': 'text/plain' })).status).toBe(415);
      expect((await post(url, 'x', { 'content-type': 'application/json', 'content-encoding': 'br' })).status).toBe(415);
      expect(
        (await post(url.replace('/v1/traces', '/v1/logs'), 'x', { 'content-type': 'application/json' })).status,
      ).toBe(404);
      const get = await fetch(url);
      expect(get.status).toBe(405);
      expect(get.headers.get('allow')).toBe('POST');
      expect(seen).toHaveLength(0);
    });

    it('answers 413 to a chunked body once it passes the limit, without waiting for its end', async () => {
      const { url } = await start(undefined, { maxBodyBytes: 100 });
      const { port } = new URL(url);
      const code = await new Promise<number>((resolve, reject) => {
        const req = request(
          {
            host: '127.0.0.1',
            port,
            path: '/v1/traces',
            method: 'POST',
            headers: { 'content-type': 'application/json' },
          },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on('error', reject);
        req.write(Buffer.alloc(64, 32));
        req.write(Buffer.alloc(64, 32)); // never ended: the answer must not depend on the rest
      });
      expect(code).toBe(413);
    });
  });

  describe('close', () => {
    it('is idempotent', async () => {
      const server = new OtlpHttpServer({ intake: () => ({ status: 'ok' }), port: 0, host: '127.0.0.1' });
      await server.listen();
      const first = server.close();
      expect(server.close()).toBe(first);
      await first;
    });
  });
});
