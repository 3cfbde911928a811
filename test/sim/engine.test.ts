import { describe, expect, it } from 'vitest';
import { nextScheduleUs } from '../../tools/sim/controllers/cronjob-controller.js';
import { EventLoop } from '../../tools/sim/engine/event-loop.js';
import { computeHash, jsonEqual } from '../../tools/sim/engine/hash.js';
import { Rng } from '../../tools/sim/engine/rng.js';
import { sortDeep, twoWayPatch } from '../../tools/sim/engine/strategic-patch.js';
import { goDurationMs, rfc3339Micros, rfc3339Millis, rfc3339Seconds } from '../../tools/sim/engine/time-format.js';

describe('EventLoop', () => {
  describe('runUntil', () => {
    it('runs tasks in time order, ties in scheduling order, and never moves time backwards', () => {
      const loop = new EventLoop(1_000);
      const seen: string[] = [];
      loop.at(3_000, () => seen.push('c'));
      loop.at(2_000, () => seen.push('a'));
      loop.at(2_000, () => {
        seen.push('b');
        loop.at(500, () => seen.push(`late@${loop.nowUs}`));
      });
      loop.runUntil(2_500);
      expect(seen).toEqual(['a', 'b', 'late@2000']);
      expect(loop.nowUs).toBe(2_500);
      loop.runUntil(10_000);
      expect(seen.at(-1)).toBe('c');
    });
  });
});

describe('Rng', () => {
  describe('uuid', () => {
    it('is deterministic per seed and stream, and UUID-shaped', () => {
      const a = new Rng(1, 'x').uuid();
      expect(new Rng(1, 'x').uuid()).toBe(a);
      expect(new Rng(2, 'x').uuid()).not.toBe(a);
      expect(new Rng(1, 'y').uuid()).not.toBe(a);
      expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    });
  });

  describe('nameSuffix', () => {
    it('uses the generateName alphabet', () => {
      expect(new Rng(3).nameSuffix()).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    });
  });
});

describe('computeHash', () => {
  it('gives a pod-template-hash shaped value that changes with the template', () => {
    const a = computeHash({ image: 'nginx:1.25' });
    expect(a).toMatch(/^[456789bcdf]{6,10}$/);
    expect(computeHash({ image: 'nginx:1.25' })).toBe(a);
    expect(computeHash({ image: 'nginx:1.26' })).not.toBe(a);
  });
});

describe('jsonEqual', () => {
  it('ignores key order and undefined fields but not values', () => {
    expect(jsonEqual({ a: 1, b: [1, { c: 2 }] }, { b: [1, { c: 2 }], a: 1, d: undefined })).toBe(true);
    expect(jsonEqual({ a: [1, 2] }, { a: [2, 1] })).toBe(false);
    expect(jsonEqual({ a: 1 }, { a: 1, b: null })).toBe(false);
  });
});

describe('twoWayPatch', () => {
  it('sends changed list items by merge key with a $setElementOrder directive, and nulls removed fields', () => {
    const before = {
      phase: 'Pending',
      conditions: [
        { type: 'Ready', status: 'False', reason: 'ContainersNotReady' },
        { type: 'PodScheduled', status: 'True' },
      ],
    };
    const after = {
      phase: 'Running',
      conditions: [
        { type: 'Ready', status: 'True' },
        { type: 'PodScheduled', status: 'True' },
      ],
      podIP: '10.244.1.5',
    };
    expect(sortDeep(twoWayPatch(before, after, { conditions: 'type' }))).toEqual({
      '$setElementOrder/conditions': [{ type: 'Ready' }, { type: 'PodScheduled' }],
      conditions: [{ reason: null, status: 'True', type: 'Ready' }],
      phase: 'Running',
      podIP: '10.244.1.5',
    });
  });
});

describe('time formats', () => {
  const us = Date.UTC(2026, 2, 1, 10, 0, 5) * 1000 + 123_456;
  it('renders seconds, milliseconds and microseconds like Kubernetes', () => {
    expect(rfc3339Seconds(us)).toBe('2026-03-01T10:00:05Z');
    expect(rfc3339Millis(us)).toBe('2026-03-01T10:00:05.123Z');
    expect(rfc3339Micros(us)).toBe('2026-03-01T10:00:05.123456Z');
  });

  it('prints durations the way Go does', () => {
    expect(goDurationMs(3_212_400)).toBe('3.212s');
    expect(goDurationMs(812_000)).toBe('812ms');
    expect(goDurationMs(160_000_000)).toBe('2m40s');
    expect(goDurationMs(300_000_000)).toBe('5m0s');
  });
});

describe('nextScheduleUs', () => {
  it('finds the next step-minute slot strictly after the given time', () => {
    const at = (h: number, m: number, s = 0): number => Date.UTC(2026, 2, 1, h, m, s) * 1000;
    expect(nextScheduleUs('*/5 * * * *', at(9, 58, 12))).toBe(at(10, 0));
    expect(nextScheduleUs('*/5 * * * *', at(10, 0))).toBe(at(10, 5));
    expect(nextScheduleUs('7 * * * *', at(10, 8))).toBe(at(11, 7));
    expect(() => nextScheduleUs('0 3 * * 1', at(10, 0))).toThrow();
  });
});
