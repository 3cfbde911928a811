import type { LRUCache } from 'lru-cache';
import type { Clock } from '../model/clock.js';
import type { SpanEntry } from './span-entries.js';
import { ttlCache } from './ttl-cache.js';

const SEEN = { seen: true } as const;

/**
 * OTLP delivery is at-least-once: an exporter whose request timed out, or whose answer was lost,
 * sends the same spans again (and a collector in between may too). The stitch stage exports a real
 * span once, so it remembers the (original trace id, span id) of every span it took — bounded by
 * count, forgotten after `ttlMs` on the injected clock, longer than exporters keep retrying (the
 * OTel Go exporter gives up after 1 min, the Collector's retry_on_failure after 5 min).
 */
export class SpanDedupe {
  readonly #seen: LRUCache<string, typeof SEEN>;

  constructor(max: number, ttlMs: number, clock: Clock) {
    this.#seen = ttlCache(max, ttlMs, clock);
  }

  /** The entries not taken before (nor earlier in `entries`), remembering them. */
  fresh(entries: readonly SpanEntry[]): SpanEntry[] {
    const out: SpanEntry[] = [];
    for (const entry of entries) {
      const { traceId, spanId } = entry.span;
      // Without both ids there is nothing to tell copies apart by: such spans always pass.
      if (traceId === undefined || spanId === undefined || traceId.length === 0 || spanId.length === 0) {
        out.push(entry);
        continue;
      }
      const key = `${traceId.toString('hex')}/${spanId.toString('hex')}`;
      if (this.#seen.has(key)) continue;
      this.#seen.set(key, SEEN);
      out.push(entry);
    }
    return out;
  }
}
