import { describe, expect, it } from 'vitest';
import type { SpanData } from '../../src/model/span.js';
import type { AnchorInput } from '../../src/stitch/stitch-types.js';
import { SpanTree } from '../../src/synth/span-tree.js';
import { anchorOf } from '../../src/synth/stitch-anchor.js';
import { bySpanId, hex } from './capture-batches.js';
import { type JsonRequest, apiserverTrace, etcdServerBatch, toRequest } from './real-spans.js';
import { CREATE, auditAnchor, batch, setup } from './stitcher-fixtures.js';

// The apiserver's top span starts before the audit event's requestReceivedTimestamp (its
// filters run first) and ends after stageTimestamp: here 40 µs before and 0.3 ms after.
const AUDIT = { startMs: CREATE.startMs + 0.04, endMs: CREATE.endMs - 0.3 };

/** An audit anchor whose pseudo-span is still pending (cover widens it) or already emitted. */
function anchorWithCover(emittedEndMs?: number): { anchor: AnchorInput; covered: [number, number][] } {
  const covered: [number, number][] = [];
  const anchor: AnchorInput = {
    ...auditAnchor(CREATE, true),
    startMs: AUDIT.startMs,
    cover: (startMs, endMs) => {
      if (emittedEndMs !== undefined) return false;
      covered.push([startMs, endMs]);
      return true;
    },
  };
  return { anchor, covered };
}

describe('Stitcher: the pseudo-span covers the real spans put under it (DESIGN §3.5 invariant 1)', () => {
  it('asks synth to widen the pending pseudo-span to the real root, whichever came first', () => {
    for (const anchorFirst of [true, false]) {
      const { stitcher } = setup();
      const { anchor, covered } = anchorWithCover();
      const request = toRequest(apiserverTrace(CREATE).request);
      if (anchorFirst) stitcher.onAnchor(anchor);
      stitcher.ingest(batch(request));
      if (!anchorFirst) stitcher.onAnchor(anchor);
      expect(covered).toEqual([[CREATE.startMs, CREATE.endMs]]);
      expect(stitcher.stats.rewrittenSpans).toBe(3);
    }
  });

  it('does not ask again for etcd spans that arrive later: they are under the apiserver root', () => {
    const { stitcher } = setup();
    const { anchor, covered } = anchorWithCover();
    const api = apiserverTrace(CREATE);
    stitcher.onAnchor(anchor);
    stitcher.ingest(batch(toRequest(api.request)));
    stitcher.ingest(batch(toRequest(etcdServerBatch(api.traceId, api.etcdClientSpanId, api.etcdWindow))));
    expect(covered).toHaveLength(1);
    expect(stitcher.stats.rewrittenSpans).toBe(4);
  });

  it('leaves a trace in its own trace when the pseudo-span was emitted too short for it', () => {
    const { stitcher, sink } = setup();
    const { anchor } = anchorWithCover(AUDIT.endMs);
    stitcher.onAnchor(anchor);
    stitcher.onAnchorEnd(anchor, AUDIT.endMs);
    const api = apiserverTrace(CREATE);
    stitcher.ingest(batch(toRequest(api.request)));
    const out = bySpanId(sink.entries());
    expect(hex(out.get(api.topSpanId)?.span.traceId)).toBe(api.traceId);
    expect(out.get(api.topSpanId)?.span.parentSpanId ?? Buffer.alloc(0)).toHaveLength(0);
    expect(stitcher.stats.uncoveredTraces).toBe(1);
    expect(stitcher.stats.rewrittenSpans).toBe(0);
    // Its etcd spans follow it, unchanged.
    stitcher.ingest(batch(toRequest(etcdServerBatch(api.traceId, api.etcdClientSpanId, api.etcdWindow))));
    expect(sink.entries().every((e) => hex(e.span.traceId) === api.traceId)).toBe(true);
  });

  it('keeps a late root that sticks out of the emitted pseudo-span in its trace, beside it, not under it', () => {
    // The real control plane's order when kubestitch starts after the apiserver (e2e, 10 s audit
    // batches): the audit of a startup request comes older than the adoption window, so its
    // pseudo-span leaves at once; the apiserver's exporter sends the handler before its top span.
    const { stitcher, sink } = setup();
    let emitted = false;
    const anchor: AnchorInput = { ...auditAnchor(CREATE, true), startMs: AUDIT.startMs, cover: () => !emitted };
    const api = apiserverTrace(CREATE);
    const [resourceSpans] = api.request.resourceSpans as { scopeSpans: object[] }[];
    const part = (scopes: object[]): JsonRequest => ({ resourceSpans: [{ ...resourceSpans, scopeSpans: scopes }] });
    const [topScope, ...innerScopes] = resourceSpans?.scopeSpans ?? [];
    stitcher.onAnchor(anchor);
    stitcher.ingest(batch(toRequest(part(innerScopes))));
    emitted = true;
    stitcher.onAnchorEnd(anchor, AUDIT.endMs);
    stitcher.ingest(batch(toRequest(part(topScope === undefined ? [] : [topScope]))));
    const out = bySpanId(sink.entries());
    const top = out.get(api.topSpanId)?.span;
    // In the pseudo-span's trace, where its handler names it as parent...
    expect(hex(top?.traceId)).toBe(anchor.traceId);
    expect(hex(out.get(api.handlerSpanId)?.span.traceId)).toBe(anchor.traceId);
    expect(hex(out.get(api.handlerSpanId)?.span.parentSpanId)).toBe(api.topSpanId);
    // ...but a root linked to the pseudo-span: as its child it would stick out (invariant 1).
    expect(top?.parentSpanId ?? Buffer.alloc(0)).toHaveLength(0);
    expect(top?.links.map((l) => hex(l.spanId))).toEqual([anchor.spanId]);
    expect(stitcher.stats.uncoveredSpans).toBe(1);
  });

  it('still stitches under an emitted pseudo-span that covers the trace', () => {
    const { stitcher } = setup();
    const { anchor } = anchorWithCover(CREATE.endMs + 1);
    stitcher.onAnchor({ ...anchor, startMs: CREATE.startMs - 1 });
    stitcher.onAnchorEnd(anchor, CREATE.endMs + 1);
    stitcher.ingest(batch(toRequest(apiserverTrace(CREATE).request)));
    expect(stitcher.stats.uncoveredTraces).toBe(0);
    expect(stitcher.stats.rewrittenSpans).toBe(3);
  });
});

describe("synth's cover hook (anchorOf)", () => {
  const ok = { outcome: 'ok' } as const;
  const T = CREATE.startMs;

  function tree(): { tree: SpanTree; anchors: AnchorInput[] } {
    const anchors: AnchorInput[] = [];
    const t = new SpanTree('c', (span) => {
      const a = anchorOf(span);
      if (a !== undefined) anchors.push(a);
    });
    return { tree: t, anchors };
  }

  it('widens the pending pseudo-span and its ancestors; the emitted spans nest', () => {
    const { tree: t, anchors } = tree();
    const op = t.open({ key: 'op', name: 'ReplicaSet scale', startMs: T, resource: {}, attributes: {} });
    t.deferEmission();
    const req = t.open({
      key: 'req',
      name: 'create pods',
      startMs: T + 1,
      resource: {},
      attributes: { 'audit-id': CREATE.auditId },
      parent: op,
    });
    t.close(req, T + 12, ok);
    t.close(op, T + 12, ok);
    expect(anchors[0]?.cover?.(T - 0.04, T + 12.5)).toBe(true);
    t.releaseEmission();
    const out = new Map<string, SpanData>(t.takeBatch().map((s) => [s.name, s]));
    expect(out.get('create pods')).toMatchObject({ startMs: T - 0.04, endMs: T + 12.5 });
    expect(out.get('ReplicaSet scale')).toMatchObject({ startMs: T - 0.04, endMs: T + 12.5 });
    // Emitted: its interval is final.
    expect(anchors[0]?.cover?.(T - 1, T + 20)).toBe(false);
  });
});
