import type { SpanEntry } from './span-entries.js';
import { estimateSpanBytes } from './span-entries.js';
import type { TraceClues } from './trace-clues.js';

/** Spans of one original trace waiting for their anchor. */
export interface HeldTrace {
  readonly traceId: Buffer;
  readonly entries: SpanEntry[];
  clues: TraceClues;
  bytes: number;
  /** When the trace is released unchanged if no anchor came: first hold + holdMs. */
  readonly deadlineMs: number;
}

/**
 * Real spans waiting for their anchor, bounded by span count and (estimated) bytes. Traces leave
 * in deadline order; a deadline is fixed when a trace is first held, so later spans of that trace
 * do not extend it. Not thread-of-control aware: the stitcher decides what to do on overflow.
 */
export class HoldBuffer {
  readonly #maxSpans: number;
  readonly #maxBytes: number;
  // Insertion order is deadline order (holdMs is fixed), so expiry scans from the front.
  readonly #traces = new Map<string, HeldTrace>();
  #spans = 0;
  #bytes = 0;

  constructor(maxSpans: number, maxBytes: number) {
    this.#maxSpans = maxSpans;
    this.#maxBytes = maxBytes;
  }

  get spans(): number {
    return this.#spans;
  }

  get bytes(): number {
    return this.#bytes;
  }

  get(key: string): HeldTrace | undefined {
    return this.#traces.get(key);
  }

  /** Whether `entries` fit beside what is held. */
  fits(entries: readonly SpanEntry[]): boolean {
    return this.#spans + entries.length <= this.#maxSpans && this.#bytes + bytesOf(entries) <= this.#maxBytes;
  }

  /** Holds `entries` under `key` (appending to a trace already held). The caller checked fits(). */
  add(key: string, traceId: Buffer, entries: readonly SpanEntry[], clues: TraceClues, deadlineMs: number): HeldTrace {
    const bytes = bytesOf(entries);
    let held = this.#traces.get(key);
    if (held === undefined) {
      held = { traceId, entries: [], clues, bytes: 0, deadlineMs };
      this.#traces.set(key, held);
    }
    held.entries.push(...entries);
    held.clues = clues;
    held.bytes += bytes;
    this.#spans += entries.length;
    this.#bytes += bytes;
    return held;
  }

  /** Removes and returns the trace held under `key`. */
  take(key: string): HeldTrace | undefined {
    const held = this.#traces.get(key);
    if (held === undefined) return undefined;
    this.#traces.delete(key);
    this.#spans -= held.entries.length;
    this.#bytes -= held.bytes;
    return held;
  }

  /** Removes and returns, in deadline order, the traces whose deadline is at or before `nowMs`. */
  takeExpired(nowMs: number): [string, HeldTrace][] {
    const out: [string, HeldTrace][] = [];
    for (const [key, held] of this.#traces) {
      if (held.deadlineMs > nowMs) break;
      out.push([key, held]);
    }
    for (const [key] of out) this.take(key);
    return out;
  }

  /** Removes and returns everything. */
  takeAll(): [string, HeldTrace][] {
    const out = [...this.#traces];
    for (const [key] of out) this.take(key);
    return out;
  }
}

function bytesOf(entries: readonly SpanEntry[]): number {
  let bytes = 0;
  for (const e of entries) bytes += estimateSpanBytes(e.span);
  return bytes;
}
