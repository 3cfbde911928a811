import type { Clock } from '../model/clock.js';
import type { SpanLinkData } from '../model/span.js';
import type { OtlpLogger } from '../otlp/otlp-logger.js';
import type { TraceBatchSink } from '../otlp/trace-batch-sink.js';
import type { AnchorInput, StitchMode } from './stitch-types.js';

/** Configuration of the Stitcher; every bound and window has a default suited to a live cluster. */
export interface StitcherOptions {
  /** Where real spans go once stitched, released or passed through. The caller owns it. */
  readonly sink: TraceBatchSink;
  /** Added as `k8s.cluster.name` to the resource of every real span that lacks it (DESIGN §3.5). */
  readonly cluster?: string;
  /** Default `reparent`. */
  readonly mode?: StitchMode;
  /** How long real spans wait for their anchor; see docs/stitching.md. Default 25 000 (ADR 0004). */
  readonly holdMs?: number;
  /** Hold-buffer bounds; beyond them spans are forwarded unchanged and counted. Defaults 20 000 / 32 MiB. */
  readonly maxHeldSpans?: number;
  readonly maxHeldBytes?: number;
  /** TTL and size of the trace map, the anchor index and the late-trace memory. Defaults 15 min / 100 000. */
  readonly memoryTtlMs?: number;
  readonly memoryMax?: number;
  /**
   * How many span ids are remembered, and for how long, to drop a span sent twice (OTLP is
   * at-least-once). Defaults 200 000 / 10 min.
   */
  readonly dedupeMax?: number;
  readonly dedupeTtlMs?: number;
  /**
   * How long a span of a stitched trace waits for a parent not seen yet before it is hung under
   * the pseudo-span (its exporter dropped the parent). Default 10 000; 0: never waits.
   */
  readonly orphanWaitMs?: number;
  /** `http-request` rule: greatest distance between span start and requestReceivedTimestamp. Default 1 000. */
  readonly httpToleranceMs?: number;
  /** kubelet sync spans join a pod operation if they start within this long after it. Default 10 min. */
  readonly podSyncWindowMs?: number;
  /** Clock skew allowed between kubelet and the apiserver's timestamps. Default 2 000. */
  readonly clockSkewMs?: number;
  /**
   * Hold read requests (GET/HEAD, Get/List/Watch handlers) for an audit anchor too. Default false:
   * synth makes no pseudo-span for reads unless configured to (DESIGN §3.3).
   */
  readonly waitForReads?: boolean;
  /** `service.name`s of kube-apiserver, whose HTTP server spans the `http-request` rule may match. */
  readonly apiserverServices?: readonly string[];
  /** `service.name`s whose spans may wait for a root not yet seen (they may follow a match). */
  readonly holdServices?: readonly string[];
  /** When > 0, an unref'ed timer releases expired holds this often; otherwise call expire(). */
  readonly sweepIntervalMs?: number;
  readonly clock?: Clock;
  /**
   * Link mode, anchor seen before its real spans: adds links to the still-open pseudo-span, false
   * when it cannot (proposed synth API; without it such matches count as `linksMissed`).
   */
  readonly addLinks?: (anchor: AnchorInput, links: readonly SpanLinkData[]) => boolean;
  readonly logger?: OtlpLogger;
}
