/**
 * Vocabulary of the stitch stage (DESIGN §4): modes, rules, the anchors synth reports, counters.
 */

/** `reparent` rewrites matched real traces into the pseudo-span's trace; `link` only adds span links. */
export type StitchMode = 'reparent' | 'link';

/** Values of `kubestitch.stitch.rule`: which rule joined a real trace to its pseudo-span. */
export const STITCH_RULE = {
  /** A span of the trace carries `audit-id` = the audit event's auditID. */
  auditId: 'audit-id',
  /** kubelet `syncPod`/`syncTerminatingPod`/`syncTerminatedPod` carries `k8s.pod.uid`. */
  podUid: 'pod-uid',
  /** No audit-id (older apiservers): HTTP method + path + user agent + start time within a tolerance. */
  httpRequest: 'http-request',
} as const;
export type StitchRule = (typeof STITCH_RULE)[keyof typeof STITCH_RULE];

/**
 * What the stitch stage needs of an audited request for the `http-request` rule; synth's
 * StitchAnchor carries them (from the audit span's `kubestitch.audit.verb`, `url.path`,
 * `user_agent.original` and start). Optional so anchors from elsewhere (tests) may omit them.
 */
export interface AuditRequestFacts {
  /** Kubernetes verb (`create`, `patch`, …). */
  readonly verb?: string;
  /** Request path without the query. */
  readonly path?: string;
  readonly userAgent?: string;
  /** requestReceivedTimestamp, epoch ms. */
  readonly startMs?: number;
}

/**
 * A pseudo-span real spans can attach to. Structurally a superset of synth's StitchAnchor, so
 * `Synthesizer({ onAnchor: stitcher.onAnchor })` type-checks as is.
 */
export type AnchorInput = (
  | ({
      readonly kind: 'audit';
      readonly auditId: string;
      readonly traceId: string;
      readonly spanId: string;
    } & AuditRequestFacts)
  | {
      readonly kind: 'pod-startup' | 'pod-termination';
      readonly podUid: string;
      readonly traceId: string;
      readonly spanId: string;
      readonly startMs: number;
    }
) & {
  /**
   * Widens the pseudo-span, while synth has not emitted it, to cover the real spans put under it
   * ([startMs, endMs], epoch ms); false once it was emitted. Without it (anchors from elsewhere)
   * real spans are put under the pseudo-span as they are.
   */
  readonly cover?: (startMs: number, endMs: number) => boolean;
};

/** Counters for /metrics (stitch hits/misses, DESIGN §5). */
export interface StitchStats {
  spansIn: number;
  spansOut: number;
  /** Traces joined to a pseudo-span, by rule. */
  matchedTraces: Record<StitchRule, number>;
  /** Spans rewritten into a pseudo-span's trace (reparent mode). */
  rewrittenSpans: number;
  /** Spans released unchanged after waiting holdMs for their anchor. */
  expiredSpans: number;
  /** Spans forwarded unchanged because the hold buffer was full. */
  overflowSpans: number;
  /** Links handed to synth for real traces that were already forwarded (late anchors). */
  lateLinks: number;
  /** Link-mode matches whose pseudo-span had already been reported (no way to add the link). */
  linksMissed: number;
  /** Spans with an invalid trace id (not 16 bytes, or zero): forwarded unchanged, never matched. */
  invalidSpans: number;
  /** Spans the sink refused (its queue full or shut down). */
  refusedSpans: number;
  /** Copies of spans already taken (same trace id and span id: a sender's retry), dropped. */
  duplicateSpans: number;
  /**
   * Real traces left in their own trace because their pseudo-span was already emitted and does
   * not cover them (DESIGN §3.5 invariant 1).
   */
  uncoveredTraces: number;
  /**
   * Roots of an already stitched trace that came after its pseudo-span was emitted too short for
   * them: kept in the trace as roots beside it, with a link to it (DESIGN §3.5 invariant 1).
   */
  uncoveredSpans: number;
  /** Real spans whose parent never arrived (the component dropped it), hung under the pseudo-span. */
  adoptedOrphans: number;
}

export function emptyStats(): StitchStats {
  return {
    spansIn: 0,
    spansOut: 0,
    matchedTraces: { 'audit-id': 0, 'pod-uid': 0, 'http-request': 0 },
    rewrittenSpans: 0,
    expiredSpans: 0,
    overflowSpans: 0,
    lateLinks: 0,
    linksMissed: 0,
    invalidSpans: 0,
    refusedSpans: 0,
    duplicateSpans: 0,
    uncoveredTraces: 0,
    uncoveredSpans: 0,
    adoptedOrphans: 0,
  };
}
