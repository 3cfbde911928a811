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
});
