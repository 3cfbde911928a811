import { describe, expect, it } from 'vitest';
import type { OtlpKeyValue } from '../../src/otlp/otlp-message.js';
import type { SpanEntry } from '../../src/stitch/span-entries.js';
import { bySpanId, hex } from './capture-batches.js';
import { apiserverTrace, etcdServerBatch, toRequest, unrelatedBatch } from './real-spans.js';
import { CREATE, T0, auditAnchor, batch, setup } from './stitcher-fixtures.js';

const clusterOf = (e: SpanEntry | undefined): string | undefined =>
  e?.resourceSpans.resource?.attributes.find((kv) => kv.key === 'k8s.cluster.name')?.value?.stringValue;

describe('Stitcher delivery', () => {
  describe('at-least-once input (a sender retries a request it got no answer to)', () => {
    it('exports a span sent twice once, and counts the copy', () => {
      const { stitcher, sink } = setup();
      const api = apiserverTrace(CREATE);
      stitcher.onAnchor(auditAnchor(CREATE));
      stitcher.ingest(batch(toRequest(api.request)));
      expect(stitcher.ingest(batch(toRequest(api.request)))).toEqual({ status: 'ok' });
      expect(sink.entries()).toHaveLength(3);
      expect(stitcher.stats.duplicateSpans).toBe(3);
      expect(stitcher.stats.spansIn).toBe(6);
      expect(stitcher.stats.spansOut).toBe(3);
    });

    it('drops the copy of a held span and of a span inside the same request', () => {
      const { stitcher, sink } = setup();
      const api = apiserverTrace(CREATE);
      const etcd = etcdServerBatch(api.traceId, api.etcdClientSpanId, api.etcdWindow);
      stitcher.ingest(batch(toRequest(etcd)));
      stitcher.ingest(batch(toRequest(etcd)));
      const twice = toRequest(api.request);
      stitcher.ingest(batch({ resourceSpans: [...twice.resourceSpans, ...twice.resourceSpans] }));
      expect(stitcher.heldSpans).toBe(4);
      stitcher.onAnchor(auditAnchor(CREATE));
      const out = sink.entries();
      expect(out).toHaveLength(4);
      expect(new Set(out.map((e) => hex(e.span.spanId))).size).toBe(4);
      expect(stitcher.stats.duplicateSpans).toBe(4);
    });

    it('takes a span again once its memory expired (bounded by time)', () => {
      const { stitcher, sink, clock } = setup({ dedupeTtlMs: 60_000 });
      const request = toRequest(unrelatedBatch('shop', T0));
      stitcher.ingest(batch(request));
      clock.advanceTo(T0 + 61_000);
      stitcher.ingest(batch(request));
      expect(sink.entries()).toHaveLength(2);
      expect(stitcher.stats.duplicateSpans).toBe(0);
    });
  });

  describe('k8s.cluster.name on real spans (DESIGN §3.5 invariant 3)', () => {
    it('is added to the resource of stitched and of unchanged spans alike', () => {
      const { stitcher, sink } = setup({ cluster: 'prod-eu' });
      const api = apiserverTrace(CREATE);
      stitcher.onAnchor(auditAnchor(CREATE));
      stitcher.ingest(batch(toRequest(api.request)));
      stitcher.ingest(batch(toRequest(unrelatedBatch('shop', T0))));
      const out = sink.entries();
      expect(out.length).toBeGreaterThan(3);
      for (const e of out) expect(clusterOf(e)).toBe('prod-eu');
      expect(stitcher.stats.spansOut).toBe(out.length);
    });

    it('keeps a value the component set, and then forwards the request as received', () => {
      const { stitcher, sink } = setup({ cluster: 'prod-eu' });
      const request = toRequest(unrelatedBatch('shop', T0));
      const own: OtlpKeyValue = { key: 'k8s.cluster.name', value: { stringValue: 'set-by-sdk' } };
      const tagged = {
        resourceSpans: request.resourceSpans.map((rs) => ({
          ...rs,
          resource: { attributes: [...(rs.resource?.attributes ?? []), own] },
        })),
      };
      const received = batch(tagged);
      stitcher.ingest(received);
      expect(sink.batches).toEqual([received]);
      expect(clusterOf(bySpanId(sink.entries()).values().next().value)).toBe('set-by-sdk');
    });
  });
});
