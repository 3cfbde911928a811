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

describe('DedupeIndex: ids held compact, UUIDs as 16 bytes (#16)', () => {
  const uid = '96631d0d-e114-48cf-b7d8-c8a785a39378';
  const ids = [
    `o:${uid}:1947746`,
    `o:${uid}:1947746:d`,
    `o:${uid}:missed`,
    `${uid}/ResponseComplete`,
    `${uid}/RequestReceived`,
    `o:${uid.toUpperCase()}:1`,
    `o:load-0/app-0:5`,
    't:1700000000000',
    '\u0001raw',
    '\u0003raw',
    `\u0001${uid}`,
    '',
  ];

  it('keys different ids apart and the same id alike, watch, audit and other ids', () => {
    const index = new DedupeIndex(100, HOUR);
    index.apply(
      [],
      ids.map((id, i) => ({ id, seq: i + 1 })),
      0,
    );
    expect(index.size).toBe(ids.length);
    for (const id of ids) expect(index.has(id, 1)).toBe(true);
    for (const id of [`o:${uid}:1947747`, `o:${uid.replace('6', '7')}:1947746`, `${uid}/ResponseStarted`, '\u0002raw'])
      expect(index.has(id, 1)).toBe(false);
  });

  it('replaces a re-added id and forgets it by the sequence it was re-added with', () => {
    const index = new DedupeIndex(2, HOUR);
    const id = `o:${uid}:7`;
    index.apply([], [{ id, seq: 1 }], 0);
    const removals = index.planRemovals([id], 1);
    expect(removals.map((r) => r.seq)).toEqual([1]);
    index.apply(removals, [{ id, seq: 2 }], 1);
    expect(index.size).toBe(1);
    expect(index.has(id, HOUR)).toBe(true); // its new time, not the first one
  });
});
