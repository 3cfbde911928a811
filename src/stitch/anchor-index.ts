import type { LRUCache } from 'lru-cache';
import type { Clock } from '../model/clock.js';
import type { AnchorInput } from './stitch-types.js';
import { type HttpClue, anchorHttpKey, anchorKeys, httpDistance, httpKey } from './trace-clues.js';
import { ttlCache } from './ttl-cache.js';

// Audit anchors remembered per method+path for the http-request rule; older ones fall off.
const MAX_PER_HTTP_KEY = 32;

/**
 * The anchors synth reported recently (LRU bounded by count, TTL on the injected clock), so real
 * spans arriving after their pseudo-span opened still find it. Audit anchors with request facts
 * are also indexed by method + path; each can be claimed by one trace through the
 * `http-request` rule (a request has one trace).
 */
export class AnchorIndex {
  readonly #byKey: LRUCache<string, AnchorInput>;
  readonly #byHttp: LRUCache<string, AnchorInput[]>;
  readonly #claimed = new WeakSet<AnchorInput>();
  readonly #ends: LRUCache<string, { endMs: number }>;

  constructor(max: number, ttlMs: number, clock: Clock) {
    this.#byKey = ttlCache(max, ttlMs, clock);
    this.#byHttp = ttlCache(max, ttlMs, clock);
    this.#ends = ttlCache(max, ttlMs, clock);
  }

  /** Records when the pseudo-span under `key` ended (it was exported). */
  setEnd(key: string, endMs: number): void {
    this.#ends.set(key, { endMs });
  }

  /** When the pseudo-span under `key` ended, if it has. */
  endOf(key: string): number | undefined {
    return this.#ends.get(key)?.endMs;
  }

  add(anchor: AnchorInput): void {
    const [primary] = anchorKeys(anchor);
    if (primary !== undefined) this.#byKey.set(primary, anchor);
    const http = anchorHttpKey(anchor);
    if (http === undefined) return;
    const list = (this.#byHttp.get(http) ?? []).filter(
      (a) => a.kind !== 'audit' || anchor.kind !== 'audit' || a.auditId !== anchor.auditId,
    );
    list.push(anchor);
    this.#byHttp.set(http, list.slice(-MAX_PER_HTTP_KEY));
  }

  /** The anchor reported under `key` (`audit:<id>`, `pod-startup:<uid>`, `pod-termination:<uid>`). */
  get(key: string): AnchorInput | undefined {
    return this.#byKey.get(key);
  }

  /** The unclaimed audit anchor closest in time to `clue` within `toleranceMs`, if any. */
  closestHttp(clue: HttpClue, toleranceMs: number): AnchorInput | undefined {
    let best: AnchorInput | undefined;
    let bestDistance = Infinity;
    for (const anchor of this.#byHttp.get(httpKey(clue.method, clue.path)) ?? []) {
      if (this.#claimed.has(anchor)) continue;
      const distance = httpDistance(clue, anchor, toleranceMs);
      if (distance !== undefined && distance < bestDistance) {
        best = anchor;
        bestDistance = distance;
      }
    }
    return best;
  }

  claim(anchor: AnchorInput): void {
    this.#claimed.add(anchor);
  }

  isClaimed(anchor: AnchorInput): boolean {
    return this.#claimed.has(anchor);
  }
}
