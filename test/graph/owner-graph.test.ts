import { describe, expect, it } from 'vitest';
import { OwnerGraph } from '../../src/graph/owner-graph.js';
import type { JsonObject } from '../../src/model/kube-json.js';
import { CORPUS, readCorpusJson } from '../support/corpus.js';

const TTL_MS = 60_000;
const T0 = Date.parse('2024-05-01T10:00:00Z');

interface Owner {
  readonly kind: string;
  readonly name: string;
  readonly uid: string;
}

let rv = 100;
/** A minimal object as a watch delivers it; every call is a new resourceVersion. */
function kobj(kind: string, name: string, uid: string, owner?: Owner, namespace = 'shop'): JsonObject {
  rv++;
  return {
    apiVersion:
      kind === 'Pod' || kind === 'Node' ? 'v1' : kind === 'Job' || kind === 'CronJob' ? 'batch/v1' : 'apps/v1',
    kind,
    metadata: {
      name,
      namespace,
      uid,
      resourceVersion: String(rv),
      ...(owner !== undefined
        ? {
            ownerReferences: [
              { apiVersion: 'v1', kind: owner.kind, name: owner.name, uid: owner.uid, controller: true },
            ],
          }
        : {}),
    },
  };
}

function graph(): OwnerGraph {
  return new OwnerGraph({ tombstoneTtlMs: TTL_MS });
}

const names = (xs: readonly { readonly name: string }[]): string[] => xs.map((x) => x.name);

describe('OwnerGraph', () => {
  describe('apply', () => {
    it('returns no previous state on first sight and the earlier state afterwards', () => {
      const g = graph();
      const first = g.apply('ADDED', kobj('Pod', 'p', 'p-1'), T0);
      expect(first.prev).toBeUndefined();
      expect(first.next.uid).toBe('p-1');
      const second = g.apply('MODIFIED', { ...kobj('Pod', 'p', 'p-1'), status: { phase: 'Running' } }, T0 + 1);
      expect(second.prev?.phase).toBeUndefined();
      expect(second.next.phase).toBe('Running');
      expect(g.size).toBe(1);
    });

    it('keys an object without uid by its name', () => {
      const g = graph();
      const noUid = (phase: string): JsonObject => ({
        kind: 'Pod',
        metadata: { name: 'hand', namespace: 'shop' },
        status: { phase },
      });
      g.apply('ADDED', noUid('Pending'), T0);
      const change = g.apply('MODIFIED', noUid('Running'), T0 + 1);
      expect(change.prev?.phase).toBe('Pending');
      expect(change.replacedUid).toBeUndefined();
      expect(g.size).toBe(1);
      expect(g.findByName('Pod', 'shop', 'hand')?.phase).toBe('Running');
    });
  });

  describe('pending links', () => {
    it('hands a real ReplicaSet seen before its real Deployment back when the Deployment arrives', async () => {
      const dp = await readCorpusJson(`${CORPUS.k9s}dp.json`);
      const rs = await readCorpusJson(`${CORPUS.k9s}rs.json`);
      const g = graph();
      const early = g.apply('ADDED', rs, T0);
      expect(early.adopted).toEqual([]);
      expect(g.ownerChain(early.next)).toEqual([]);
      const owner = g.apply('ADDED', dp, T0 + 1);
      expect(names(owner.adopted)).toEqual(['icx-db-7d4b578979']);
      expect(names(g.ownerChain(early.next))).toEqual(['icx-db']);
    });

    it('adopts each waiting child once, in uid order', () => {
      const g = graph();
      const rs: Owner = { kind: 'ReplicaSet', name: 'web-1', uid: 'rs-1' };
      g.apply('ADDED', kobj('Pod', 'web-1-b', 'pod-b', rs), T0);
      g.apply('ADDED', kobj('Pod', 'web-1-a', 'pod-a', rs), T0);
      g.apply('MODIFIED', kobj('Pod', 'web-1-b', 'pod-b', rs), T0 + 1);
      const first = g.apply('ADDED', kobj('ReplicaSet', 'web-1', 'rs-1'), T0 + 2);
      expect(first.adopted.map((c) => c.uid)).toEqual(['pod-a', 'pod-b']);
      const again = g.apply('MODIFIED', kobj('ReplicaSet', 'web-1', 'rs-1'), T0 + 3);
      expect(again.adopted).toEqual([]);
    });

    it('adopts nothing when the owner was already known', () => {
      const g = graph();
      g.apply('ADDED', kobj('ReplicaSet', 'web-1', 'rs-1'), T0);
      g.apply('ADDED', kobj('Pod', 'web-1-a', 'pod-a', { kind: 'ReplicaSet', name: 'web-1', uid: 'rs-1' }), T0);
      expect(g.apply('MODIFIED', kobj('ReplicaSet', 'web-1', 'rs-1'), T0 + 1).adopted).toEqual([]);
    });

    it('lets a cluster-scoped Node adopt its mirror pod', () => {
      const g = graph();
      const node: Owner = { kind: 'Node', name: 'cp-1', uid: 'node-1' };
      const mirror = g.apply('ADDED', kobj('Pod', 'kube-apiserver-cp-1', 'mirror-1', node, 'kube-system'), T0);
      const change = g.apply('ADDED', kobj('Node', 'cp-1', 'node-1', undefined, ''), T0 + 1);
      expect(change.adopted.map((c) => c.uid)).toEqual(['mirror-1']);
      expect(g.ownerChain(mirror.next).map((o) => `${o.kind}/${o.namespace}/${o.name}`)).toEqual(['Node//cp-1']);
      expect(g.findByName('Node', '', 'cp-1')?.uid).toBe('node-1');
    });
  });

  describe('ownerChain', () => {
    it('walks CronJob → Job → Pod, nearest owner first', () => {
      const g = graph();
      g.apply('ADDED', kobj('CronJob', 'backup', 'cj-1'), T0);
      g.apply('ADDED', kobj('Job', 'backup-28571', 'job-1', { kind: 'CronJob', name: 'backup', uid: 'cj-1' }), T0);
      const pod = g.apply(
        'ADDED',
        kobj('Pod', 'backup-28571-x', 'pod-1', { kind: 'Job', name: 'backup-28571', uid: 'job-1' }),
        T0,
      );
      expect(g.ownerChain(pod.next).map((o) => o.kind)).toEqual(['Job', 'CronJob']);
    });

    it('walks a real Deployment → ReplicaSet → Pod chain', async () => {
      const dp = await readCorpusJson(`${CORPUS.k9s}dp.json`);
      const rs = await readCorpusJson(`${CORPUS.k9s}rs.json`);
      const p1 = await readCorpusJson(`${CORPUS.k9s}p1.json`);
      const rsMeta = rs['metadata'] as JsonObject;
      const pod = {
        ...p1,
        metadata: {
          ...(p1['metadata'] as JsonObject),
          namespace: 'icx',
          ownerReferences: [
            { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: rsMeta['name'], uid: rsMeta['uid'], controller: true },
          ],
        },
      };
      const g = graph();
      const change = g.apply('ADDED', pod, T0);
      g.apply('ADDED', rs, T0 + 1);
      g.apply('ADDED', dp, T0 + 2);
      expect(g.ownerChain(change.next).map((o) => `${o.kind}/${o.name}`)).toEqual([
        'ReplicaSet/icx-db-7d4b578979',
        'Deployment/icx-db',
      ]);
    });

    it('stops at an owner it has never seen', async () => {
      const g = graph();
      const pod = g.apply('ADDED', await readCorpusJson(`${CORPUS.k9s}p1.json`), T0);
      expect(g.ownerChain(pod.next)).toEqual([]);
    });

    it('ends on an ownership cycle', () => {
      const g = graph();
      g.apply('ADDED', kobj('ReplicaSet', 'a', 'a', { kind: 'ReplicaSet', name: 'b', uid: 'b' }), T0);
      const b = g.apply('ADDED', kobj('ReplicaSet', 'b', 'b', { kind: 'ReplicaSet', name: 'a', uid: 'a' }), T0);
      expect(names(g.ownerChain(b.next))).toEqual(['a']);
    });

    it('resolves a deleted owner from its tombstone', () => {
      const g = graph();
      g.apply('ADDED', kobj('ReplicaSet', 'web-1', 'rs-1'), T0);
      g.apply('DELETED', kobj('ReplicaSet', 'web-1', 'rs-1'), T0 + 1);
      const late = g.apply(
        'ADDED',
        kobj('Pod', 'web-1-a', 'pod-a', { kind: 'ReplicaSet', name: 'web-1', uid: 'rs-1' }),
        T0 + 2,
      );
      expect(names(g.ownerChain(late.next))).toEqual(['web-1']);
    });
  });

  describe('deletion and tombstones', () => {
    it('keeps a deleted object resolvable by uid and name until its TTL has passed', () => {
      const g = graph();
      g.apply('ADDED', kobj('Pod', 'p', 'p-1'), T0);
      const del = g.apply('DELETED', { ...kobj('Pod', 'p', 'p-1'), status: { phase: 'Succeeded' } }, T0 + 1000);
      expect(del.deleted).toBe(true);
      expect(g.size).toBe(0);
      expect(g.get('p-1')?.phase).toBe('Succeeded');
      expect(g.findByName('Pod', 'shop', 'p')?.uid).toBe('p-1');
      expect(g.sweep(T0 + 1000 + TTL_MS - 1)).toBe(0);
      expect(g.get('p-1')).toBeDefined();
      expect(g.sweep(T0 + 1000 + TTL_MS)).toBe(1);
      expect(g.get('p-1')).toBeUndefined();
      expect(g.findByName('Pod', 'shop', 'p')).toBeUndefined();
    });

    it('never sweeps live objects', () => {
      const g = graph();
      g.apply('ADDED', kobj('Pod', 'p', 'p-1'), T0);
      expect(g.sweep(T0 + 10 * TTL_MS)).toBe(0);
      expect(g.get('p-1')).toBeDefined();
    });
  });

  describe('name reuse', () => {
    it('reports the old uid when a deleted name is created again with a new uid', () => {
      const g = graph();
      g.apply('ADDED', kobj('Pod', 'web-0', 'uid-old'), T0);
      g.apply('DELETED', kobj('Pod', 'web-0', 'uid-old'), T0 + 1);
      const again = g.apply('ADDED', kobj('Pod', 'web-0', 'uid-new'), T0 + 2);
      expect(again.prev).toBeUndefined();
      expect(again.replacedUid).toBe('uid-old');
      expect(g.findByName('Pod', 'shop', 'web-0')?.uid).toBe('uid-new');
      expect(g.get('uid-old')?.uid).toBe('uid-old');
      expect(g.size).toBe(1);
    });

    it('buries the old uid when the new one arrives without a DELETED in between', () => {
      const g = graph();
      g.apply('ADDED', kobj('Pod', 'web-0', 'uid-old'), T0);
      const again = g.apply('ADDED', kobj('Pod', 'web-0', 'uid-new'), T0 + 1);
      expect(again.replacedUid).toBe('uid-old');
      expect(g.size).toBe(1);
      expect(g.sweep(T0 + 1 + TTL_MS)).toBe(1);
      expect(g.get('uid-old')).toBeUndefined();
      expect(g.get('uid-new')).toBeDefined();
    });

    it('keeps the recreated object live when a late DELETED of the old uid arrives', () => {
      const g = graph();
      g.apply('ADDED', kobj('Pod', 'web-0', 'uid-old'), T0);
      g.apply('ADDED', kobj('Pod', 'web-0', 'uid-new'), T0 + 1);
      g.apply('DELETED', kobj('Pod', 'web-0', 'uid-old'), T0 + 2);
      g.sweep(T0 + 2 + TTL_MS);
      expect(g.size).toBe(1);
      expect(g.get('uid-new')).toBeDefined();
      expect(g.findByName('Pod', 'shop', 'web-0')?.uid).toBe('uid-new');
    });

    it('keeps same-named objects of different kinds and namespaces apart', () => {
      const g = graph();
      g.apply('ADDED', kobj('Pod', 'web', 'pod-1'), T0);
      g.apply('ADDED', kobj('ReplicaSet', 'web', 'rs-1'), T0);
      const other = g.apply('ADDED', kobj('Pod', 'web', 'pod-2', undefined, 'other'), T0);
      expect(other.replacedUid).toBeUndefined();
      expect(g.size).toBe(3);
    });
  });
});

describe('OwnerGraph late DELETED of a uid it never saw', () => {
  it('leaves the live object that holds the name alone', () => {
    const g = new OwnerGraph({ tombstoneTtlMs: 60_000 });
    const pod = (uid: string, rv: string) => ({
      kind: 'Pod',
      apiVersion: 'v1',
      metadata: { name: 'web-0', namespace: 'db', uid, resourceVersion: rv },
    });
    g.apply('ADDED', pod('new-uid', '20'), 1000);
    g.apply('DELETED', pod('old-uid', '10'), 2000);
    expect(g.findByName('Pod', 'db', 'web-0')?.uid).toBe('new-uid');
    expect(g.size).toBe(1);
  });
});

describe('OwnerGraph versions delivered out of order', () => {
  it('treats an older resourceVersion after a newer one (a late audit batch) as nothing new', () => {
    const g = graph();
    const older = kobj('ReplicaSet', 'web-1', 'rs-stale');
    const newer = kobj('ReplicaSet', 'web-1', 'rs-stale');
    g.apply('MODIFIED', newer, T0);
    const late = g.apply('MODIFIED', older, T0 + 5_000);
    expect(late.duplicate).toBe(true);
    expect(g.get('rs-stale')?.resourceVersion).toBe(
      String((newer['metadata'] as { resourceVersion: string }).resourceVersion),
    );
  });
});
