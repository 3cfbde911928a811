import { describe, expect, it } from 'vitest';
import { ResourceInterner } from '../../src/synth/resource-interner.js';

const cluster = { 'k8s.cluster.name': 'c' };

describe('ResourceInterner', () => {
  it('gives spans of one actor one resource object, with the cluster added', () => {
    const interner = new ResourceInterner();
    const a = interner.merged({ 'service.name': 'kubelet', 'k8s.node.name': 'n1' }, cluster);
    const b = interner.merged({ 'service.name': 'kubelet', 'k8s.node.name': 'n1' }, cluster);
    expect(b).toBe(a);
    expect(a).toEqual({ 'service.name': 'kubelet', 'k8s.node.name': 'n1', 'k8s.cluster.name': 'c' });
    expect(interner.merged({ 'service.name': 'kubelet', 'k8s.node.name': 'n2' }, cluster)).not.toBe(a);
  });

  it('keeps actors apart that JSON would spell alike', () => {
    const interner = new ResourceInterner();
    const nan = interner.merged({ x: Number.NaN }, cluster);
    const inf = interner.merged({ x: Number.POSITIVE_INFINITY }, cluster);
    expect(nan['x']).toBeNaN();
    expect(inf['x']).toBe(Number.POSITIVE_INFINITY);
  });
});
