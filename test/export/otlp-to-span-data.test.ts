import { describe, expect, it } from 'vitest';
import { CaptureSink } from '../../src/export/capture-sink.js';
import { countSpans } from '../../src/otlp/otlp-message.js';
import { traceRequestToSpanData } from '../../src/export/otlp-to-span-data.js';
import { SpanSinkBridge } from '../../src/export/span-sink-bridge.js';
import { etcdServerBatch, idOf, toRequest } from '../stitch/real-spans.js';

const request = toRequest(
  etcdServerBatch(idOf('conv', 16), idOf('conv-parent', 8), { startMs: 1e12, endMs: 1e12 + 4 }),
);

describe('traceRequestToSpanData', () => {
  it('converts ids, times, kinds and resource, and keeps the scope as otel.scope.* attributes', () => {
    const { spans, skipped } = traceRequestToSpanData(request);
    expect(skipped).toBe(0);
    expect(spans[0]).toMatchObject({
      traceId: idOf('conv', 16),
      parentSpanId: idOf('conv-parent', 8),
      kind: 'server',
      startMs: 1e12 + 0.4,
      resource: { attributes: { 'service.name': 'etcd', 'service.instance.id': 'etcd-control-plane' } },
    });
    expect(spans[0]?.attributes).toMatchObject({
      'otel.scope.name': 'go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc',
      'test.bool': true,
      'test.ints': ['1', '-9007199254740993'],
      'test.kvlist': '{"revision":5542}',
      'test.bytes': 'AAH+/w==',
    });
  });
});

describe('SpanSinkBridge', () => {
  describe('offer', () => {
    it('writes converted spans to a SpanData sink and counts them', async () => {
      const sink = new CaptureSink();
      const bridge = new SpanSinkBridge(sink);
      expect(bridge.offer({ request, spanCount: countSpans(request) })).toBe(true);
      await bridge.shutdown();
      expect(sink.spans.map((s) => s.name)).toEqual(['etcdserverpb.KV/Txn']);
      expect(bridge.stats.writtenSpans).toBe(1);
      expect(bridge.offer({ request, spanCount: 1 })).toBe(false);
    });
  });
});
