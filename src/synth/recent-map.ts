/**
 * Sets `key` to `value` as the most recent entry of `map` (insertion order is recency), dropping
 * the least recent when the map holds more than `max`: what synth remembers for late evidence is
 * bounded by count, since a live run goes on for days.
 */
export function rememberRecent<K, V>(map: Map<K, V>, key: K, value: V, max: number): void {
  map.delete(key);
  map.set(key, value);
  if (map.size <= max) return;
  const oldest = map.keys().next();
  if (oldest.done !== true) map.delete(oldest.value);
}
