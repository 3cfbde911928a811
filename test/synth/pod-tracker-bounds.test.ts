import { describe, expect, it } from 'vitest';
import { OwnerGraph } from '../../src/graph/owner-graph.js';
import type { JsonObject } from '../../src/model/kube-json.js';
import { OUTCOME } from '../../src/model/attributes.js';
import { ActivityWindows } from '../../src/synth/activity-windows.js';
import type { SynthContext } from '../../src/synth/context.js';
import { objectAttributes } from '../../src/synth/object-attributes.js';
import { OperationIndex } from '../../src/synth/operation-index.js';
import { PodTracker } from '../../src/synth/pod-tracker.js';
import { SpanTree } from '../../src/synth/span-tree.js';

// A pod that stays Pending and is never deleted (no node fits, a quota, a controller gone) must not
// keep per-pod state after its startup has ended: PodTracker holds what its open operations hold.

const T0 = Date.parse('2026-12-07T10:00:00Z');
const HOUR = 3_600_000;
const iso = (ms: number): string => new Date(ms).toISOString();

function setup(maxOpen?: number): { ctx: SynthContext; pods: PodTracker; told: string[] } {
  const tree = new SpanTree('c');
  const graph = new OwnerGraph({ tombstoneTtlMs: 600_000 });
  const ctx: SynthContext = {
    cluster: 'c',
    tree,
    graph,
    ops: new OperationIndex(HOUR, tree, maxOpen),
    windows: new ActivityWindows(tree, 30 * 60_000),
    attrsOf: (slim) => objectAttributes(slim, graph.ownerChain(slim)),
    deletedOutcome: OUTCOME.deleted,
  };
  const told: string[] = [];
  return { ctx, pods: new PodTracker(ctx, (pod) => told.push(pod.name)), told };
}

function pending(name: string, resourceVersion: string): JsonObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'shop',
      uid: `uid-${name}`,
      resourceVersion,
      creationTimestamp: iso(T0),
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-1', uid: 'rs-1', controller: true }],
    },
    spec: { containers: [{ name: 'app', image: 'app:1' }] },
    status: { phase: 'Pending' },
  };
}

function see(s: ReturnType<typeof setup>, object: JsonObject, atMs: number, type: 'ADDED' | 'MODIFIED'): void {
  s.pods.advance(atMs);
  s.ctx.ops.expire(atMs);
  s.pods.onChange(s.ctx.graph.apply(type, object, atMs), atMs);
}

describe('PodTracker keeps per-pod state only while the pod has an open operation', () => {
  it('forgets a never-deleted Pending pod once its startup ended at the maximum age', () => {
    const s = setup();
    see(s, pending('web-1-a', '1'), T0 + 100, 'ADDED');
    expect(s.pods.heldPods).toBe(1);
    expect(s.told).toEqual(['web-1-a']);
    // Still Pending after the operation's maximum age: the startup ended unfinished.
    see(s, pending('web-1-a', '2'), T0 + HOUR + 1000, 'MODIFIED');
    expect(s.pods.heldPods).toBe(0);
    expect(s.told).toEqual(['web-1-a']);
  });

  it('holds no more pods than open operations are allowed', () => {
    const s = setup(10);
    for (let i = 0; i < 100; i++) see(s, pending(`web-1-${String(i)}`, String(i + 1)), T0 + 100 + i, 'ADDED');
    expect(s.pods.heldPods).toBeLessThanOrEqual(10);
  });
});
