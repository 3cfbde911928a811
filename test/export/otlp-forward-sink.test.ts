/**
 * The forward path of `run --otlp-forward-endpoint`: real spans through SpanSinkBridge into the
 * export's gRPC sink behind a spool (createOtlpForwardSink). What the retired OtlpForwarder's
 * tests asserted and still holds: every span arrives once with its values, resource and scope;
 * UNAVAILABLE is retried with backoff until the downstream answers; nothing is taken after
 * shutdown, and shutdown is idempotent.
 */
import { status } from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { createOtlpForwardSink } from '../../src/export/otlp-forward-sink.js';
import { SpanSinkBridge } from '../../src/export/span-sink-bridge.js';
import type { SpoolingSink } from '../../src/export/spooling-sink.js';
import { type TraceBatch, countSpans } from '../../src/otlp/otlp-message.js';
import { MemoryStore } from '../../storage/index.js';
import { OtlpGrpcReceiver } from '../support/otlp-grpc-receiver.js';
import { etcdServerBatch, idOf, toRequest, unrelatedBatch } from '../stitch/real-spans.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

async function setup(): Promise<{ receiver: OtlpGrpcReceiver; forward: SpoolingSink; bridge: SpanSinkBridge }> {
  const receiver = new OtlpGrpcReceiver();
  const { url } = await receiver.start();
  cleanup.push(() => receiver.stop());
  const forward = await createOtlpForwardSink({
    url,
    grpc: { timeoutMillis: 2_000 },
    backoff: { initialBackoffMs: 10, maxBackoffMs: 20 },
  });
  cleanup.push(() => forward.shutdown());
  return { receiver, forward, bridge: new SpanSinkBridge(forward) };
}

function batch(label: string): TraceBatch {
  const request = toRequest(unrelatedBatch(label, 1_700_000_000_000));
  return { request, spanCount: countSpans(request) };
}

async function waitFor(done: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('the OTLP forward path (createOtlpForwardSink behind SpanSinkBridge)', () => {
  it('delivers a real span with its values, its resource and its own instrumentation scope', async () => {
    const { receiver, bridge } = await setup();
    const request = toRequest(
      etcdServerBatch(idOf('fwd', 16), idOf('fwd-parent', 8), { startMs: 1e12, endMs: 1e12 + 4 }),
    );
    expect(bridge.offer({ request, spanCount: 1 })).toBe(true);
    await waitFor(() => receiver.spans().length === 1);
    const [span] = receiver.spans();
    expect(span?.traceId).toBe(idOf('fwd', 16));
    expect(span?.parentSpanId).toBe(idOf('fwd-parent', 8));
    expect(span?.resource).toMatchObject({ 'service.name': 'etcd' });
    expect(span?.attributes).toMatchObject({
      'test.double': 0.25,
      'test.bool': true,
      'rpc.grpc.status_code': 0,
      // Exact: int64 array elements travel as strings (export/otlp-to-span-data.ts).
      'test.ints': ['1', '-9007199254740993'],
    });
    // The scope rode through SpanData as otel.scope.* attributes and leaves as the scope again.
    expect(span?.scope).toEqual({
      name: 'go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc',
      version: '0.42.0',
    });
    expect(span?.attributes['otel.scope.name']).toBeUndefined();
    // SpanData holds µs: the wire's 1000000000000400007 ns arrive rounded to the µs.
    expect(span?.startTimeUnixNano).toBe('1000000000000400000');
    expect(bridge.stats).toMatchObject({ writtenSpans: 1, failedSpans: 0, unconvertibleSpans: 0, refusedSpans: 0 });
  });

  it('retries UNAVAILABLE with backoff until the downstream answers, and delivers each span once', async () => {
    const { receiver, forward, bridge } = await setup();
    receiver.respondWith({ code: status.UNAVAILABLE });
    bridge.offer(batch('retry'));
    await waitFor(() => forward.stats().retries > 0);
    receiver.respondWith({});
    await waitFor(() => forward.stats().exportedSpans === 1);
    expect(receiver.spans().map((s) => s.spanId)).toEqual([idOf('retry/span', 8)]);
    expect(Object.values(forward.stats().droppedSpans).every((n) => n === 0)).toBe(true);
  });

  it('keeps what the endpoint did not take in its store, and sends it when started again', async () => {
    const down = new OtlpGrpcReceiver();
    const { url } = await down.start();
    await down.stop();
    const store = new MemoryStore();
    const before = await createOtlpForwardSink({ url, store, flushDeadlineMs: 50 });
    const bridge = new SpanSinkBridge(before);
    bridge.offer(batch('kept'));
    await bridge.shutdown();
    await before.shutdown();
    expect(before.stats()).toMatchObject({ spooledSpans: 1, exportedSpans: 0 });

    const receiver = new OtlpGrpcReceiver();
    const { url: upUrl } = await receiver.start();
    cleanup.push(() => receiver.stop());
    const after = await createOtlpForwardSink({ url: upUrl, store, backoff: { initialBackoffMs: 10 } });
    cleanup.push(() => after.shutdown());
    await waitFor(() => receiver.spans().length === 1);
    expect(receiver.spans()[0]?.spanId).toBe(idOf('kept/span', 8));
  });

  it('refuses, counted, what is offered after shutdown; shutdown is idempotent', async () => {
    const { receiver, bridge } = await setup();
    expect(bridge.offer(batch('one'))).toBe(true);
    const first = bridge.shutdown();
    expect(bridge.shutdown()).toBe(first);
    await first;
    expect(bridge.offer(batch('two'))).toBe(false);
    expect(bridge.stats.refusedSpans).toBe(1);
    await waitFor(() => receiver.spans().length === 1);
    expect(receiver.spans()[0]?.spanId).toBe(idOf('one/span', 8));
  });
});
