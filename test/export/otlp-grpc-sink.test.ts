import { status } from '@grpc/grpc-js';
import { createServer } from 'node:http2';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodeOtlpJson } from '../../src/export/otlp-json.js';
import { OtlpGrpcSink, splitRequests } from '../../src/export/otlp-grpc-sink.js';
import type { OtlpGrpcSinkOptions } from '../../src/export/otlp-grpc-sink.js';
import { OtlpGrpcReceiver } from '../support/otlp-grpc-receiver.js';
import type { ReceivedSpan } from '../support/otlp-grpc-receiver.js';
import {
  CHILD_ID,
  GRANDCHILD_ID,
  LINKED_SPAN_ID,
  LINKED_TRACE_ID,
  ROOT_ID,
  TRACE_ID,
  sampleTrace,
} from './sample-trace.js';

describe('OtlpGrpcSink', () => {
  let receiver: OtlpGrpcReceiver;
  let url: string;
  const sinks: OtlpGrpcSink[] = [];

  function sink(options: Partial<OtlpGrpcSinkOptions> = {}): OtlpGrpcSink {
    const created = new OtlpGrpcSink({
      url,
      scopeVersion: '0.1.0',
      timeoutMillis: 5_000,
      ...options,
    });
    sinks.push(created);
    return created;
  }

  beforeEach(async () => {
    receiver = new OtlpGrpcReceiver();
    ({ url } = await receiver.start());
  });

  afterEach(async () => {
    await Promise.all(sinks.splice(0).map((s) => s.shutdown()));
    await receiver.stop();
  });

  describe('write', () => {
    it('delivers a trace that a real receiver decodes to our ids, times and attributes', async () => {
      expect(await sink().write(sampleTrace())).toEqual({ status: 'ok' });

      const spans = new Map(receiver.spans().map((s): [string, ReceivedSpan] => [s.spanId, s]));
      const root = spans.get(ROOT_ID);
      const child = spans.get(CHILD_ID);
      const grandchild = spans.get(GRANDCHILD_ID);
      expect(root).toMatchObject({
        traceId: TRACE_ID,
        parentSpanId: '',
        name: 'Deployment web rollout',
        kind: 1,
        startTimeUnixNano: '1700000000000500000',
        endTimeUnixNano: '1700000012345678000',
        attributes: {
          'kubestitch.operation': 'deployment.rollout',
          'kubestitch.revision': 3,
          'test.ratio': 0.75,
          'kubestitch.image.cached': false,
          'k8s.node.condition.type': ['Available', 'Progressing'],
        },
        resource: { 'service.name': 'kube-controller-manager', 'k8s.cluster.name': 'dev' },
        status: { code: 1, message: '' },
        scope: { name: 'kubestitch', version: '0.1.0' },
      });
      expect(child).toMatchObject({
        traceId: TRACE_ID,
        parentSpanId: ROOT_ID,
        startTimeUnixNano: '1700000000100250000',
        events: [
          {
            name: 'SuccessfulCreate',
            timeUnixNano: '1700000000200001000',
            attributes: { 'kubestitch.event.reason': 'SuccessfulCreate', 'kubestitch.event.count': 2 },
          },
        ],
        links: [
          {
            traceId: LINKED_TRACE_ID,
            spanId: LINKED_SPAN_ID,
            attributes: { 'kubestitch.operation': 'deployment.update' },
          },
        ],
        status: { code: 0 },
      });
      expect(grandchild).toMatchObject({
        parentSpanId: CHILD_ID,
        kind: 2,
        resource: {
          'service.name': 'kubelet',
          'k8s.cluster.name': 'dev',
          'k8s.node.name': 'node-1',
        },
        events: [{ name: 'BackOff', timeUnixNano: '1700000005000750000' }],
        status: { code: 2, message: 'ImagePullBackOff' },
      });
    });

    it('sends one request with one resourceSpans per distinct resource', async () => {
      await sink().write(sampleTrace());
      expect(receiver.requests).toHaveLength(1);
      expect(receiver.requests[0]?.['resourceSpans']).toHaveLength(2);
    });

    it('puts the same ids, nanos and flags on the wire as the OTLP/JSON file', async () => {
      await sink().write(sampleTrace());
      const fileSpans = (
        JSON.parse(encodeOtlpJson(sampleTrace())) as {
          resourceSpans: { scopeSpans: { spans: Record<string, unknown>[] }[] }[];
        }
      ).resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans));
      const pick = (s: Record<string, unknown>): unknown[] => [
        s['spanId'],
        s['parentSpanId'] || undefined,
        s['flags'],
        s['startTimeUnixNano'],
        s['endTimeUnixNano'],
      ];
      const wire = receiver.spans().map((s) => pick({ ...s }));
      expect(wire).toEqual(fileSpans.map(pick));
    });

    it('sends a write larger than maxSpansPerRequest as several requests, every span once, in order', async () => {
      const spans = sampleTrace();
      expect(await sink({ maxSpansPerRequest: 2 }).write(spans)).toEqual({ status: 'ok' });
      expect(receiver.requests).toHaveLength(Math.ceil(spans.length / 2));
      expect(receiver.spans().map((s) => s.spanId)).toEqual(spans.map((s) => s.spanId));
    });

    it('splits by estimated size too, so no request passes maxRequestBytes', () => {
      const spans = sampleTrace();
      const parts = splitRequests(spans, 512, 1);
      expect(parts.map((p) => p.length)).toEqual(spans.map(() => 1));
      expect(splitRequests(spans, 512, 4_000_000)).toEqual([spans]);
    });

    it('compresses requests with gzip by default, and not when told', async () => {
      // grpc-js hides grpc-encoding from handlers, so a bare HTTP/2 endpoint reads the frames.
      const seen: { encoding: unknown; compressedFlag: number | undefined }[] = [];
      const server = createServer();
      server.on('stream', (stream, headers) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          seen.push({ encoding: headers['grpc-encoding'], compressedFlag: Buffer.concat(chunks)[0] });
          stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
          stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
          stream.end(Buffer.from([0, 0, 0, 0, 0]));
        });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      try {
        const address = server.address();
        const port = typeof address === 'object' && address !== null ? address.port : 0;
        const raw = `http://127.0.0.1:${port}`;
        expect(await sink({ url: raw }).write(sampleTrace())).toEqual({ status: 'ok' });
        expect(await sink({ url: raw, compression: 'none' }).write(sampleTrace())).toEqual({ status: 'ok' });
        expect(seen).toEqual([
          { encoding: 'gzip', compressedFlag: 1 },
          { encoding: undefined, compressedFlag: 0 },
        ]);
      } finally {
        await Promise.all(sinks.splice(0).map((s) => s.shutdown()));
        await new Promise((resolve) => server.close(resolve));
      }
    });

    it('sends configured headers as gRPC metadata', async () => {
      await sink({ headers: { authorization: 'Bearer t0ken' } }).write(sampleTrace());
      expect(receiver.metadata[0]?.get('authorization')).toEqual(['Bearer t0ken']);
    });

    it('answers retryable, without throwing or hanging, when no receiver listens', async () => {
      const gone = new OtlpGrpcReceiver();
      const { url: deadUrl } = await gone.start();
      await gone.stop();
      const started = Date.now();
      const result = await sink({ url: deadUrl, timeoutMillis: 2_000 }).write(sampleTrace());
      expect(result).toMatchObject({ status: 'retryable', afterMs: 1_000 });
      expect(Date.now() - started).toBeLessThan(4_000);
    });

    it('answers retryable when the receiver does not answer within timeoutMillis', async () => {
      receiver.respondWith({ delayMs: 3_000 });
      const started = Date.now();
      const result = await sink({ timeoutMillis: 300 }).write(sampleTrace());
      expect(result.status).toBe('retryable');
      expect(Date.now() - started).toBeLessThan(2_000);
    });

    it.each([
      [status.UNAVAILABLE, 'retryable'],
      [status.RESOURCE_EXHAUSTED, 'retryable'],
      [status.INVALID_ARGUMENT, 'failed'],
      [status.UNAUTHENTICATED, 'failed'],
    ])('maps receiver status %i to %s', async (code, expected) => {
      receiver.respondWith({ code });
      const result = await sink({ retryAfterMs: 250 }).write(sampleTrace());
      expect(result.status).toBe(expected);
      if (result.status === 'retryable') expect(result.afterMs).toBe(250);
    });

    it('answers retryable at once, without sending, when maxInFlight exports are pending', async () => {
      receiver.respondWith({ delayMs: 300 });
      const limited = sink({ maxInFlight: 1 });
      const first = limited.write(sampleTrace());
      expect(await limited.write(sampleTrace())).toMatchObject({ status: 'retryable' });
      expect(await first).toEqual({ status: 'ok' });
      expect(receiver.requests).toHaveLength(1);
      expect(await limited.write(sampleTrace())).toEqual({ status: 'ok' });
    });

    it('drops a span with an invalid id, counts it, and sends the rest', async () => {
      const [root, ...rest] = sampleTrace();
      if (root === undefined) throw new Error('empty sample');
      const s = sink();
      expect(await s.write([{ ...root, traceId: '0'.repeat(32) }])).toEqual({ status: 'ok' });
      expect(receiver.requests).toHaveLength(0);
      expect(await s.write([{ ...root, endMs: Date.UTC(9999, 0, 1) }, ...rest])).toEqual({ status: 'ok' });
      expect(receiver.requests).toHaveLength(1);
      expect(s.unencodable.dropped).toBe(2);
    });
  });

  describe('flush', () => {
    it('resolves after pending writes have been answered', async () => {
      receiver.respondWith({ delayMs: 200 });
      const s = sink();
      const pending = s.write(sampleTrace());
      await s.flush();
      expect(receiver.requests).toHaveLength(1);
      expect(await pending).toEqual({ status: 'ok' });
    });
  });

  describe('shutdown', () => {
    it('is idempotent and makes later writes fail', async () => {
      const s = sink();
      await s.write(sampleTrace());
      await Promise.all([s.shutdown(), s.shutdown()]);
      await s.shutdown();
      expect((await s.write(sampleTrace())).status).toBe('failed');
      expect(receiver.requests).toHaveLength(1);
    });
  });
});
