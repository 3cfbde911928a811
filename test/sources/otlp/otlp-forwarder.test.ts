import { status } from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import type { TraceBatch } from '../../../src/otlp/otlp-message.js';
import { countSpans } from '../../../src/otlp/otlp-message.js';
import { OtlpForwarder, type OtlpForwarderOptions } from '../../../src/sources/otlp/otlp-forwarder.js';
import { encodeTraceRequest } from '../../../src/sources/otlp/otlp-proto-codec.js';
import { OtlpGrpcReceiver } from '../../support/otlp-grpc-receiver.js';
import { etcdServerBatch, idOf, toRequest, unrelatedBatch } from '../../stitch/real-spans.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

async function setup(
  options: Partial<OtlpForwarderOptions> = {},
): Promise<{ receiver: OtlpGrpcReceiver; forwarder: OtlpForwarder }> {
  const receiver = new OtlpGrpcReceiver();
  const { url } = await receiver.start();
  cleanup.push(() => receiver.stop());
  const forwarder = new OtlpForwarder({ url, initialBackoffMs: 10, maxBackoffMs: 20, random: () => 1, ...options });
  cleanup.push(() => forwarder.shutdown());
  return { receiver, forwarder };
}

function batch(label: string): TraceBatch {
  const request = toRequest(unrelatedBatch(label, 1_700_000_000_000));
  return { request, spanCount: countSpans(request) };
}

describe('OtlpForwarder', () => {
  describe('offer', () => {
    it('delivers every value type, the resource and the scope as received', async () => {
      const { receiver, forwarder } = await setup();
      const request = toRequest(
        etcdServerBatch(idOf('fwd', 16), idOf('fwd-parent', 8), { startMs: 1e12, endMs: 1e12 + 4 }),
      );
      expect(forwarder.offer({ request, spanCount: 1 })).toBe(true);
      await forwarder.flush();
      const [span] = receiver.spans();
      expect(span?.attributes).toMatchObject({
        'test.double': 0.25,
        'test.bool': true,
        'rpc.grpc.status_code': 0,
      });
      expect(span?.scope).toEqual({
        name: 'go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc',
        version: '0.42.0',
      });
      expect(span?.startTimeUnixNano).toBe('1000000000000400007');
      const raw = receiver.requests[0];
      expect(JSON.stringify(raw)).toContain('"kvlistValue"');
      expect(JSON.stringify(raw)).toContain('"bytesValue"');
      // int64 beyond 2^53 arrives exact (proto-loader decodes int64 as a decimal string).
      expect(JSON.stringify(raw)).toContain('"intValue":"-9007199254740993"');
      expect(forwarder.stats).toMatchObject({ sentBatches: 1, sentSpans: 1, droppedSpans: 0 });
    });

    it('sends the received bytes of an unchanged batch, not a re-encoding', async () => {
      const { receiver, forwarder } = await setup();
      const received = batch('as-received');
      const raw = encodeTraceRequest(toRequest(unrelatedBatch('what-was-on-the-wire', 1_700_000_000_000)));
      forwarder.offer({ ...received, raw });
      await forwarder.flush();
      expect(receiver.spans()[0]?.spanId).toBe(idOf('what-was-on-the-wire/span', 8));
    });

    it('retries UNAVAILABLE with backoff until the downstream answers', async () => {
      const { receiver, forwarder } = await setup();
      receiver.respondWith({ code: status.UNAVAILABLE });
      forwarder.offer(batch('retry'));
      await new Promise((resolve) => setTimeout(resolve, 60));
      receiver.respondWith({});
      await forwarder.flush();
      expect(receiver.spans()).toHaveLength(1);
      expect(forwarder.stats.retries).toBeGreaterThan(0);
      expect(forwarder.stats.droppedSpans).toBe(0);
    });

    it('drops and counts a batch the downstream rejects as invalid, without retrying', async () => {
      const { receiver, forwarder } = await setup();
      receiver.respondWith({ code: status.INVALID_ARGUMENT });
      forwarder.offer(batch('bad'));
      await forwarder.flush();
      expect(forwarder.stats).toMatchObject({ retries: 0, droppedSpans: 1 });
    });

    it('gives up after maxRetryMs and counts the spans dropped', async () => {
      const { receiver, forwarder } = await setup({ maxRetryMs: 50 });
      receiver.respondWith({ code: status.UNAVAILABLE });
      forwarder.offer(batch('never'));
      await forwarder.flush();
      expect(forwarder.stats.droppedSpans).toBe(1);
    });

    it('refuses batches beyond the queue bound, and everything after shutdown', async () => {
      const { receiver, forwarder } = await setup({ maxQueuedSpans: 1 });
      receiver.respondWith({ delayMs: 100 });
      expect(forwarder.offer(batch('one'))).toBe(true);
      expect(forwarder.hasRoom(1)).toBe(false);
      expect(forwarder.offer(batch('two'))).toBe(false);
      expect(forwarder.stats.refusedSpans).toBe(1);
      await forwarder.shutdown();
      expect(forwarder.offer(batch('three'))).toBe(false);
      expect(receiver.spans()).toHaveLength(1);
    });
  });

  describe('shutdown', () => {
    it('is idempotent and drops, counted, what the grace period could not deliver', async () => {
      const { receiver, forwarder } = await setup({ shutdownGraceMs: 30, timeoutMs: 5_000 });
      receiver.respondWith({ code: status.UNAVAILABLE });
      forwarder.offer(batch('stuck'));
      const first = forwarder.shutdown();
      expect(forwarder.shutdown()).toBe(first);
      await first;
      expect(forwarder.stats.droppedSpans).toBe(1);
    });
  });
});
