import { describe, expect, it } from 'vitest';
import { ReplicaSetCounts } from '../../src/synth/replicaset-counts.js';

describe('ReplicaSetCounts', () => {
  it('tells a rollout under way (two ReplicaSets running) from a scale of the only one', () => {
    const counts = new ReplicaSetCounts();
    counts.note('dep', 'old', 4);
    expect(counts.othersRunning('dep', 'old')).toBe(false);
    counts.note('dep', 'new', 2);
    expect(counts.othersRunning('dep', 'old')).toBe(true);
    expect(counts.othersRunning('dep', 'new')).toBe(true);
    counts.note('dep', 'old', 0);
    expect(counts.othersRunning('dep', 'new')).toBe(false);
    expect(counts.othersRunning('other', 'new')).toBe(false);
  });

  it('gives, when a ReplicaSet is brought up from 0, when the one before it was', () => {
    const counts = new ReplicaSetCounts();
    expect(counts.broughtUp('dep', 'rs-2', 1_000)).toBeUndefined();
    expect(counts.broughtUp('dep', 'rs-2', 2_000)).toBeUndefined();
    expect(counts.broughtUp('dep', 'rs-3', 60_000)).toBe(2_000);
    expect(counts.broughtUp('other', 'rs-9', 60_000)).toBeUndefined();
  });
});
