import { describe, expect, it } from 'vitest';
import type { TraceRequest } from '../../src/otlp/otlp-message.js';
import type { AnchorInput } from '../../src/stitch/stitch-types.js';
import { attrMap, bySpanId, hex } from './capture-batches.js';
import { apiserverTrace, toRequest } from './real-spans.js';
import { CREATE, T0, auditAnchor, batch, setup } from './stitcher-fixtures.js';

/** The request's spans with (`keep`) or without the span `spanId`. */
function pick(request: TraceRequest, spanId: string, keep: boolean): TraceRequest {
  return {
    resourceSpans: request.resourceSpans.map((rs) => ({
      ...rs,
      scopeSpans: rs.scopeSpans.map((ss) => ({
        ...ss,
        spans: ss.spans.filter((s) => (hex(s.spanId) === spanId) === keep),
      })),
    })),
  };
}

// kube-apiserver's exporter sends spans as they end: the handler span before the top span that
// encloses it, often in separate requests; when its queue is full it drops some for good.
describe('Stitcher: spans of a stitched trace whose parent has not come', () => {
  const api = apiserverTrace(CREATE);
  const full = toRequest(api.request);
  const children = pick(full, api.topSpanId, false);
  const top = pick(full, api.topSpanId, true);

  it('wait for it, and keep their parent when it comes within the orphan window', () => {
    const { stitcher, sink, clock } = setup({ orphanWaitMs: 10_000 });
    stitcher.onAnchor(auditAnchor(CREATE));
    stitcher.ingest(batch(children));
    // The etcd client span (its parent, the handler, is here) leaves; the handler waits.
    expect(sink.entries().map((e) => hex(e.span.spanId))).toEqual([api.etcdClientSpanId]);
    clock.advanceTo(T0 + 5_000);
    stitcher.ingest(batch(top));
    const out = bySpanId(sink.entries());
    expect(out.size).toBe(3);
    expect(hex(out.get(api.handlerSpanId)?.span.parentSpanId)).toBe(api.topSpanId);
    expect(hex(out.get(api.topSpanId)?.span.parentSpanId)).toBe(auditAnchor(CREATE).spanId);
    expect(stitcher.stats.adoptedOrphans).toBe(0);
  });

  it('hang under the pseudo-span, covered by it, when the parent never comes', () => {
    const { stitcher, sink, clock } = setup({ orphanWaitMs: 10_000 });
    const covered: [number, number][] = [];
    const anchor: AnchorInput = { ...auditAnchor(CREATE), cover: (s, e) => covered.push([s, e]) > 0 };
    stitcher.onAnchor(anchor);
    stitcher.ingest(batch(children));
    clock.advanceTo(T0 + 10_001);
    stitcher.expire();
    const handler = bySpanId(sink.entries()).get(api.handlerSpanId)?.span;
    expect(hex(handler?.traceId)).toBe(anchor.traceId);
    expect(hex(handler?.parentSpanId)).toBe(anchor.spanId);
    expect(attrMap(handler ?? { attributes: [], events: [], links: [] })['kubestitch.original_parent_span_id']).toEqual(
      {
        stringValue: api.topSpanId,
      },
    );
    // Its time was reserved in the pseudo-span when it started waiting.
    expect(covered.length).toBeGreaterThan(0);
    expect(stitcher.stats.adoptedOrphans).toBe(1);
    expect(stitcher.stats.spansOut).toBe(2);
  });

  it('become roots beside a pseudo-span emitted too short for them, not children naming a missing parent', () => {
    const { stitcher, sink, clock } = setup({ orphanWaitMs: 10_000 });
    let emitted = false;
    const anchor: AnchorInput = { ...auditAnchor(CREATE, true), startMs: CREATE.endMs, cover: () => !emitted };
    stitcher.onAnchor(anchor);
    stitcher.ingest(batch(children));
    emitted = true;
    stitcher.onAnchorEnd(anchor, CREATE.endMs + 0.1);
    clock.advanceTo(T0 + 10_001);
    stitcher.expire();
    const handler = bySpanId(sink.entries()).get(api.handlerSpanId)?.span;
    expect(hex(handler?.traceId)).toBe(anchor.traceId);
    expect(handler?.parentSpanId ?? Buffer.alloc(0)).toHaveLength(0);
    expect(handler?.links.map((l) => hex(l.spanId))).toEqual([anchor.spanId]);
    expect(attrMap(handler ?? { attributes: [], events: [], links: [] })['kubestitch.original_parent_span_id']).toEqual(
      { stringValue: api.topSpanId },
    );
    expect(stitcher.stats.uncoveredSpans).toBe(1);
  });

  it('are released at shutdown like at the end of the window', async () => {
    const { stitcher, sink } = setup();
    stitcher.onAnchor(auditAnchor(CREATE));
    stitcher.ingest(batch(children));
    await stitcher.shutdown();
    expect(sink.entries()).toHaveLength(2);
    expect(stitcher.stats.adoptedOrphans).toBe(1);
  });

  it('pass as they are after the window: memory holds one window of traces', () => {
    const { stitcher, sink, clock } = setup({ orphanWaitMs: 10_000 });
    stitcher.onAnchor(auditAnchor(CREATE));
    stitcher.ingest(batch(top));
    clock.advanceTo(T0 + 11_000);
    stitcher.expire();
    stitcher.ingest(batch(children));
    expect(sink.entries()).toHaveLength(3);
    expect(hex(bySpanId(sink.entries()).get(api.handlerSpanId)?.span.parentSpanId)).toBe(api.topSpanId);
  });
});
