import type { Clock } from '../model/clock.js';
import { AnchorIndex } from './anchor-index.js';
import type { AnchorInput, StitchRule } from './stitch-types.js';
import { type TraceClues, anchorKeys, clueKeys, httpDistance, podSyncInWindow } from './trace-clues.js';

export interface AnchorMatcherOptions {
  readonly max: number;
  readonly ttlMs: number;
  readonly clock: Clock;
  readonly httpToleranceMs: number;
  readonly podWindowMs: number;
  readonly skewMs: number;
  /** Whether read requests (GET, List, Watch) may get an audit pseudo-span to wait for. */
  readonly waitForReads: boolean;
}

/** A real trace's pseudo-span, and the rule that found it. */
export interface Match {
  readonly anchor: AnchorInput;
  readonly rule: StitchRule;
}

/**
 * The matching rules of DESIGN §4, in both directions: a trace's clues against the anchors seen
 * (`find`), and a new anchor against the traces waiting for one (`candidates`). Rule order: an
 * exact `audit-id` wins — a trace carrying one never matches by the HTTP fallback — then
 * `pod-uid` (kubelet sync spans within the pod operation's window), then `http-request`.
 */
export class AnchorMatcher {
  readonly #o: AnchorMatcherOptions;
  readonly #anchors: AnchorIndex;

  constructor(options: AnchorMatcherOptions) {
    this.#o = options;
    this.#anchors = new AnchorIndex(options.max, options.ttlMs, options.clock);
  }

  add(anchor: AnchorInput): void {
    this.#anchors.add(anchor);
  }

  /** An audited request has one trace: once matched, the HTTP fallback skips its anchor. */
  claim(match: Match): void {
    if (match.anchor.kind === 'audit') this.#anchors.claim(match.anchor);
  }

  /** The anchor seen so far that `clues` match, if any. */
  find(clues: TraceClues): Match | undefined {
    if (clues.audit !== undefined) {
      const anchor = this.#anchors.get(`audit:${clues.audit.auditId}`);
      return anchor === undefined ? undefined : { anchor, rule: 'audit-id' };
    }
    const pod = clues.pod;
    if (pod !== undefined) {
      const anchor = this.#anchors.get(`${pod.phase}:${pod.uid}`);
      if (anchor !== undefined && this.#podFits(pod.startMs, anchor)) return { anchor, rule: 'pod-uid' };
    }
    if (clues.http !== undefined) {
      const anchor = this.#anchors.closestHttp(clues.http, this.#o.httpToleranceMs);
      if (anchor !== undefined) return { anchor, rule: 'http-request' };
    }
    return undefined;
  }

  /**
   * Keys under which an anchor for `clues` may still come. None for reads unless `waitForReads`:
   * synth makes pseudo-spans of mutating requests only (DESIGN §3.3), so a read would only wait.
   */
  waitKeys(clues: TraceClues): string[] {
    if (clues.read === true && !this.#o.waitForReads && clues.pod === undefined) return [];
    if (clues.audit !== undefined) return [`audit:${clues.audit.auditId}`];
    const keys = clueKeys(clues);
    const pod = clues.pod;
    if (pod !== undefined && this.#anchors.get(`${pod.phase}:${pod.uid}`) !== undefined) {
      return keys.filter((k) => k !== `${pod.phase}:${pod.uid}`); // its anchor came and did not fit
    }
    return keys;
  }

  /**
   * Which of the traces waiting under `key` the new `anchor` matches (`cluesOf` gives a trace's
   * clues, undefined when it no longer waits). For an `http:` key only the closest in time.
   */
  candidates(
    key: string,
    anchor: AnchorInput,
    waiting: readonly string[],
    cluesOf: (trace: string) => TraceClues | undefined,
  ): { trace: string; rule: StitchRule }[] {
    const out: { trace: string; rule: StitchRule; distance: number }[] = [];
    for (const trace of waiting) {
      const clues = cluesOf(trace);
      if (clues === undefined) continue;
      if (key.startsWith('audit:')) {
        out.push({ trace, rule: 'audit-id', distance: 0 });
      } else if (key.startsWith('http:')) {
        const distance =
          clues.http === undefined || clues.audit !== undefined || this.#anchors.isClaimed(anchor)
            ? undefined
            : httpDistance(clues.http, anchor, this.#o.httpToleranceMs);
        if (distance !== undefined) out.push({ trace, rule: 'http-request', distance });
      } else if (clues.pod !== undefined && this.#podFits(clues.pod.startMs, anchor)) {
        out.push({ trace, rule: 'pod-uid', distance: 0 });
      }
    }
    if (!key.startsWith('http:')) return out;
    out.sort((a, b) => a.distance - b.distance);
    return out.slice(0, 1);
  }

  /** The pseudo-span of `anchor` was exported with this end: later syncs are not part of it. */
  anchorEnded(anchor: AnchorInput, endMs: number): void {
    const [key] = anchorKeys(anchor);
    if (key !== undefined) this.#anchors.setEnd(key, endMs);
  }

  /**
   * Whether the emitted pseudo-span of `anchor` covers [startMs, endMs]: from the anchor's start
   * to the end synth exported it with. True when that end is unknown (no onAnchorEnd wired).
   */
  coveredWhenEnded(anchor: AnchorInput, startMs: number, endMs: number): boolean {
    const [key] = anchorKeys(anchor);
    const ended = key === undefined ? undefined : this.#anchors.endOf(key);
    if (ended === undefined) return true;
    return (anchor.startMs === undefined || startMs >= anchor.startMs) && endMs <= ended;
  }

  #podFits(startMs: number, anchor: AnchorInput): boolean {
    if (anchor.kind === 'audit') return false;
    // A sync that starts after the pod operation's span ended (the periodic resync of a Ready
    // pod) would stick out of it (DESIGN §3.5 invariant 1): it stays in its own trace.
    const endMs = this.#anchors.endOf(`${anchor.kind}:${anchor.podUid}`);
    if (endMs !== undefined && startMs >= endMs) return false;
    return podSyncInWindow(startMs, anchor.startMs, this.#o.skewMs, this.#o.podWindowMs);
  }
}
