import { existsSync } from 'node:fs';
import { mkdtemp, readFile, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { synthesizeRecords } from '../../src/replay.js';
import { splitInitialList, startFakeApiserver } from '../../tools/sim/apiserver/index.js';
import type { FakeApiserver } from '../../tools/sim/apiserver/index.js';
import { runScenario, writeRecording } from '../../tools/sim/index.js';
import { readRecording } from '../../src/sources/recording/read-recording.js';
import { mergedLines, until } from '../live/support/live-harness.js';
import { killAllCli, rolloutShapes, spawnKubestitch } from '../support/cli-process.js';

let api: FakeApiserver;
let kubeconfig: string;

beforeAll(async () => {
  api = await startFakeApiserver({ bookmarkIntervalMs: 500 });
  kubeconfig = await api.kubeconfig(join(await mkdtemp(join(tmpdir(), 'ks-record-cmd-')), 'kubeconfig'));
});
afterAll(async () => {
  await api.close();
});
afterEach(killAllCli);

type Line = { type: string; ts: string; object: Record<string, unknown> & { metadata: Record<string, unknown> } };

async function lines(path: string): Promise<Line[]> {
  const text = await readFile(path, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Line);
}

const SPEEDUP = 10;
const SECRET_VALUE = 'hunter2-do-not-record';
const EVENT_UID = '6f0e6a34-7c4e-4d0f-9d55-1c0ffee00001';

/** The same stored Event as each Event API shows it (same uid and resourceVersion). */
function eventBothWays(nowIso: string): Record<string, unknown>[] {
  const metadata = { name: 'app-config.17f0', namespace: 'default', uid: EVENT_UID, resourceVersion: '900000' };
  const regarding = { kind: 'ConfigMap', namespace: 'default', name: 'app-config', apiVersion: 'v1' };
  return [
    {
      apiVersion: 'v1',
      kind: 'Event',
      metadata,
      involvedObject: regarding,
      reason: 'Updated',
      message: 'config reloaded',
      type: 'Normal',
      count: 1,
      firstTimestamp: nowIso,
      lastTimestamp: nowIso,
      source: { component: 'config-reloader' },
    },
    {
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata,
      regarding,
      reason: 'Updated',
      note: 'config reloaded',
      type: 'Normal',
      eventTime: nowIso.replace('Z', '.000000Z'),
      reportingController: 'config-reloader',
      reportingInstance: 'config-reloader-1',
      action: 'Reload',
    },
  ];
}

describe('kubestitch record', () => {
  it(
    'records a live rollout that replays to the same trace, without Secret data or ConfigMap values, each Event once',
    { timeout: 120_000 },
    async () => {
      const rec = runScenario('rolling-update', { startMs: Date.now() - 120_000 });
      const { initial, rest } = splitInitialList(rec);
      const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
      api.preload([
        ...initial,
        ...eventBothWays(now),
        {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: 'db', namespace: 'default', uid: 'secret-uid-1', resourceVersion: '1' },
          data: { password: Buffer.from(SECRET_VALUE).toString('base64') },
          stringData: { password: SECRET_VALUE },
        },
        {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: {
            name: 'app-config',
            namespace: 'default',
            uid: 'cm-uid-1',
            resourceVersion: '1',
            annotations: {
              'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify({ data: { password: SECRET_VALUE } }),
            },
          },
          data: { password: SECRET_VALUE },
        },
      ]);
      const dir = join(await mkdtemp(join(tmpdir(), 'ks-record-')), 'rec');
      const watchesBefore = api.watchCount();
      // deployments.v1.apps is a default kind already: asking for it again must not double its lines.
      const record = spawnKubestitch([
        'record',
        dir,
        '--kubeconfig',
        kubeconfig,
        '--watch-kinds',
        'configmaps.v1,deployments.v1.apps',
      ]);
      // 8 default kinds, both Event APIs and the extra kind.
      await until(
        () => api.watchCount() >= watchesBefore + 11 || record.child.exitCode !== null,
        'the recorder to watch',
        60_000,
      );
      expect(record.child.exitCode, record.stderr()).toBeNull();

      let lastObjectRv = '';
      let lastEventRv = '';
      // The cluster's changes at ten times the scenario's pace: synth times steps by receive
      // time, so a burst would collapse them into span events.
      const changes = mergedLines(rest);
      const firstMs = Date.parse(changes[0]?.ts ?? '');
      const startedMs = Date.now();
      for (const line of changes) {
        const due = startedMs + (Date.parse(line.ts) - firstMs) / SPEEDUP;
        if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
        const stored = api.apply(line.type, line.object as Record<string, unknown>);
        const rv = String((stored?.['metadata'] as { resourceVersion?: string } | undefined)?.resourceVersion ?? '');
        if ((line.object as { kind?: string }).kind === 'Event') lastEventRv = rv || lastEventRv;
        else lastObjectRv = rv || lastObjectRv;
      }
      const cm = api.apply('MODIFIED', {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'app-config', namespace: 'default', uid: 'cm-uid-1' },
        data: { password: `${SECRET_VALUE}-2` },
      });
      const cmRv = String((cm?.['metadata'] as { resourceVersion?: string }).resourceVersion);
      const has = async (file: string, rv: string): Promise<boolean> =>
        (await lines(join(dir, file))).some((l) => l.object.metadata['resourceVersion'] === rv);
      const deadline = Date.now() + 30_000;
      while (!((await has('watch.jsonl', cmRv)) && (await has('events.jsonl', lastEventRv)))) {
        if (Date.now() > deadline) throw new Error(`the recording did not catch up: ${record.stderr().slice(-2000)}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(await has('watch.jsonl', lastObjectRv)).toBe(true);
      // One watch per resource, however often it was asked for.
      expect(api.watchCount()).toBe(watchesBefore + 11);

      record.child.kill('SIGINT');
      expect(await record.exit).toBe(0);
      const watch = await lines(join(dir, 'watch.jsonl'));
      const events = await lines(join(dir, 'events.jsonl'));
      expect(record.stdout()).toContain(`recorded ${watch.length} object and ${events.length} Event changes`);

      // Every line has its receive time.
      for (const l of [...watch, ...events]) expect(Date.parse(l.ts)).toBeGreaterThan(0);
      // Never asked for Secrets, and no value of the ConfigMap reached a file.
      expect(api.requests.some((r) => r.path.includes('secrets'))).toBe(false);
      const configMaps = watch.filter((l) => l.object['kind'] === 'ConfigMap');
      expect(configMaps.map((l) => l.type)).toEqual(['ADDED', 'MODIFIED']);
      for (const l of configMaps) expect(l.object['data']).toBeUndefined();
      const files =
        (await readFile(join(dir, 'watch.jsonl'), 'utf8')) + (await readFile(join(dir, 'events.jsonl'), 'utf8'));
      expect(files).not.toContain(SECRET_VALUE);
      expect(files).not.toContain(Buffer.from(SECRET_VALUE).toString('base64'));
      expect(files).not.toContain('managedFields');
      // The Event both APIs served is written once.
      expect(events.filter((l) => l.object.metadata['uid'] === EVENT_UID)).toHaveLength(1);

      // Anyone can replay the recording: it gives the Deployment rollout trace the simulator's
      // own recording of the scenario gives when received at the recorded times — every change
      // was recorded, once, with what replay needs of it.
      const out = join(dir, 'spans.jsonl');
      const io = { out: (): void => undefined, err: (t: string): void => void process.stderr.write(t) };
      expect(await main(['replay', dir, '--out', out, '--cluster', 'live'], io)).toBe(0);
      const replayed = (await readFile(out, 'utf8'))
        .split('\n')
        .filter((l) => l !== '')
        .flatMap((l) => otlpSpans(JSON.parse(l)));
      const receivedAt = new Map<string, string[]>();
      for (const l of [...watch, ...events]) {
        const uid = String(l.object.metadata['uid']);
        receivedAt.set(uid, [...(receivedAt.get(uid) ?? []), l.ts]);
      }
      const retimed = <T extends { ts: string; type: string; object: unknown }>(l: T): T => {
        const m = (l.object as { kind?: string; metadata?: { uid?: string; name?: string } }) ?? {};
        const ts = receivedAt.get(String(m.metadata?.uid))?.shift();
        if (ts === undefined) throw new Error(`not recorded: ${l.type} ${String(m.kind)}/${String(m.metadata?.name)}`);
        return { ...l, ts };
      };
      const original = await mkdtemp(join(tmpdir(), 'ks-record-original-'));
      await writeRecording(original, {
        ...rec,
        audit: [],
        watch: rec.watch.map(retimed),
        events: rec.events.map(retimed),
      });
      // Nothing recorded twice: only the test's own ConfigMap and Event are left.
      expect(
        [...receivedAt]
          .filter(([, ts]) => ts.length > 0)
          .map(([uid]) => uid)
          .sort(),
      ).toEqual([EVENT_UID, 'cm-uid-1'].sort());
      const expected = rolloutShapes(
        synthesizeRecords((await readRecording(original)).records, { cluster: 'live' }).flat(),
      );
      expect(
        expected.filter((t) => /^Deployment rollout, ReplicaSet scale down, ReplicaSet scale up, pod startup/.test(t)),
      ).toHaveLength(1);
      expect(rolloutShapes(replayed)).toEqual(expected);
    },
  );

  it('refuses to record Secrets', async () => {
    const err: string[] = [];
    const io = { out: (): void => undefined, err: (t: string): void => void err.push(t) };
    expect(await main(['record', '/tmp/never', '--kubeconfig', kubeconfig, '--watch-kinds', 'secrets.v1'], io)).toBe(2);
    expect(err.join('')).toContain('Secrets are never watched');
  });

  it('names a kind the apiserver does not serve and exits 1', async () => {
    const err: string[] = [];
    const io = { out: (): void => undefined, err: (t: string): void => void err.push(t) };
    const dir = join(await mkdtemp(join(tmpdir(), 'ks-record-')), 'rec');
    expect(
      await main(['record', dir, '--kubeconfig', kubeconfig, '--watch-kinds', 'certificates.v1.cert-manager.io'], io),
    ).toBe(1);
    expect(err.join('')).toContain('certificates.v1.cert-manager.io');
  });

  it('exits 1 with a message when the directory cannot be created', async () => {
    const err: string[] = [];
    const file = join(await mkdtemp(join(tmpdir(), 'ks-record-')), 'a-file');
    await writeFile(file, '');
    const io = { out: (): void => undefined, err: (t: string): void => void err.push(t) };
    expect(await main(['record', join(file, 'rec'), '--kubeconfig', kubeconfig], io)).toBe(1);
    expect(err.join('')).toContain('kubestitch record: cannot start: a part of the path is not a directory');
  });

  // /dev/full fails every write with ENOSPC: a disk that filled up during a recording.
  it.skipIf(!existsSync('/dev/full'))(
    'stops with status 1 and says so when a recording file cannot be written',
    { timeout: 20_000 },
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'ks-record-full-'));
      await symlink('/dev/full', join(dir, 'watch.jsonl'));
      const err: string[] = [];
      const out: string[] = [];
      const io = { out: (t: string): void => void out.push(t), err: (t: string): void => void err.push(t) };
      // Something to write at once.
      api.apply('ADDED', {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: { name: 'full-disk-node', uid: 'node-uid-full' },
      });
      expect(await main(['record', dir, '--kubeconfig', kubeconfig], io)).toBe(1);
      expect(err.join('')).toMatch(/kubestitch record: cannot write .*watch\.jsonl: .*ENOSPC/);
      expect(out.join('')).not.toContain('recorded');
    },
  );

  it.each([
    [['record'], 'expected exactly one directory'],
    [['record', 'a', 'b'], 'unexpected argument "b"'],
    [['record', 'a', '--bogus'], 'kubestitch record: unknown flag --bogus'],
    [['record', 'a', '--kubeconfig', '/nonexistent/kubeconfig'], 'cannot load the kubeconfig'],
  ])('%j exits 2 with a message', async (argv, message) => {
    const err: string[] = [];
    expect(await main(argv, { out: () => undefined, err: (t) => void err.push(t) })).toBe(2);
    expect(err.join('')).toContain(message);
  });
});

/** The spans of one OTLP/JSON ExportTraceServiceRequest line (ids as the file has them). */
function otlpSpans(request: unknown): { traceId: string; spanId: string; name: string; parentSpanId?: string }[] {
  const r = request as {
    resourceSpans?: {
      scopeSpans?: { spans?: { traceId: string; spanId: string; name: string; parentSpanId?: string }[] }[];
    }[];
  };
  return (r.resourceSpans ?? []).flatMap((rs) => (rs.scopeSpans ?? []).flatMap((ss) => ss.spans ?? []));
}
