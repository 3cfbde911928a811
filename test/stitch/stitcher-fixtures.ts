/** Shared fixtures of the Stitcher tests: a manual clock, a capture sink, anchors as synth reports them. */
import { ManualClock } from '../../src/model/clock.js';
import type { TraceBatch, TraceRequest } from '../../src/otlp/otlp-message.js';
import { countSpans } from '../../src/otlp/otlp-message.js';
import type { StitcherOptions } from '../../src/stitch/stitcher-options.js';
import { Stitcher } from '../../src/stitch/stitcher.js';
import type { AnchorInput } from '../../src/stitch/stitch-types.js';
import { CaptureBatches } from './capture-batches.js';
import { type ApiserverTraceSpec, idOf } from './real-spans.js';

export const T0 = Date.UTC(2025, 3, 1, 13, 33, 59, 447);
export const POD = { uid: '0b6c2a57-1b7e-4d0b-9d8e-4a1c1f6a7b10', name: 'web-7d4b9c-x2x7q', namespace: 'shop' };

export const CREATE: ApiserverTraceSpec = {
  label: 'create-pod',
  auditId: '7a816f5c-b093-4f2f-8124-0c6083e41cd4',
  method: 'POST',
  path: '/api/v1/namespaces/shop/pods',
  userAgent:
    'kube-controller-manager/v1.32.2 (linux/arm64) kubernetes/67a30c0/system:serviceaccount:kube-system:replicaset-controller',
  startMs: T0,
  endMs: T0 + 11.5,
  status: 201,
  auditIdOn: 'top-and-handler',
};

export const auditAnchor = (spec: ApiserverTraceSpec, facts = false): Extract<AnchorInput, { kind: 'audit' }> => ({
  kind: 'audit',
  auditId: spec.auditId,
  traceId: idOf(`pseudo/${spec.auditId}`, 16),
  spanId: idOf(`pseudo-span/${spec.auditId}`, 8),
  ...(facts ? { verb: 'create', path: spec.path, userAgent: spec.userAgent, startMs: spec.startMs } : {}),
});

export const podAnchor = (kind: 'pod-startup' | 'pod-termination', startMs: number): AnchorInput => ({
  kind,
  podUid: POD.uid,
  traceId: idOf(`pseudo/${kind}`, 16),
  spanId: idOf(`pseudo-span/${kind}`, 8),
  startMs,
});

export function setup(options: Partial<StitcherOptions> = {}): {
  stitcher: Stitcher;
  sink: CaptureBatches;
  clock: ManualClock;
} {
  const sink = new CaptureBatches();
  const clock = new ManualClock(T0);
  return { stitcher: new Stitcher({ sink, clock, holdMs: 5_000, memoryMax: 1_000, ...options }), sink, clock };
}

export function batch(request: TraceRequest): TraceBatch {
  return { request, spanCount: countSpans(request) };
}
