import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FakeApiserver } from '../../../tools/sim/apiserver/index.js';
import {
  loadObjects,
  playRecording,
  splitInitialList,
  startFakeApiserver,
  syntheticPods,
} from '../../../tools/sim/apiserver/index.js';
import { runScenario } from '../../../tools/sim/index.js';
import type { KubeJson, WatchLine } from '../../../tools/sim/index.js';
import { openWatch, rvOf } from './watch-reader.js';

let server: FakeApiserver;

const meta = (o: KubeJson): { name?: string; namespace?: string; resourceVersion?: string } =>
  (o.metadata ?? {}) as { name?: string; namespace?: string; resourceVersion?: string };
const lineKey = (l: WatchLine): string =>
  `${l.type} ${String(meta(l.object).name)} ${String(meta(l.object).resourceVersion)}`;

beforeEach(async () => {
  server = await startFakeApiserver();
});
afterEach(async () => {
  await server.close();
});

describe('playRecording', () => {
  it('finds the initial list of a simulator recording (out-of-order resourceVersions)', () => {
    const rec = runScenario('rolling-update');
    const { initial, rest } = splitInitialList(rec);
    expect(initial.map((o) => o.kind)).toEqual([
      'Node',
      'Node',
      'Node',
      'Deployment',
      'ReplicaSet',
      'Pod',
      'Pod',
      'Pod',
    ]);
    expect(rest.watch).toHaveLength(rec.watch.length - 8);
  });

  it('gives a watcher exactly the recorded stream, resourceVersions included, after the preloaded initial list', async () => {
    const rec = runScenario('rolling-update');
    const { initial, rest } = splitInitialList(rec);
    server.preload(initial);
    const listed = (await (await fetch(`${server.url}/api/v1/pods`)).json()) as {
      metadata: { resourceVersion: string };
      items: KubeJson[];
    };
    expect(listed.items.map((p) => meta(p).resourceVersion).sort()).toEqual(
      initial
        .filter((o) => o.kind === 'Pod')
        .map((p) => meta(p).resourceVersion)
        .sort(),
    );
    const w = await openWatch(
      `${server.url}/api/v1/pods?watch=true&resourceVersion=${listed.metadata.resourceVersion}`,
    );
    const result = await playRecording(server, rest, { initialList: 'events' });
    const expected = rest.watch.filter((l) => l.object.kind === 'Pod').map(lineKey);
    const got: string[] = [];
    while (got.length < expected.length) {
      const e = await w.next();
      got.push(`${e.type} ${String(e.object.metadata?.name)} ${rvOf(e)}`);
    }
    expect(got).toEqual(expected);
    expect(server.stats.feed.reassignedVersions).toBe(0);
    expect(result.skipped).toBe(0);
    expect(result.audit).toBe(rec.audit);
    w.close();
  });

  it('leaves every object in its final recorded state and feeds both Event APIs', async () => {
    const rec = runScenario('rolling-update');
    const result = await playRecording(server, rec);
    expect(result.applied).toBe(rec.watch.length + rec.events.length);
    const last = new Map<string, WatchLine>();
    for (const l of rec.watch)
      last.set(
        `${String(l.object.apiVersion)}/${String(l.object.kind)}/${String(meta(l.object).namespace)}/${String(meta(l.object).name)}`,
        l,
      );
    for (const l of last.values()) {
      const stored = server.get(
        String(l.object.apiVersion),
        String(l.object.kind),
        meta(l.object).namespace,
        String(meta(l.object).name),
      );
      if (l.type === 'DELETED') expect(stored).toBeUndefined();
      else expect(stored).toEqual(l.object);
    }
    const core = rec.events.filter((l) => l.object.apiVersion === 'v1').map((l) => meta(l.object).name);
    const v1 = rec.events.filter((l) => l.object.apiVersion === 'events.k8s.io/v1').map((l) => meta(l.object).name);
    expect(core.length).toBeGreaterThan(0);
    expect(v1.length).toBeGreaterThan(0);
    expect(server.count('v1', 'Event')).toBe(new Set(core).size);
    expect(server.count('events.k8s.io/v1', 'Event')).toBe(new Set(v1).size);
    const shop = (await (await fetch(`${server.url}/apis/events.k8s.io/v1/namespaces/shop/events`)).json()) as {
      items: KubeJson[];
    };
    expect(shop.items).toHaveLength(new Set(v1).size);
  });

  it('paces lines by their receive time when given a speed, and counts lines it cannot apply', async () => {
    const rec = runScenario('rolling-update');
    const unknown: WatchLine = {
      type: 'ADDED',
      object: { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } },
      ts: rec.watch[10]?.ts ?? '',
    };
    const { rest } = splitInitialList(rec);
    const withBad = { ...rest, watch: [...rest.watch.slice(0, 10), unknown, ...rest.watch.slice(10)] };
    const span = Date.parse(rest.watch.at(-1)?.ts ?? '') - Date.parse(rest.watch[0]?.ts ?? '');
    const progress: number[] = [];
    const started = Date.now();
    const result = await playRecording(server, withBad, {
      speed: 2000,
      initialList: 'events',
      onProgress: (n) => progress.push(n),
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(span / 2000 - 5);
    expect(result.skipped).toBe(1);
    expect(result.errors[0]).toMatch(/example.com\/v1 Widget is not served/);
    expect(progress.at(-1)).toBe(withBad.watch.length + withBad.events.length);
  });
});

describe('loadObjects', () => {
  it('loads synthetic pods as instant state that lists page by page', async () => {
    expect(await loadObjects(server, syntheticPods(2000))).toBe(2000);
    expect(server.count('v1', 'Pod')).toBe(2000);
    const page = (await (await fetch(`${server.url}/api/v1/pods?limit=500`)).json()) as {
      items: KubeJson[];
      metadata: { remainingItemCount: number };
    };
    expect(page.items).toHaveLength(500);
    expect(page.metadata.remainingItemCount).toBe(1500);
    const all = (await (await fetch(`${server.url}/api/v1/pods`)).json()) as { items: KubeJson[] };
    expect(new Set(all.items.map((p) => meta(p).name)).size).toBe(2000);
  });
});

describe('main.ts', () => {
  it('prints its URL and kubeconfig as one JSON line, serves the scenario, and exits on SIGTERM', async () => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'tools/sim/apiserver/main.ts',
        '--scenario',
        'rolling-update',
        '--pods',
        '300',
        '--port',
        '0',
      ],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const first = await new Promise<string>((resolve, reject) => {
      createInterface(child.stdout).once('line', resolve);
      child.once('exit', () => reject(new Error('main.ts exited before printing')));
    });
    const info = JSON.parse(first) as { url: string; kubeconfig: string; resourceVersion: string };
    expect(info.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await readFile(info.kubeconfig, 'utf8')).toContain(`server: ${info.url}`);
    const deployments = (await (await fetch(`${info.url}/apis/apps/v1/namespaces/shop/deployments`)).json()) as {
      items: KubeJson[];
    };
    expect(deployments.items.map((d) => meta(d).name)).toEqual(['web']);
    const pods = (await (await fetch(`${info.url}/api/v1/pods?limit=1`)).json()) as {
      metadata: { remainingItemCount: number };
    };
    expect(pods.metadata.remainingItemCount).toBe(300 + 3 - 1);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
