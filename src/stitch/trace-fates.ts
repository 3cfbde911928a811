import type { LRUCache } from 'lru-cache';
import type { Clock } from '../model/clock.js';
import type { ReparentTarget } from './reparent.js';
import type { AnchorInput } from './stitch-types.js';
import { type TraceClues, clueKeys } from './trace-clues.js';
import { ttlCache } from './ttl-cache.js';

/** What became of an original trace; later spans of it follow the same way. */
export type TraceFate =
  /** Matched in reparent mode: later spans are rewritten into the target trace. */
  | { readonly kind: 'stitched'; readonly target: ReparentTarget; readonly anchor: AnchorInput }
  /** Matched in link mode, or linked late: later spans pass unchanged. */
  | { readonly kind: 'linked' }
  /** Nothing to match: later spans pass unchanged. */
  | { readonly kind: 'passthrough' }
  /** Forwarded unchanged before its anchor came (hold timeout, overflow): a later anchor links to it. */
  | { readonly kind: 'late'; readonly traceId: Buffer; readonly clues: TraceClues };

export const LINKED: TraceFate = { kind: 'linked' };
export const PASSTHROUGH: TraceFate = { kind: 'passthrough' };

/**
 * The original → stitched trace map (DESIGN §4: LRU with TTL on the injected clock) plus the
 * index of traces waiting for an anchor, held or late, by clue key (`audit:<id>`, `pod-startup:<uid>`,
 * `http:<METHOD> <path>`). A late trace that leaves the map (evicted, expired, replaced) stops waiting.
 */
export class TraceFates {
  readonly #fates: LRUCache<string, TraceFate>;
  readonly #waiting = new Map<string, Set<string>>();

  constructor(max: number, ttlMs: number, clock: Clock) {
    this.#fates = ttlCache<string, TraceFate>(max, ttlMs, clock, (fate, trace) => {
      if (fate.kind === 'late') this.unwait(trace, clueKeys(fate.clues));
    });
  }

  get(trace: string): TraceFate | undefined {
    return this.#fates.get(trace);
  }

  set(trace: string, fate: TraceFate): void {
    this.#fates.set(trace, fate);
  }

  /** Registers `trace` as waiting under each key. */
  wait(trace: string, keys: readonly string[]): void {
    for (const key of keys) {
      let set = this.#waiting.get(key);
      if (set === undefined) this.#waiting.set(key, (set = new Set()));
      set.add(trace);
    }
  }

  unwait(trace: string, keys: readonly string[]): void {
    for (const key of keys) {
      const set = this.#waiting.get(key);
      if (set === undefined) continue;
      set.delete(trace);
      if (set.size === 0) this.#waiting.delete(key);
    }
  }

  /** Traces waiting under `key` (a copy: callers resolve them while iterating). */
  waiting(key: string): string[] {
    return [...(this.#waiting.get(key) ?? [])];
  }

  /** Number of wait registrations (for tests and metrics: must not grow without bound). */
  get waitingSize(): number {
    let n = 0;
    for (const set of this.#waiting.values()) n += set.size;
    return n;
  }
}
