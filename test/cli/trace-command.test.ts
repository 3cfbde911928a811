import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { parseObjectArg } from '../../src/cli/object-arg.js';
import { formatDuration } from '../../src/cli/waterfall-text.js';
import { startUiServer } from '../../src/ui/ui-server.js';
import { openTraceStore } from '../../storage/index.js';

const EXAMPLE = new URL('../../examples/rolling-update/', import.meta.url).pathname;

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (t) => (out += t), err: (t) => (err += t) });
  return { code, out, err };
}

let columns: string | undefined;
beforeEach(() => {
  columns = process.env['COLUMNS'];
  process.env['COLUMNS'] = '120';
});
afterEach(() => {
  if (columns === undefined) delete process.env['COLUMNS'];
  else process.env['COLUMNS'] = columns;
});

describe('kubestitch trace', () => {
  it('takes the object as kubectl does', () => {
    for (const argv of [['deploy/web'], ['deployment/web'], ['deployments', 'web'], ['deployment.apps/web']]) {
      expect(parseObjectArg(argv)).toEqual({ kind: 'Deployment', name: 'web' });
    }
    expect(parseObjectArg(['po/web-1'])).toEqual({ kind: 'Pod', name: 'web-1' });
    expect(parseObjectArg(['sts/db'])).toEqual({ kind: 'StatefulSet', name: 'db' });
  });

  it('prints the rollout of deploy/web as a waterfall with the critical path and why it was slow', async () => {
    const r = await run(['trace', 'deploy/web', '-n', 'shop', '--from', EXAMPLE]);
    expect(r.code).toBe(0);
    const lines = r.out.split('\n');
    expect(lines[0]).toBe('Deployment shop/web: 1 trace');
    const rows = lines.filter((l) => l.includes('|'));
    expect(rows).toHaveLength(21);
    // Every row fits the terminal; the bars all have the same width.
    for (const row of rows) expect(row.length).toBeLessThanOrEqual(120);
    expect(new Set(rows.map((row) => row.lastIndexOf('|') - row.indexOf('|'))).size).toBe(1);
    expect(rows[0]).toMatch(/^\* Deployment rollout web +deployment-ctrl +\+0µs +34\.186s \|█+\| ok$/);
    expect(rows.find((row) => row.includes('pull nginx:1.26') && row.includes('node-2'))).toMatch(
      /\+9\.371s +3\.622s \|/,
    );
    // The rollout ended when the last old pod was gone: scale down is on the critical path.
    expect(rows.find((row) => row.includes('ReplicaSet scale down'))).toMatch(/^\* /);
    expect(rows.find((row) => row.includes('ReplicaSet scale up'))).toMatch(/^ {2}/);
    expect(r.out).toContain('Longest phase per pod:\n  pod startup of web-7c94cc59d-gx8jv: readiness 4.999s (57%)');
    expect(r.out).toMatch(/Waits on the critical path:\n +8\.867s +Deployment rollout of web: after start of/);
  });

  it('scales the bar to the terminal width', async () => {
    process.env['COLUMNS'] = '200';
    const wide = (await run(['trace', 'deploy/web', '--from', EXAMPLE])).out.split('\n').find((l) => l.includes('|'));
    process.env['COLUMNS'] = '100';
    const narrow = (await run(['trace', 'deploy/web', '--from', EXAMPLE])).out.split('\n').find((l) => l.includes('|'));
    expect(wide?.length).toBeLessThanOrEqual(200);
    expect(narrow?.length).toBeLessThanOrEqual(100);
    expect((wide?.length ?? 0) - (narrow?.length ?? 0)).toBe(100);
  });

  it('shows a pod’s own startup, not the whole rollout', async () => {
    const r = await run(['trace', 'pod/web-7c94cc59d-gx8jv', '--from', EXAMPLE]);
    expect(r.code).toBe(0);
    const rows = r.out.split('\n').filter((l) => l.includes('|'));
    expect(rows.map((row) => row.slice(2, 20).trim())).toEqual([
      'pod startup web-7c',
      'schedule',
      'pull nginx:1.26',
      'start nginx',
      'readiness',
    ]);
  });

  it('--json gives the spans with offsets, durations and the critical path', async () => {
    const r = await run(['trace', 'deployments', 'web', '--from', EXAMPLE, '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out) as {
      object: unknown;
      traces: { spans: { name: string; offsetMs: number; durationMs: number; critical: boolean }[] }[];
    };
    expect(doc.object).toEqual({ kind: 'Deployment', namespace: 'shop', name: 'web' });
    const spans = doc.traces[0]?.spans ?? [];
    expect(spans[0]).toMatchObject({ name: 'Deployment rollout', offsetMs: 0, durationMs: 34186, critical: true });
    expect(spans.filter((s) => s.critical).map((s) => s.name)).toContain('ReplicaSet scale down');
  });

  it('reads a data directory and a running viewer the same way', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'ks-trace-'));
    expect((await run(['replay', EXAMPLE, '--data-dir', dataDir])).code).toBe(0);
    const fromDir = await run(['trace', 'deploy/web', '--data-dir', dataDir]);
    expect(fromDir.code).toBe(0);
    const fromRecording = await run(['trace', 'deploy/web', '--from', EXAMPLE]);
    expect(fromDir.out).toBe(fromRecording.out);
    const store = await openTraceStore(dataDir);
    const server = await startUiServer({ store, addr: '127.0.0.1:0' });
    try {
      const fromServer = await run(['trace', 'deploy/web', '--server', server.url]);
      expect(fromServer.code).toBe(0);
      expect(fromServer.out).toBe(fromRecording.out);
    } finally {
      await server.close();
      await store.close();
    }
  });

  it('exits 1 with a message for an object without traces, an empty data dir, an unreachable server', async () => {
    const none = await run(['trace', 'deploy/nope', '--from', EXAMPLE]);
    expect(none).toMatchObject({ code: 1, out: '' });
    expect(none.err).toContain('no traces of Deployment nope');
    const empty = await mkdtemp(join(tmpdir(), 'ks-trace-'));
    expect((await run(['trace', 'deploy/web', '--data-dir', empty])).err).toContain('holds no kubestitch store');
    const down = await run(['trace', 'deploy/web', '--server', 'http://127.0.0.1:1']);
    expect(down.code).toBe(1);
    expect(down.err).toContain('cannot reach http://127.0.0.1:1');
  });

  it('escapes control characters of object names from the recording', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ks-trace-'));
    const pod = {
      type: 'ADDED',
      ts: '2026-03-01T10:00:00.100Z',
      object: {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'evil\u001b]0;pwned\u0007', namespace: 'ns', uid: 'u1', resourceVersion: '5' },
        spec: { containers: [{ name: 'c', image: 'busybox' }] },
        status: { phase: 'Pending' },
      },
    };
    await writeFile(join(dir, 'watch.jsonl'), `${JSON.stringify(pod)}\n`);
    const r = await run(['trace', 'pod/evil\u001b]0;pwned\u0007', '--from', dir]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('Pod ns/evil\\x1b]0;pwned\\x07');
    // eslint-disable-next-line no-control-regex
    expect(r.out).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f]/);
  });

  it('asks for -n when the name is in several namespaces', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ks-trace-'));
    const pod = (ns: string, uid: string): string =>
      JSON.stringify({
        type: 'ADDED',
        ts: '2026-03-01T10:00:00.100Z',
        object: {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: 'db-0', namespace: ns, uid, resourceVersion: '5' },
          spec: { containers: [{ name: 'c', image: 'busybox' }] },
          status: { phase: 'Pending' },
        },
      });
    await writeFile(join(dir, 'watch.jsonl'), `${pod('blue', 'u1')}\n${pod('green', 'u2')}\n`);
    const both = await run(['trace', 'pod/db-0', '--from', dir]);
    expect(both.code).toBe(2);
    expect(both.err).toContain('kubestitch trace: Pod db-0 is in several namespaces (blue, green): give -n NAMESPACE');
    const one = await run(['trace', 'pods', 'db-0', '-n', 'green', '--from', dir]);
    expect(one.code).toBe(0);
    expect(one.out.split('\n')[0]).toBe('Pod green/db-0: 1 trace');
  });

  it('formats durations with their sign in front', () => {
    expect(formatDuration(-12.49)).toBe('-12.490ms');
    expect(formatDuration(0.85)).toBe('850µs');
    expect(formatDuration(3622)).toBe('3.622s');
    expect(formatDuration(125_300)).toBe('2m05.3s');
  });
});
