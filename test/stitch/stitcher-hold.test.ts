import { describe, expect, it } from 'vitest';
import type { SpanLinkData } from '../../src/model/span.js';
import { entriesOf, spanBytes } from './capture-batches.js';
import { apiserverTrace, etcdServerBatch, toRequest, unrelatedBatch } from './real-spans.js';
import { CREATE, T0, auditAnchor, batch, setup } from './stitcher-fixtures.js';

describe('Stitcher', () => {
  describe('onAnchor in link mode', () => {
    it('modifies no real span and links the pseudo-span to the trace root', () => {
      const { stitcher, sink } = setup({ mode: 'link' });
      const api = apiserverTrace(CREATE);
      const input = toRequest(api.request);
      const before = entriesOf([input]).map(spanBytes);
      stitcher.ingest(batch(input));
      const links = stitcher.onAnchor(auditAnchor(CREATE));
      expect(links).toEqual<SpanLinkData[]>([
        { traceId: api.traceId, spanId: api.topSpanId, attributes: { 'kubestitch.stitch.rule': 'audit-id' } },
      ]);
      const etcd = toRequest(etcdServerBatch(api.traceId, api.etcdClientSpanId, api.etcdWindow));
      stitcher.ingest(batch(etcd));
      const after = sink.entries().map(spanBytes);
      expect(after.slice(0, 3)).toEqual(before);
      expect(after[3]).toEqual(entriesOf([etcd]).map(spanBytes)[0]);
    });

    it('adds links through addLinks when the anchor came first, and counts them missed without it', () => {
      const added: SpanLinkData[] = [];
      const linked = setup({ mode: 'link', addLinks: (_a, links) => added.push(...links) > 0 });
      linked.stitcher.onAnchor(auditAnchor(CREATE));
      linked.stitcher.ingest(batch(toRequest(apiserverTrace(CREATE).request)));
      expect(added).toHaveLength(1);
      const bare = setup({ mode: 'link' });
      bare.stitcher.onAnchor(auditAnchor(CREATE));
      bare.stitcher.ingest(batch(toRequest(apiserverTrace(CREATE).request)));
      expect(bare.stitcher.stats.linksMissed).toBe(1);
    });
  });

  describe('expire', () => {
    it('forwards a trace unchanged after holdMs and links it when the anchor comes later', () => {
      const { stitcher, sink, clock } = setup();
      const api = apiserverTrace(CREATE);
      const input = toRequest(api.request);
      stitcher.ingest(batch(input));
      clock.advanceTo(T0 + 4_999);
      stitcher.expire();
      expect(sink.batches).toHaveLength(0);
      clock.advanceTo(T0 + 5_000);
      stitcher.expire();
      expect(sink.entries().map(spanBytes)).toEqual(entriesOf([input]).map(spanBytes));
      expect(stitcher.stats.expiredSpans).toBe(3);
      const links = stitcher.onAnchor(auditAnchor(CREATE));
      expect(links).toEqual([
        {
          traceId: api.traceId,
          spanId: api.topSpanId,
          attributes: { 'kubestitch.stitch.rule': 'audit-id', 'kubestitch.stitch.late': true },
        },
      ]);
      // Later spans of that trace pass unchanged: part of it is already downstream as it was.
      const etcd = toRequest(etcdServerBatch(api.traceId, api.etcdClientSpanId, api.etcdWindow));
      stitcher.ingest(batch(etcd));
      expect(sink.batches.at(-1)?.request).toBe(etcd);
      expect(stitcher.stats.lateLinks).toBe(1);
    });

    it('runs on its own timer when sweepIntervalMs is set', async () => {
      const { stitcher, sink, clock } = setup({ sweepIntervalMs: 5 });
      stitcher.ingest(batch(toRequest(apiserverTrace(CREATE).request)));
      clock.advanceTo(T0 + 10_000);
      await new Promise((resolve) => setTimeout(resolve, 40));
      expect(sink.entries()).toHaveLength(3);
      await stitcher.shutdown();
    });
  });

  describe('ingest when the hold buffer is full', () => {
    it('forwards unchanged, counts the overflow, and still links the anchor', () => {
      const { stitcher, sink } = setup({ maxHeldSpans: 4 });
      const first = apiserverTrace({ ...CREATE, label: 'first', auditId: 'first' });
      const second = apiserverTrace(CREATE);
      stitcher.ingest(batch(toRequest(first.request)));
      const input = toRequest(second.request);
      stitcher.ingest(batch(input));
      expect(stitcher.stats.overflowSpans).toBe(3);
      expect(stitcher.heldSpans).toBe(3);
      expect(sink.entries().map(spanBytes)).toEqual(entriesOf([input]).map(spanBytes));
      expect(stitcher.onAnchor(auditAnchor(CREATE))?.[0]?.spanId).toBe(second.topSpanId);
    });

    it('bounds held bytes as well as spans', () => {
      const { stitcher } = setup({ maxHeldBytes: 1_000 });
      stitcher.ingest(batch(toRequest(apiserverTrace(CREATE).request)));
      expect(stitcher.heldSpans).toBe(0);
      expect(stitcher.stats.overflowSpans).toBe(3);
    });
  });

  describe('shutdown', () => {
    it('releases held spans unchanged, is idempotent, and refuses later batches', async () => {
      const { stitcher, sink } = setup();
      stitcher.ingest(batch(toRequest(apiserverTrace(CREATE).request)));
      const first = stitcher.shutdown();
      expect(stitcher.shutdown()).toBe(first);
      await first;
      expect(sink.entries()).toHaveLength(3);
      expect(stitcher.ingest(batch(toRequest(unrelatedBatch('late', T0)))).status).toBe('retryable');
      expect(stitcher.stats.spansOut).toBe(3);
    });
  });
});
