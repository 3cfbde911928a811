import { describe, expect, it } from 'vitest';
import { diffObjects } from '../../src/synth/object-diff.js';
import { ObjectVersions } from '../../src/synth/object-versions.js';

const pod = (image: string, rv: string, heartbeat: string) => ({
  kind: 'Pod',
  metadata: { name: 'p', resourceVersion: rv, managedFields: [{ manager: 'kubelet', time: heartbeat }] },
  spec: {
    containers: [
      { name: 'sidecar', image: 'envoy:1' },
      { name: 'app', image, ports: [{ containerPort: 80, protocol: 'TCP' }] },
    ],
  },
  status: { conditions: [{ type: 'Ready', status: 'True', lastProbeTime: heartbeat }] },
});

describe('diffObjects', () => {
  it('keys container lists by name, so a reorder is not a change and an image bump names its container', () => {
    const before = pod('nginx:1.25', '1', 't1');
    const after = { ...pod('nginx:1.26', '2', 't2') };
    after.spec.containers.reverse();
    const { changes, total } = diffObjects(before, after);
    expect(total).toBe(1);
    expect(changes).toEqual([{ path: 'spec.containers[name=app].image', old: 'nginx:1.25', new: 'nginx:1.26' }]);
  });

  it('leaves out managedFields, resourceVersion and probe/heartbeat times', () => {
    expect(diffObjects(pod('x', '1', 't1'), pod('x', '9', 't9')).total).toBe(0);
  });

  it('reports added and removed list entries with ∅', () => {
    const a = { status: { conditions: [{ type: 'Ready', status: 'True' }] } };
    const b = {
      status: {
        conditions: [
          { type: 'Ready', status: 'False' },
          { type: 'DiskPressure', status: 'True' },
        ],
      },
    };
    expect(diffObjects(a, b).changes.map((c) => `${c.path}: ${c.old} → ${c.new}`)).toEqual([
      'status.conditions[type=DiskPressure]: ∅ → {"status":"True","type":"DiskPressure"}',
      'status.conditions[type=Ready].status: True → False',
    ]);
  });

  it('compares unkeyed lists as whole JSON values: item order counts, object key order does not', () => {
    const sources = (first: object) => ({ spec: { sources: [first, { configMap: { name: 'ca' } }], args: ['-v'] } });
    const same = diffObjects(sources({ token: { path: 't', ttl: 1 } }), sources({ token: { path: 't', ttl: 1 } }));
    expect(same.total).toBe(0);
    // A watch, an audit body and a recording serialize one object with different key orders.
    const rekeyed = diffObjects(sources({ token: { path: 't', ttl: 1 } }), sources({ token: { ttl: 1, path: 't' } }));
    expect(rekeyed.total).toBe(0);
    const changed = diffObjects(sources({ token: { path: 't', ttl: 1 } }), sources({ token: { ttl: 2, path: 't' } }));
    expect(changed.changes).toEqual([
      {
        path: 'spec.sources',
        old: '[{"token":{"path":"t","ttl":1}},{"configMap":{"name":"ca"}}]',
        new: '[{"token":{"path":"t","ttl":2}},{"configMap":{"name":"ca"}}]',
      },
    ]);
    const swapped = diffObjects(sources({ a: 1 }), {
      spec: { sources: [{ configMap: { name: 'ca' } }, { a: 1 }], args: ['-v'] },
    });
    expect(swapped.changes.map((c) => c.path)).toEqual(['spec.sources']);
    const shorter = diffObjects({ spec: { args: ['-v', '-q'] } }, { spec: { args: ['-v'] } });
    expect(shorter.changes).toEqual([{ path: 'spec.args', old: '["-v","-q"]', new: '["-v"]' }]);
  });

  it('reports fields that appear or disappear, and leaves out noise only at its own path', () => {
    const a = { metadata: { labels: { app: 'web' } }, status: { phase: 'Pending' } };
    const b = {
      metadata: { labels: {}, resourceVersion: '9' },
      status: { phase: 'Running', podIP: '10.0.0.1', observedGeneration: 2 },
      spec: { template: { metadata: { resourceVersion: 'kept' } } },
    };
    expect(diffObjects(a, b).changes.map((c) => `${c.path}: ${c.old} → ${c.new}`)).toEqual([
      'metadata.labels.app: web → ∅',
      'spec: ∅ → {"template":{"metadata":{"resourceVersion":"kept"}}}',
      'status.phase: Pending → Running',
      'status.podIP: ∅ → 10.0.0.1',
    ]);
  });

  it('caps the list of changes and still counts them all', () => {
    const a: Record<string, number> = {};
    const b: Record<string, number> = {};
    for (let i = 0; i < 80; i++) {
      a[`k${i}`] = i;
      b[`k${i}`] = i + 1;
    }
    const { changes, total } = diffObjects({ data: a }, { data: b }, 50);
    expect(changes).toHaveLength(50);
    expect(total).toBe(80);
  });
});

describe('ObjectVersions', () => {
  describe('update', () => {
    it('gives no diff for the first version and a diff event carrying the new resourceVersion after', () => {
      const v = new ObjectVersions(10);
      expect(v.update('u', pod('a', '1', 't'), 1000, false)).toBeUndefined();
      const ev = v.update('u', pod('b', '2', 't'), 2000, false);
      expect(ev?.name).toBe('diff');
      expect(ev?.timeMs).toBe(2000);
      expect(ev?.attributes['kubestitch.diff.resource_version']).toBe('2');
      expect(ev?.attributes['kubestitch.diff.changes']).toEqual(['spec.containers[name=app].image: a → b']);
    });

    it('forgets the least recently changed object beyond its bound', () => {
      const v = new ObjectVersions(1);
      v.update('u1', pod('a', '1', 't'), 1, false);
      v.update('u2', pod('a', '1', 't'), 2, false);
      expect(v.update('u1', pod('b', '2', 't'), 3, false)).toBeUndefined();
    });
  });
});
