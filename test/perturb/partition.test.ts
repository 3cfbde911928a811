import { describe, expect, it } from 'vitest';
import { type Placement, compare, unknowableAfterCut } from './partition.js';

// The one difference a cut is allowed (unknowableAfterCut), and only that one.

const CUT = 1000;
const ROLLOUT = 'deployment.rollout:d#0';
const SCALE_DOWN = 'replicaset.scale:rs#0';
const TERM = 'pod.termination:p#0';

function at(id: string, parent: string, root: string, startMs: number): Placement {
  return { id, parent, root, startMs };
}

const expected = new Map<string, Placement>([
  [ROLLOUT, at(ROLLOUT, '', ROLLOUT, 0)],
  [SCALE_DOWN, at(SCALE_DOWN, ROLLOUT, ROLLOUT, 100)],
  [TERM, at(TERM, SCALE_DOWN, ROLLOUT, 500)],
  ['audit:delete', at('audit:delete', TERM, ROLLOUT, 1500)],
]);
const afterCut = (e: Placement): boolean => e.startMs >= CUT;

describe('what a cut makes unknowable', () => {
  it('excludes a termination’s later request when the termination stands alone and its owners are gone', () => {
    const actual = new Map<string, Placement>([
      [TERM, at(TERM, '', TERM, 1000)],
      ['audit:delete', at('audit:delete', TERM, TERM, 1500)],
    ]);
    const c = compare(expected, actual, afterCut, 5, unknowableAfterCut(CUT, expected, actual));
    expect([c.tried, c.matched, [...c.excluded.values()]]).toEqual([0, 0, [1]]);
  });

  it('counts it as a miss when an owner operation exists after the cut but did not hold it', () => {
    const actual = new Map<string, Placement>([
      [ROLLOUT, at(ROLLOUT, '', ROLLOUT, 1000)],
      [TERM, at(TERM, '', TERM, 1000)],
      ['audit:delete', at('audit:delete', TERM, TERM, 1500)],
    ]);
    const c = compare(expected, actual, afterCut, 5, unknowableAfterCut(CUT, expected, actual));
    expect([c.tried, c.matched, c.excluded.size]).toEqual([1, 0, 0]);
  });

  it('counts it as a miss when the request went elsewhere than its termination', () => {
    const actual = new Map<string, Placement>([['audit:delete', at('audit:delete', '', 'audit:delete', 1500)]]);
    const c = compare(expected, actual, afterCut, 5, unknowableAfterCut(CUT, expected, actual));
    expect([c.tried, c.matched, c.excluded.size]).toEqual([1, 0, 0]);
  });
});
