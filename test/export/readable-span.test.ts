import { SpanKind, SpanStatusCode, TraceFlags } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { ConversionScope, msToHrTime, toReadableSpan, toReadableSpans } from '../../src/export/readable-span.js';
import {
  CHILD_ID,
  GRANDCHILD_ID,
  LINKED_SPAN_ID,
  LINKED_TRACE_ID,
  ROOT_ID,
  TRACE_ID,
  sampleTrace,
} from './sample-trace.js';

describe('toReadableSpan', () => {
  it('keeps our ids, parent and sampled flag instead of generating new ones', () => {
    const [root, child] = toReadableSpans(sampleTrace());
    expect(root?.spanContext()).toEqual({
      traceId: TRACE_ID,
      spanId: ROOT_ID,
      traceFlags: TraceFlags.SAMPLED,
      isRemote: false,
    });
    expect(root?.parentSpanContext).toBeUndefined();
    expect(child?.parentSpanContext).toMatchObject({ traceId: TRACE_ID, spanId: ROOT_ID });
  });

  it('converts times exactly to the microsecond and marks the span ended', () => {
    const [root] = toReadableSpans(sampleTrace());
    expect(root?.startTime).toEqual([1700000000, 500_000]);
    expect(root?.endTime).toEqual([1700000012, 345_678_000]);
    expect(root?.duration).toEqual([12, 345_178_000]);
    expect(root?.ended).toBe(true);
  });

  it('maps kind, status, events and links', () => {
    const [root, child, grandchild] = toReadableSpans(sampleTrace());
    expect(root?.kind).toBe(SpanKind.INTERNAL);
    expect(root?.status).toEqual({ code: SpanStatusCode.OK });
    expect(grandchild?.kind).toBe(SpanKind.SERVER);
    expect(grandchild?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'ImagePullBackOff' });
    expect(child?.events).toEqual([
      {
        name: 'SuccessfulCreate',
        time: [1700000000, 200_001_000],
        attributes: { 'kubestitch.event.count': 2, 'kubestitch.event.reason': 'SuccessfulCreate' },
      },
    ]);
    expect(child?.links).toEqual([
      {
        context: {
          traceId: LINKED_TRACE_ID,
          spanId: LINKED_SPAN_ID,
          traceFlags: TraceFlags.SAMPLED,
          isRemote: false,
        },
        attributes: { 'kubestitch.operation': 'deployment.update' },
      },
    ]);
    expect(grandchild?.spanContext().spanId).toBe(GRANDCHILD_ID);
    expect(grandchild?.parentSpanContext?.spanId).toBe(CHILD_ID);
  });

  it('shares one Resource object between spans with equal resource attributes', () => {
    const scope = new ConversionScope('0.1.0');
    const [root, child, grandchild] = sampleTrace().map((s) => toReadableSpan(s, scope));
    expect(child?.resource).toBe(root?.resource);
    expect(grandchild?.resource).not.toBe(root?.resource);
    expect(grandchild?.resource.attributes).toEqual({
      'service.name': 'kubelet',
      'k8s.cluster.name': 'dev',
      'k8s.node.name': 'node-1',
    });
    expect(root?.instrumentationScope).toEqual({ name: 'kubestitch', version: '0.1.0' });
  });

  it('throws a RangeError for a span whose time is not a number', () => {
    const [root] = sampleTrace();
    if (root === undefined) throw new Error('empty sample');
    expect(() => toReadableSpan({ ...root, endMs: Number.NaN }, new ConversionScope())).toThrow(RangeError);
  });
});

describe('msToHrTime', () => {
  it('is exact where millisToHrTime is off by tens of nanoseconds', () => {
    expect(msToHrTime(1700000000123.456)).toEqual([1700000000, 123_456_000]);
  });
});
