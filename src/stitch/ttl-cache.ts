import { LRUCache } from 'lru-cache';
import type { Clock } from '../model/clock.js';

/**
 * An LRU cache bounded by entry count whose TTL runs on the injected clock (so a replay expires
 * entries by record time, and tests by a manual clock). `onRemove` sees every entry that leaves
 * other than by `get` (evicted, expired, deleted or overwritten).
 */
export function ttlCache<K extends string, V extends object>(
  max: number,
  ttlMs: number,
  clock: Clock,
  onRemove?: (value: V, key: K) => void,
): LRUCache<K, V> {
  return new LRUCache<K, V>({
    max: Math.max(1, max),
    ttl: Math.max(1, ttlMs),
    // Read the clock on every check: the cached-now optimisation would mix in wall-clock timers.
    ttlResolution: 0,
    perf: { now: () => clock.nowMs() },
    ...(onRemove === undefined ? {} : { dispose: (value: V, key: K) => onRemove(value, key) }),
  });
}
