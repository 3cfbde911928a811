import { describe, expect, it } from 'vitest';
import type { JsonObject } from '../../src/model/kube-json.js';
import { ObjectVersions } from '../../src/synth/object-versions.js';

const HOUR = 60 * 60_000;
const T0 = Date.parse('2026-03-01T10:00:00Z');

function configMap(uid: string, rv: number, value: string): JsonObject {
  return { kind: 'ConfigMap', metadata: { name: uid, uid, resourceVersion: String(rv) }, data: { key: value } };
}

describe('ObjectVersions (#16: settled objects keep no full version)', () => {
  it('forgets a version idle for maxIdleMs at the next sweep, and keeps the ones updated since', () => {
    const versions = new ObjectVersions(100, HOUR);
    versions.update('quiet', configMap('quiet', 1, 'a'), T0, false);
    versions.update('busy', configMap('busy', 1, 'a'), T0, false);
    const diff = versions.update('busy', configMap('busy', 2, 'b'), T0 + 30 * 60_000, false);
    expect(diff?.attributes['kubestitch.diff.changes']).toEqual(['data.key: a → b']);
    versions.sweep(T0 + HOUR);
    expect(versions.latest('quiet')).toBeUndefined();
    expect(versions.latest('busy')).toEqual(configMap('busy', 2, 'b'));
    // The next change of the forgotten object has nothing to diff against, as after an LRU eviction.
    expect(versions.update('quiet', configMap('quiet', 2, 'b'), T0 + HOUR + 1, false)).toBeUndefined();
    expect(versions.update('quiet', configMap('quiet', 3, 'c'), T0 + HOUR + 2, false)).toBeDefined();
  });

  it('keeps every version without maxIdleMs (replay), bounded only by count', () => {
    const versions = new ObjectVersions(2);
    for (const uid of ['a', 'b', 'c']) versions.update(uid, configMap(uid, 1, 'x'), T0, false);
    versions.sweep(T0 + 100 * HOUR);
    expect(['a', 'b', 'c'].map((uid) => versions.latest(uid) !== undefined)).toEqual([false, true, true]);
  });
});
