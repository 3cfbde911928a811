import { ATTR, OPERATION } from '../model/attributes.js';
import type { PendingSpan } from './pending-span.js';

/**
 * A synthesized span that real spans can be stitched to (DESIGN §4): an audited request (by
 * `audit-id`) or a pod startup/termination (by `k8s.pod.uid`, for kubelet's syncPod spans).
 */
export type StitchAnchor =
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
    };

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
    };
  }
  return undefined;
}
