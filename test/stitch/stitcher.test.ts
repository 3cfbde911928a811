import { describe, expect, it } from 'vitest';
import type { TraceRequest } from '../../src/otlp/otlp-message.js';
import { attrMap, bySpanId, entriesOf, hex } from './capture-batches.js';
import {
  type ApiserverTraceSpec,
  apiserverTrace,
  containerdBatch,
  etcdServerBatch,
  kubeletSync,
  toRequest,
  unrelatedBatch,
} from './real-spans.js';
import { CREATE, POD, T0, auditAnchor, batch, podAnchor, setup } from './stitcher-fixtures.js';

describe('Stitcher', () => {
  describe('ingest', () => {
    it('holds an apiserver trace until its audit anchor, then puts it under the audit pseudo-span', () => {
      const { stitcher, sink } = setup();
      const api = apiserverTrace(CREATE);
      const input = toRequest(api.request);
      expect(stitcher.ingest(batch(input))).toEqual({ status: 'ok' });
      expect(sink.batches).toHaveLength(0);
      const anchor = auditAnchor(CREATE);
      expect(stitcher.onAnchor(anchor)).toBeUndefined();
      const out = bySpanId(sink.entries());
      expect(out.size).toBe(3);
      const top = out.get(api.topSpanId)?.span;
      expect(hex(top?.traceId)).toBe(anchor.traceId);
      expect(hex(top?.parentSpanId)).toBe(anchor.spanId);
      expect(top?.flags).toBe(0x301);
      expect(hex(out.get(api.handlerSpanId)?.span.parentSpanId)).toBe(api.topSpanId);
      expect(hex(out.get(api.etcdClientSpanId)?.span.traceId)).toBe(anchor.traceId);
      for (const e of out.values()) {
        expect(attrMap(e.span)['kubestitch.original_trace_id']).toEqual({ stringValue: api.traceId });
        expect(attrMap(e.span)['kubestitch.stitch.rule']).toEqual({ stringValue: 'audit-id' });
      }
      expect(stitcher.stats.matchedTraces['audit-id']).toBe(1);
      expect(stitcher.stats.rewrittenSpans).toBe(3);
    });

    it('keeps every original attribute, event, scope and resource of a rewritten span', () => {
      const { stitcher, sink } = setup();
      const input = toRequest(apiserverTrace(CREATE).request);
      stitcher.onAnchor(auditAnchor(CREATE));
      stitcher.ingest(batch(input));
      const before = bySpanId(entriesOf([input]));
      for (const [id, after] of bySpanId(sink.entries())) {
        const original = before.get(id);
        expect(after.span.attributes.slice(0, -2)).toEqual(original?.span.attributes);
        expect(after.span.events).toEqual(original?.span.events);
        expect(after.span.status).toEqual(original?.span.status);
        expect(after.scopeSpans.scope).toBe(original?.scopeSpans.scope);
        expect(after.resourceSpans.resource).toBe(original?.resourceSpans.resource);
        expect(after.resourceSpans.schemaUrl).toBe('https://opentelemetry.io/schemas/1.12.0');
      }
    });

    it('rewrites an etcd server span arriving in a later batch through the trace-id map', () => {
      const { stitcher, sink } = setup();
      const api = apiserverTrace(CREATE);
      const anchor = auditAnchor(CREATE);
      stitcher.onAnchor(anchor);
      stitcher.ingest(batch(toRequest(api.request)));
      const etcd = toRequest(etcdServerBatch(api.traceId, api.etcdClientSpanId, api.etcdWindow));
      stitcher.ingest(batch(etcd));
      const [server] = entriesOf([sink.batches[1]?.request ?? { resourceSpans: [] }]);
      expect(hex(server?.span.traceId)).toBe(anchor.traceId);
      expect(hex(server?.span.parentSpanId)).toBe(api.etcdClientSpanId);
      expect(attrMap(server?.span ?? { attributes: [], events: [], links: [] })['test.kvlist']).toEqual({
        kvlistValue: { values: [{ key: 'revision', value: { intValue: '5542' } }] },
      });
    });

    it('holds etcd spans that arrive before their apiserver trace and releases them with it', () => {
      const { stitcher, sink } = setup();
      const api = apiserverTrace(CREATE);
      stitcher.ingest(batch(toRequest(etcdServerBatch(api.traceId, api.etcdClientSpanId, api.etcdWindow))));
      stitcher.ingest(batch(toRequest(api.request)));
      expect(sink.batches).toHaveLength(0);
      stitcher.onAnchor(auditAnchor(CREATE));
      const out = sink.entries();
      expect(out).toHaveLength(4);
      expect(new Set(out.map((e) => hex(e.span.traceId)))).toEqual(new Set([auditAnchor(CREATE).traceId]));
    });

    it('does not hold a read: a GET trace and the etcd spans that waited for it leave at once', () => {
      const { stitcher, sink } = setup();
      const get = apiserverTrace({
        ...CREATE,
        label: 'get-pod',
        auditId: 'read-1',
        method: 'GET',
        path: `/api/v1/namespaces/shop/pods/${POD.name}`,
      });
      stitcher.ingest(batch(toRequest(etcdServerBatch(get.traceId, get.etcdClientSpanId, get.etcdWindow))));
      expect(stitcher.heldSpans).toBe(1);
      stitcher.ingest(batch(toRequest(get.request)));
      expect(stitcher.heldSpans).toBe(0);
      expect(sink.entries()).toHaveLength(4);
      expect(stitcher.stats.rewrittenSpans).toBe(0);
    });

    it('does not hold an Event write: synth makes no pseudo-span for it (ADR 0002)', () => {
      const { stitcher, sink } = setup();
      const create = apiserverTrace({
        ...CREATE,
        label: 'create-event',
        auditId: 'event-1',
        path: '/api/v1/namespaces/shop/events',
      });
      stitcher.ingest(batch(toRequest(create.request)));
      expect(stitcher.heldSpans).toBe(0);
      expect(sink.entries()).toHaveLength(3);
      const eventsV1 = apiserverTrace({
        ...CREATE,
        label: 'patch-event',
        auditId: 'event-2',
        path: '/apis/events.k8s.io/v1/namespaces/shop/events/web.1',
      });
      stitcher.ingest(batch(toRequest(eventsV1.request)));
      expect(stitcher.heldSpans).toBe(0);
    });

    it('matches kubelet syncPod to the pod startup and lets containerd spans follow', () => {
      const { stitcher, sink } = setup();
      const anchor = podAnchor('pod-startup', T0);
      stitcher.onAnchor(anchor);
      const kubelet = kubeletSync('sync-1', 'syncPod', POD, T0 + 900, T0 + 4_200);
      stitcher.ingest(batch(toRequest(kubelet.request)));
      stitcher.ingest(
        batch(toRequest(containerdBatch(kubelet.traceId, kubelet.createContainerSpanId, kubelet.createWindow))),
      );
      const out = bySpanId(sink.entries());
      expect(out.size).toBe(6);
      expect(hex(out.get(kubelet.syncSpanId)?.span.parentSpanId)).toBe(anchor.spanId);
      for (const e of out.values()) expect(hex(e.span.traceId)).toBe(anchor.traceId);
      expect(
        attrMap(out.get(kubelet.syncSpanId)?.span ?? { attributes: [], events: [], links: [] })[
          'kubestitch.stitch.rule'
        ],
      ).toEqual({
        stringValue: 'pod-uid',
      });
    });

    it('leaves a syncPod that starts after the pod startup span ended in its own trace', () => {
      const { stitcher, sink } = setup();
      const anchor = podAnchor('pod-startup', T0);
      stitcher.onAnchor(anchor);
      stitcher.onAnchorEnd(anchor, T0 + 5_000);
      const late = kubeletSync('resync', 'syncPod', POD, T0 + 60_000, T0 + 60_040);
      stitcher.ingest(batch(toRequest(late.request)));
      expect(stitcher.heldSpans).toBe(0);
      const out = bySpanId(sink.entries());
      expect(hex(out.get(late.syncSpanId)?.span.traceId)).toBe(late.traceId);
      expect(stitcher.stats.rewrittenSpans).toBe(0);
      const early = kubeletSync('first-sync', 'syncPod', POD, T0 + 900, T0 + 4_200);
      stitcher.ingest(batch(toRequest(early.request)));
      expect(hex(bySpanId(sink.entries()).get(early.syncSpanId)?.span.parentSpanId)).toBe(anchor.spanId);
    });

    it('matches syncTerminatingPod to the pod termination, not the startup', () => {
      const { stitcher, sink } = setup();
      stitcher.onAnchor(podAnchor('pod-startup', T0));
      const termination = podAnchor('pod-termination', T0 + 60_000);
      stitcher.onAnchor(termination);
      const kubelet = kubeletSync('term-1', 'syncTerminatingPod', POD, T0 + 60_100, T0 + 61_000);
      stitcher.ingest(batch(toRequest(kubelet.request)));
      expect(hex(bySpanId(sink.entries()).get(kubelet.syncSpanId)?.span.parentSpanId)).toBe(termination.spanId);
    });

    it('passes a syncPod outside the pod startup window through unchanged', () => {
      const { stitcher, sink } = setup({ podSyncWindowMs: 60_000 });
      stitcher.onAnchor(podAnchor('pod-startup', T0));
      const resync = toRequest(kubeletSync('resync', 'syncPod', POD, T0 + 600_000, T0 + 600_050).request);
      stitcher.ingest(batch(resync));
      expect(sink.batches[0]?.request).toBe(resync);
      expect(stitcher.heldSpans).toBe(0);
    });

    it('forwards a batch of an unrelated service at once, as the very request received', () => {
      const { stitcher, sink } = setup();
      const received = batch(toRequest(unrelatedBatch('shop', T0)));
      stitcher.ingest(received);
      expect(sink.batches).toEqual([received]);
    });

    it('answers retryable and takes nothing when the sink has no room', () => {
      const { stitcher, sink } = setup();
      sink.room = false;
      const result = stitcher.ingest(batch(toRequest(apiserverTrace(CREATE).request)));
      expect(result.status).toBe('retryable');
      expect(stitcher.heldSpans).toBe(0);
      expect(stitcher.stats.spansIn).toBe(0);
    });

    it('forwards spans with an invalid trace id unchanged and warns the client', () => {
      const { stitcher, sink } = setup();
      const good = toRequest(unrelatedBatch('x', T0));
      const bad: TraceRequest = {
        resourceSpans: good.resourceSpans.map((rs) => ({
          ...rs,
          scopeSpans: rs.scopeSpans.map((ss) => ({
            ...ss,
            spans: ss.spans.map((s) => ({ ...s, traceId: Buffer.alloc(16) })),
          })),
        })),
      };
      const result = stitcher.ingest(batch(bad));
      expect(result).toEqual({
        status: 'ok',
        message: '1 spans with an invalid trace id were forwarded without stitching',
      });
      expect(sink.batches[0]?.request).toBe(bad);
    });
  });

  describe('ingest with the http-request rule', () => {
    const OLD: ApiserverTraceSpec = { ...CREATE, label: 'old-apiserver', auditIdOn: 'none' };

    it('matches a top span without audit-id by method, path, user agent and start time', () => {
      const { stitcher, sink } = setup();
      const api = apiserverTrace(OLD);
      stitcher.ingest(batch(toRequest(api.request)));
      const anchor = auditAnchor(OLD, true);
      stitcher.onAnchor(anchor);
      const top = bySpanId(sink.entries()).get(api.topSpanId)?.span;
      expect(hex(top?.parentSpanId)).toBe(anchor.spanId);
      expect(attrMap(top ?? { attributes: [], events: [], links: [] })['kubestitch.stitch.rule']).toEqual({
        stringValue: 'http-request',
      });
    });

    it('does not match when the user agent differs or the start is beyond the tolerance', () => {
      const { stitcher, sink } = setup({ httpToleranceMs: 50 });
      stitcher.ingest(batch(toRequest(apiserverTrace(OLD).request)));
      stitcher.onAnchor({ ...auditAnchor(OLD, true), userAgent: 'kubectl/v1.32.0' });
      stitcher.onAnchor({ ...auditAnchor({ ...OLD, auditId: 'later' }, true), startMs: OLD.startMs + 51 });
      expect(sink.batches).toHaveLength(0);
      expect(stitcher.stats.matchedTraces['http-request']).toBe(0);
    });

    it('gives one audit anchor to one trace: the closest in time', () => {
      const { stitcher, sink } = setup();
      const near = apiserverTrace({ ...OLD, label: 'near', startMs: OLD.startMs + 2 });
      const far = apiserverTrace({ ...OLD, label: 'far', startMs: OLD.startMs + 300 });
      stitcher.ingest(batch(toRequest(far.request)));
      stitcher.ingest(batch(toRequest(near.request)));
      stitcher.onAnchor(auditAnchor(OLD, true));
      expect(new Set(sink.entries().map((e) => hex(e.span.spanId)))).toContain(near.topSpanId);
      expect(sink.entries()).toHaveLength(3);
      expect(stitcher.heldSpans).toBe(3);
    });
  });
});
