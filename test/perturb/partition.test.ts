import { describe, expect, it } from 'vitest';
import { type Placement, compare } from './partition.js';

// What a cut leaves observable is compared like anything else: no difference is excused. The case
// 7798515 once excluded — a rollout's last old pod terminating across the cut, the lists showing
// the rollout over — is inferable (synth/rollout-tail), so the termination's later requests count.

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

describe('comparing what a cut left observable', () => {
  it('matches a termination’s later request when the termination nests in its rollout’s tail again', () => {
    const actual = new Map<string, Placement>([
      [ROLLOUT, at(ROLLOUT, '', ROLLOUT, 500)],
      [SCALE_DOWN, at(SCALE_DOWN, ROLLOUT, ROLLOUT, 500)],
      [TERM, at(TERM, SCALE_DOWN, ROLLOUT, 500)],
      ['audit:delete', at('audit:delete', TERM, ROLLOUT, 1500)],
    ]);
    const c = compare(expected, actual, afterCut, 5);
    expect([c.tried, c.matched, c.examples]).toEqual([1, 1, []]);
  });

  it('counts it as a miss when the termination stands alone, its owners’ operations gone', () => {
    const actual = new Map<string, Placement>([
      [TERM, at(TERM, '', TERM, 1000)],
      ['audit:delete', at('audit:delete', TERM, TERM, 1500)],
    ]);
    const c = compare(expected, actual, afterCut, 5);
    expect([c.tried, c.matched, [...c.misses]]).toEqual([1, 0, [['audit misplaced', 1]]]);
  });

  it('counts it as a miss when an owner operation exists after the cut but did not hold it', () => {
    const actual = new Map<string, Placement>([
      [ROLLOUT, at(ROLLOUT, '', ROLLOUT, 1000)],
      [TERM, at(TERM, '', TERM, 1000)],
      ['audit:delete', at('audit:delete', TERM, TERM, 1500)],
    ]);
    const c = compare(expected, actual, afterCut, 5);
    expect([c.tried, c.matched]).toEqual([1, 0]);
  });

  it('counts it as a miss when the request went elsewhere than its termination, or is missing', () => {
    const elsewhere = new Map<string, Placement>([['audit:delete', at('audit:delete', '', 'audit:delete', 1500)]]);
    const c = compare(expected, elsewhere, afterCut, 5);
    expect([c.tried, c.matched]).toEqual([1, 0]);
    const missing = compare(expected, new Map(), afterCut, 5);
    expect([missing.tried, missing.matched, [...missing.misses]]).toEqual([1, 0, [['audit missing', 1]]]);
  });
});
