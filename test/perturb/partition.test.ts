import { describe, expect, it } from 'vitest';
import { type Placement, compare, operationUid } from './partition.js';

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

// Snapshot-only input has no DELETED record, a cut none of an object gone before it: what sits
// under such an operation is judged only in what the input shows, and tallied apart.
describe('comparing placements under an operation the input cannot hold', () => {
  const DELETE = 'object.delete:d#0';
  const RS_DELETE = 'object.delete:rs#0';
  const GONE = 'pod.termination:g#0';
  const under = new Map<string, Placement>([
    [DELETE, { id: DELETE, parent: '', root: DELETE, startMs: 0, ancestors: [] }],
    [RS_DELETE, { id: RS_DELETE, parent: DELETE, root: DELETE, startMs: 10, ancestors: [DELETE] }],
    [GONE, { id: GONE, parent: RS_DELETE, root: DELETE, startMs: 20, ancestors: [RS_DELETE, DELETE] }],
    ['audit:kill', { id: 'audit:kill', parent: GONE, root: DELETE, startMs: 30, ancestors: [GONE, RS_DELETE, DELETE] }],
  ]);
  const noDeletions = (id: string): string | undefined => (id.startsWith('object.delete:') ? 'no deletion' : undefined);

  it('tallies apart a termination placed elsewhere for want of its deletion, and the deletions themselves', () => {
    const actual = new Map<string, Placement>([
      [GONE, at(GONE, SCALE_DOWN, ROLLOUT, 20)],
      ['audit:kill', at('audit:kill', GONE, ROLLOUT, 30)],
    ]);
    const c = compare(under, actual, () => true, 5, noDeletions);
    expect([c.tried, c.matched, [...c.unobservable]]).toEqual([
      0,
      0,
      [
        ['no deletion (the operation itself)', 2],
        ['no deletion', 2],
      ],
    ]);
  });

  it('still counts as a miss a termination missing, or a request not under its observable parent', () => {
    const missing = compare(under, new Map(), () => true, 5, noDeletions);
    expect([missing.tried, missing.matched, [...missing.misses]]).toEqual([
      2,
      0,
      [
        ['pod.termination missing', 1],
        ['audit missing', 1],
      ],
    ]);
    const astray = compare(
      under,
      new Map([['audit:kill', at('audit:kill', '', 'audit:kill', 30)]]),
      () => true,
      5,
      noDeletions,
    );
    expect([astray.tried, astray.matched, [...astray.misses]]).toEqual([
      2,
      0,
      [
        ['pod.termination missing', 1],
        ['audit misplaced', 1],
      ],
    ]);
  });

  it('reads the object uid of an operation identity only', () => {
    expect(operationUid('replicaset.scale:3d4c-a#1')).toBe('3d4c-a');
    expect(operationUid('audit:3d4c')).toBeUndefined();
    expect(operationUid('pod startup@deployment.rollout:d#0')).toBeUndefined();
  });
});
