import { describe, expect, it } from 'vitest';
import { type WatchLineKey, scanWatchLineKey } from '../../../src/sources/recording/watch-line-key.js';

// What JSON.parse gives for the fields the scan reads, or undefined where the scan must decline.
function parsedKey(line: string): WatchLineKey | undefined {
  const v = JSON.parse(line) as Record<string, unknown>;
  const object = v['object'] as Record<string, unknown> | undefined;
  const metadata = object?.['metadata'] as Record<string, unknown> | undefined;
  const [type, ts, kind, rv] = [v['type'], v['ts'], object?.['kind'], metadata?.['resourceVersion']];
  if (typeof type !== 'string' || typeof ts !== 'string' || typeof kind !== 'string') return undefined;
  if (typeof object !== 'object' || Array.isArray(object)) return undefined;
  return { type, ts, kind, rv: typeof rv === 'string' ? rv : undefined };
}

const TS = '2024-05-01T10:00:00.123Z';
const pod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name: 'web-1',
    resourceVersion: '42',
    ownerReferences: [{ kind: 'ReplicaSet', name: 'web' }],
    annotations: { note: 'kind: "Job" \\ {[' },
  },
  spec: { containers: [{ name: 'c', env: [{ name: 'kind', value: 'x' }] }] },
};

describe('scanWatchLineKey', () => {
  it("reads a watch line's type, ts, kind and resourceVersion as JSON.parse does", () => {
    const lines = [
      JSON.stringify({ type: 'ADDED', ts: TS, object: pod }),
      // Keys in any order, nested kinds and resourceVersions before the object's own.
      JSON.stringify({
        object: { status: { kind: 'No', metadata: { resourceVersion: '9' } }, ...pod },
        ts: TS,
        type: 'DELETED',
      }),
      JSON.stringify({ type: 'MODIFIED', ts: TS, object: { kind: 'Node', metadata: { name: 'n' } } }),
      JSON.stringify({ type: 'MODIFIED', ts: TS, object: { kind: 'Node', metadata: { resourceVersion: 7 } } }),
      JSON.stringify({ type: 'ADDED', ts: TS, object: pod }, null, 2),
      // Duplicate keys: the last one counts.
      `{"type":"ADDED","ts":"${TS}","object":{"kind":"A","kind":"B","metadata":{"resourceVersion":"1","resourceVersion":"2"}}}`,
      `{"type":"ADDED","ts":"${TS}","object":{"kind":"A","metadata":{"resourceVersion":"1"},"metadata":{}}}`,
      `{"type":"ADDED","ts":"${TS}","object":{"kind":"A"},"object":{"kind":"B","metadata":{}}}`,
      `{"type":"ADDED","ts":"${TS}","object":{"kind":"A"},"type":"DELETED"}`,
    ];
    // As recorders write them, ts last: the scan stops once it has read the rest.
    lines.push(JSON.stringify({ type: 'ADDED', object: pod, ts: TS }));
    lines.push(JSON.stringify({ type: 'MODIFIED', object: { kind: 'Node', metadata: { name: 'n' } }, ts: TS }));
    for (const line of lines) expect(scanWatchLineKey(line), line).toEqual(parsedKey(line));
    expect(scanWatchLineKey(lines[0] ?? '')).toEqual({ type: 'ADDED', ts: TS, kind: 'Pod', rv: '42' });
  });

  it('with ts last, reads no further than the fields it needs: a key repeated after them is not seen', () => {
    const line = `{"type":"ADDED","object":{"kind":"Pod","metadata":{"resourceVersion":"1"},"kind":"Job"},"ts":"${TS}"}`;
    expect(scanWatchLineKey(line)).toEqual({ type: 'ADDED', ts: TS, kind: 'Pod', rv: '1' });
    expect(parsedKey(line)?.kind).toBe('Job');
  });

  it('declines what is not a plain watch line, so it is parsed whole', () => {
    const lines = [
      JSON.stringify(pod),
      JSON.stringify({ kind: 'PodList', items: [pod] }),
      JSON.stringify({ type: 'ADDED', object: pod }),
      JSON.stringify({ type: 'ADDED', ts: 5, object: pod }),
      JSON.stringify({ type: 'ADDED', ts: TS, object: [pod] }),
      JSON.stringify({ type: 'ADDED', ts: TS, object: { ...pod, kind: 3 } }),
      `{"type":"ADDED","ts":"${TS}","object":{"kind":"A"},"object":"gone"}`,
      // Escapes where the scan reads: it compares text as written, JSON.parse would unescape.
      `{"type":"ADDED","ts":"${TS}","object":{"ki\\u006ed":"Pod","metadata":{}}}`,
      `{"type":"ADDED","ts":"${TS}","object":{"kind":"P\\u006fd","metadata":{}}}`,
      '{"type":"ADDED","ts":"unclosed',
      `{"type":"ADDED","object":{"kind":"Pod","metadata":{}},"ts":"${TS}\\""}`,
      '',
    ];
    for (const line of lines) expect(scanWatchLineKey(line), line).toBeUndefined();
  });
});
