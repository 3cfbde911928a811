/**
 * The contract between the live service, which knows which operations are still open, and the
 * query API and viewer, which show them (issue "What is happening now"). Live only: replay and
 * `serve` have no source, and the API answers an empty list for them.
 */
import type { SpanData } from '../model/span.js';

/** One operation in progress, as `GET /api/open-operations` lists it. */
export interface OpenOperation {
  /** The trace id its spans are (and will be) exported under: 32 hex chars. */
  readonly traceID: string;
  /** Its root span's id: 16 hex chars. */
  readonly spanID: string;
  /** The root span's name, e.g. `Deployment rollout`. */
  readonly operation: string;
  readonly kind: string;
  /** Empty for cluster-scoped objects. */
  readonly namespace: string;
  readonly name: string;
  /** Epoch microseconds, as Jaeger's API gives span start times. */
  readonly startTime: number;
  readonly elapsedMs: number;
  /**
   * In words, what the operation waits for now, from the evidence, e.g.
   * `pod web-7c94-x2: readiness (unready 4m12s)`; empty when nothing specific is known.
   */
  readonly waitingOn: string;
}

/** What the live service knows of the operations still open; the query API and viewer read it. */
export interface OpenOperationsSource {
  /** The open root operations at `nowMs`, oldest first. */
  list(nowMs: number): readonly OpenOperation[];
  /**
   * The spans of trace `traceId` that are still open at `nowMs`, with the ids they will be
   * exported under, `endMs = nowMs` and the attribute `kubestitch.open = true`. Empty when the
   * trace has no open span.
   */
  openSpans(traceId: string, nowMs: number): readonly SpanData[];
}
