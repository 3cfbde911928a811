/**
 * Merges the live service's still-open spans into a stored trace, so an operation in progress can
 * be looked at before it ends (issue "What is happening now").
 */
import type { SpanData } from '../model/span.js';

/**
 * The stored spans plus the open spans whose id is not stored yet. A stored span wins: once a
 * span has ended and been written, its final form replaces the open one drawn to "now".
 */
export function withOpenSpans(stored: readonly SpanData[], open: readonly SpanData[]): SpanData[] {
  if (open.length === 0) return [...stored];
  const storedIds = new Set(stored.map((s) => s.spanId));
  return [...stored, ...open.filter((s) => !storedIds.has(s.spanId))];
}
