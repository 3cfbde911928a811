import { ATTR, OPERATION } from '../model/attributes.js';
import type { PendingSpan } from './pending-span.js';

/**
 * Widens the anchor's span, while it is not yet emitted, to cover real spans put under it
 * ([startMs, endMs], epoch ms): its ancestors follow, as when a child is attached. False once the
 * span was emitted (or collected): its interval is final.
 */
export type CoverFn = (startMs: number, endMs: number) => boolean;

/**
 * A synthesized span that real spans can be stitched to (DESIGN §4): an audited request (by
 * `audit-id`) or a pod startup/termination (by `k8s.pod.uid`, for kubelet's syncPod spans).
 */
export type StitchAnchor = (
  | {
      readonly kind: 'audit';
      readonly auditId: string;
      readonly traceId: string;
      readonly spanId: string;
      /** For matching apiserver traces without `audit-id` by request (older apiservers). */
      readonly verb: string;
      readonly path: string;
      readonly userAgent: string;
      /** requestReceivedTimestamp, epoch ms. */
      readonly startMs: number;
    }
  | {
      readonly kind: 'pod-startup' | 'pod-termination';
      readonly podUid: string;
      readonly traceId: string;
      readonly spanId: string;
      readonly startMs: number;
    }
) & { readonly cover: CoverFn };

/** The anchor a just-opened span offers, if any. */
export function anchorOf(span: PendingSpan): StitchAnchor | undefined {
  const auditId = span.attributes[ATTR.auditId];
  if (typeof auditId === 'string') {
    return {
      kind: 'audit',
      auditId,
      traceId: span.traceId,
      spanId: span.spanId,
      verb: String(span.attributes[ATTR.auditVerb] ?? ''),
      path: String(span.attributes[ATTR.urlPath] ?? ''),
      userAgent: String(span.attributes[ATTR.userAgent] ?? ''),
      startMs: span.startMs,
      cover: coverFn(span),
    };
  }
  const op = span.attributes[ATTR.operation];
  const podUid = span.attributes[ATTR.podUid];
  if (typeof podUid !== 'string') return undefined;
  if (op === OPERATION.podStartup || op === OPERATION.podTermination) {
    return {
      kind: op === OPERATION.podStartup ? 'pod-startup' : 'pod-termination',
      podUid,
      traceId: span.traceId,
      spanId: span.spanId,
      startMs: span.startMs,
      cover: coverFn(span),
    };
  }
  return undefined;
}

// The stitcher keeps anchors for minutes; a weak reference lets an emitted span go meanwhile.
function coverFn(span: PendingSpan): CoverFn {
  const ref = new WeakRef(span);
  return (startMs, endMs) => {
    const target = ref.deref();
    if (target === undefined || target.state === 'emitted') return false;
    // Real spans under a pseudo-span start a little before the request's audit timestamp (the
    // apiserver's filters run first): the parent covers its children (DESIGN §3.5 invariant 1).
    for (let p: PendingSpan | undefined = target; p !== undefined; p = p.parent) {
      if (p.startMs > startMs) p.startMs = startMs;
    }
    if (endMs > target.childMaxEndMs) target.childMaxEndMs = endMs;
    return true;
  };
}
