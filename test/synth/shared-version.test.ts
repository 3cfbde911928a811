import { describe, expect, it } from 'vitest';
import type { JsonObject } from '../../src/model/kube-json.js';
import { keepEqualParts, shareWith } from '../../src/synth/shared-version.js';
import { ObjectVersions } from '../../src/synth/object-versions.js';

function pod(name: string, node: string, image = 'nginx:1.25'): JsonObject {
  return JSON.parse(
    JSON.stringify({
      kind: 'Pod',
      apiVersion: 'v1',
      metadata: { name, uid: `uid-${name}`, ownerReferences: [{ kind: 'ReplicaSet', uid: 'rs-1', controller: true }] },
      spec: { nodeName: node, containers: [{ name: 'web', image, resources: { requests: { cpu: '100m' } } }] },
      status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
    }),
  ) as JsonObject;
}

const keysDeep = (v: unknown): unknown =>
  typeof v !== 'object' || v === null
    ? v
    : Array.isArray(v)
      ? v.map(keysDeep)
      : Object.entries(v).map(([k, x]) => [k, keysDeep(x)]);

describe('shared versions (#16: the diff cache keeps one copy of what pods of one owner share)', () => {
  it('reads as the version it stores, key order included, and reuses the equal parts of the exemplar', () => {
    const a = pod('a', 'node-1');
    const b = pod('b', 'node-2');
    const before = JSON.stringify(b);
    const shared = shareWith(b, a) as JsonObject;
    expect(JSON.stringify(shared)).toBe(before);
    expect(JSON.stringify(b)).toBe(before); // not modified
    const spec = (o: JsonObject) => o['spec'] as { containers: unknown[] };
    expect(spec(shared).containers).toBe(spec(a).containers);
    expect(shared['status']).toBe(a['status']);
    expect(shared['metadata']).not.toBe(a['metadata']);
  });

  it('shares nothing whose keys are in another order, so the stored version keeps its own order', () => {
    const a = { spec: { x: 1, y: 2 }, z: ['q'] };
    const b = JSON.parse('{"spec":{"y":2,"x":1},"z":["q"]}') as JsonObject;
    const shared = shareWith(b, a) as JsonObject;
    expect(keysDeep(shared)).toEqual(keysDeep(b));
    expect(shared['spec']).not.toBe(a.spec);
    expect(shared['z']).toBe(a.z);
    expect(keysDeep(keepEqualParts(b, a))).toEqual(keysDeep(b));
  });

  it('keeps a JSON key __proto__ as a key', () => {
    const a = JSON.parse('{"m":{"k":"v"},"n":1}') as JsonObject;
    const b = JSON.parse('{"__proto__":{"p":1},"m":{"k":"v"},"n":2}') as JsonObject;
    const shared = shareWith(b, a) as JsonObject;
    expect(Object.keys(shared)).toEqual(['__proto__', 'm', 'n']);
    expect(JSON.stringify(shared)).toBe(JSON.stringify(b));
  });

  it('gives the same diffs as unshared versions when pods of one owner change', () => {
    const versions = new ObjectVersions(10);
    versions.update('uid-a', pod('a', 'node-1'), 1, false);
    versions.update('uid-b', pod('b', 'node-2'), 1, false);
    const diff = versions.update('uid-b', pod('b', 'node-2', 'nginx:1.26'), 2, false);
    expect(diff?.attributes['kubestitch.diff.changes']).toEqual([
      'spec.containers[name=web].image: nginx:1.25 → nginx:1.26',
    ]);
    expect(versions.latest('uid-b')).toEqual(pod('b', 'node-2', 'nginx:1.26'));
    expect(versions.latest('uid-a')).toEqual(pod('a', 'node-1'));
  });

  it('lets the idle sweep forget exemplars too, so none keeps a version alive past the idle bound', () => {
    const versions = new ObjectVersions(10, 1000);
    const a = pod('a', 'node-1');
    versions.update('uid-a', a, 0, false);
    const spec = (o: JsonObject | undefined) => o?.['spec'];
    versions.update('uid-b', pod('b', 'node-1'), 10, false);
    expect(spec(versions.latest('uid-b'))).toBe(spec(a));
    versions.sweep(2000);
    versions.update('uid-c', pod('c', 'node-1'), 2001, false);
    expect(spec(versions.latest('uid-c'))).not.toBe(spec(a));
    expect(versions.latest('uid-c')).toEqual(pod('c', 'node-1'));
  });
});
