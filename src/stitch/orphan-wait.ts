import type { ReparentTarget } from './reparent.js';
import type { SpanEntry } from './span-entries.js';
import { hexOf, isRootSpan } from './span-entries.js';
import type { AnchorInput } from './stitch-types.js';

/** A stitched trace in its orphan window: the span ids seen so far and the spans whose parent was not. */
export interface OrphanTrace {
  readonly traceId: Buffer;
  readonly target: ReparentTarget;
  readonly anchor: AnchorInput;
  readonly deadlineMs: number;
  readonly seen: Set<string>;
  held: SpanEntry[];
}

/**
 * Spans of a stitched trace whose parent has not arrived. A component's exporter sends a trace's
 * spans as they end, children before parents and often in separate requests, so a missing parent
 * usually comes seconds later; but an exporter whose queue was full drops spans (kube-apiserver's
 * batch processor holds 2 048), and then it never comes. Such a span waits `windowMs` from when
 * its trace was stitched; if its parent still has not come, the stitcher hangs it under the
 * pseudo-span instead of exporting it with a parent that does not exist (DESIGN §3.5 invariant 6).
 * After the window a trace's later spans pass as they are: memory holds one window of traces.
 */
export class OrphanWait {
  readonly #windowMs: number;
  // Insertion order is deadline order (the window is fixed), so expiry scans from the front.
  readonly #traces = new Map<string, OrphanTrace>();

  constructor(windowMs: number) {
    this.#windowMs = windowMs;
  }

  /** Spans waiting for their parent (for tests and metrics). */
  get heldSpans(): number {
    let n = 0;
    for (const t of this.#traces.values()) n += t.held.length;
    return n;
  }

  /**
   * Takes spans of a stitched trace: returns those that leave now (their parent was seen, or
   * they are roots, or the trace's window is over) and those that wait (`orphans`, new ones only).
   * `start` opens the window for a trace just stitched.
   */
  admit(
    trace: string,
    entries: readonly SpanEntry[],
    start: Omit<OrphanTrace, 'seen' | 'held' | 'deadlineMs'> | undefined,
    nowMs: number,
  ): { release: SpanEntry[]; orphans: SpanEntry[] } {
    let state = this.#traces.get(trace);
    if (state === undefined && start !== undefined && this.#windowMs > 0) {
      state = { ...start, deadlineMs: nowMs + this.#windowMs, seen: new Set(), held: [] };
      this.#traces.set(trace, state);
    }
    if (state === undefined) return { release: [...entries], orphans: [] };
    for (const e of entries) state.seen.add(hexOf(e.span.spanId));
    const fresh = new Set(entries);
    const waiting = [...state.held, ...entries];
    const release: SpanEntry[] = [];
    const orphans: SpanEntry[] = [];
    state.held = [];
    for (const e of waiting) {
      if (isRootSpan(e.span) || state.seen.has(hexOf(e.span.parentSpanId))) {
        release.push(e);
      } else {
        state.held.push(e);
        if (fresh.has(e)) orphans.push(e);
      }
    }
    return { release, orphans };
  }

  /** Removes and returns, in deadline order, the traces whose window is over at `nowMs`. */
  takeExpired(nowMs: number): OrphanTrace[] {
    const out: OrphanTrace[] = [];
    for (const [trace, state] of this.#traces) {
      if (state.deadlineMs > nowMs) break;
      out.push(state);
      this.#traces.delete(trace);
    }
    return out;
  }

  /** Removes and returns everything. */
  takeAll(): OrphanTrace[] {
    const out = [...this.#traces.values()];
    this.#traces.clear();
    return out;
  }
}
