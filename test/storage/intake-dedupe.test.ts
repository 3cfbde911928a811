import { describe, expect, it } from 'vitest';
import { DedupeIndex } from '../../storage/intake-dedupe.js';

const HOUR = 60 * 60_000;

describe('DedupeIndex: append times kept per batch, not per id (#16)', () => {
  it('expires each batch at its own time and forgets the oldest past maxEntries', () => {
    const index = new DedupeIndex(4, HOUR);
    index.apply(
      [],
      [
        { id: 'a', seq: 1 },
        { id: 'b', seq: 2 },
      ],
      0,
    );
    index.apply([], [{ id: 'c', seq: 3 }], 30 * 60_000);
    expect(index.has('a', HOUR - 1)).toBe(true);
    expect(index.has('a', HOUR)).toBe(false);
    expect(index.has('c', HOUR)).toBe(true);
    // Planned at 1 h: a and b have expired, c has not.
    const plan = index.planRemovals(['d'], HOUR);
    expect(plan.map((r) => r.id)).toEqual(['a', 'b']);
    index.apply(plan, [{ id: 'd', seq: 4 }], HOUR);
    expect(index.size).toBe(2);
    expect(index.has('c', HOUR + 29 * 60_000)).toBe(true);
    expect(index.has('d', 2 * HOUR - 1)).toBe(true);
    // Past maxEntries the oldest go first, however young.
    const full = index.planRemovals(['e', 'f', 'g'], HOUR);
    expect(full.map((r) => r.id)).toEqual(['c']);
  });

  it('reloads ids with the times they were written with', () => {
    const index = new DedupeIndex(10, HOUR);
    index.load('old', 1, 0);
    index.load('mid', 2, 10 * 60_000);
    index.load('new', 3, 50 * 60_000);
    expect(['old', 'mid', 'new'].map((id) => index.has(id, HOUR + 5 * 60_000))).toEqual([false, true, true]);
    // A re-added id takes its new sequence and time.
    index.apply([{ id: 'old', seq: 1 }], [{ id: 'old', seq: 4 }], HOUR + 5 * 60_000);
    expect(index.has('old', 2 * HOUR)).toBe(true);
    expect(index.has('mid', 2 * HOUR)).toBe(false);
  });
});
