import { describe, expect, it } from 'vitest';
import { OwnerGraph } from '../../src/graph/owner-graph.js';
import { SlimParts } from '../../src/graph/slim-parts.js';
import type { JsonObject } from '../../src/model/kube-json.js';

const RS = { kind: 'ReplicaSet', name: 'web-5d4f8', uid: 'rs-1' };

function pod(name: string, uid: string, image = 'nginx:1.25'): JsonObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'shop',
      uid,
      resourceVersion: uid,
      ownerReferences: [{ apiVersion: 'apps/v1', ...RS, controller: true }],
    },
    spec: { containers: [{ name: 'nginx', image }] },
  };
}

describe('SlimParts', () => {
  describe('through OwnerGraph.apply', () => {
    it('gives pods of one ReplicaSet one controller link and one container list, unchanged in value', () => {
      const graph = new OwnerGraph({ tombstoneTtlMs: 60_000 });
      const a = graph.apply('ADDED', pod('web-5d4f8-a', 'p-a'), 0).next;
      const b = graph.apply('ADDED', pod('web-5d4f8-b', 'p-b'), 0).next;
      expect(a.controller).toEqual(RS);
      expect(b.controller).toBe(a.controller);
      expect(a.containers).toEqual([{ name: 'nginx', image: 'nginx:1.25', init: false }]);
      expect(b.containers).toBe(a.containers);
      expect(Object.isFrozen(a.containers) && Object.isFrozen(a.containers[0])).toBe(true);
    });

    it('keeps different container lists apart', () => {
      const graph = new OwnerGraph({ tombstoneTtlMs: 60_000 });
      const a = graph.apply('ADDED', pod('web-5d4f8-a', 'p-a'), 0).next;
      const b = graph.apply('ADDED', pod('web-5d4f8-b', 'p-b', 'nginx:1.26'), 0).next;
      expect(b.containers).not.toBe(a.containers);
      expect(b.containers[0]?.image).toBe('nginx:1.26');
    });
  });

  describe('link', () => {
    it('starts over once full, still returning equal links', () => {
      const parts = new SlimParts(1);
      const first = parts.link({ kind: 'ReplicaSet', name: 'a', uid: '1' });
      parts.link({ kind: 'ReplicaSet', name: 'b', uid: '2' });
      const again = parts.link({ kind: 'ReplicaSet', name: 'a', uid: '1' });
      expect(again).toEqual(first);
      expect(again).not.toBe(first);
    });
  });
});
