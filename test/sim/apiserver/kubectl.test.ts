import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeApiserver } from '../../../tools/sim/apiserver/index.js';
import { playRecording, startFakeApiserver } from '../../../tools/sim/apiserver/index.js';
import { runScenario } from '../../../tools/sim/index.js';
import type { KubeJson } from '../../../tools/sim/index.js';
import { pod } from './watch-reader.js';

const KUBECTL = fileURLToPath(new URL('../../../.tools/bin/kubectl', import.meta.url));
const run = promisify(execFile);

let server: FakeApiserver;
let dir: string;
let env: NodeJS.ProcessEnv;

async function kubectl(...args: string[]): Promise<string> {
  const { stdout } = await run(KUBECTL, [...args, '--cache-dir', join(dir, 'cache')], { env, timeout: 20_000 });
  return stdout;
}

/** Splits kubectl's stream of pretty-printed JSON documents into objects. */
function jsonDocuments(text: string): { docs: KubeJson[]; rest: string } {
  const docs: KubeJson[] = [];
  let depth = 0;
  let inString = false;
  let start = -1;
  let consumed = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{') {
      if (depth++ === 0) start = i;
    } else if (c === '}' && --depth === 0) {
      docs.push(JSON.parse(text.slice(start, i + 1)) as KubeJson);
      consumed = i + 1;
    }
  }
  return { docs, rest: text.slice(consumed) };
}

const names = (list: { items: KubeJson[] }): string[] =>
  list.items.map((o) => String((o.metadata as { name: string }).name));

beforeAll(async () => {
  if (!existsSync(KUBECTL))
    throw new Error(
      `kubectl not found at ${KUBECTL}: run \`bash scripts/fetch-k8s-tools.sh\` to fetch helm and kubectl`,
    );
  server = await startFakeApiserver();
  dir = await mkdtemp(join(tmpdir(), 'fake-apiserver-kubectl-'));
  env = { PATH: process.env.PATH, HOME: dir, KUBECONFIG: await server.kubeconfig(join(dir, 'kubeconfig')) };
  const result = await playRecording(server, runScenario('rolling-update'));
  expect(result.skipped).toBe(0);
});
afterAll(async () => {
  await server?.close();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

describe('kubectl against FakeApiserver', () => {
  it('get pods -A -o json lists every pod the scenario left running', async () => {
    const list = JSON.parse(await kubectl('get', 'pods', '-A', '-o', 'json')) as { kind: string; items: KubeJson[] };
    const direct = (await (await fetch(`${server.url}/api/v1/pods`)).json()) as { items: KubeJson[] };
    expect(list.kind).toBe('List');
    expect(list.items).toHaveLength(3);
    expect(names(list).sort()).toEqual(names(direct).sort());
    expect(list.items.every((p) => p.kind === 'Pod' && p.apiVersion === 'v1')).toBe(true);
  });

  it('get deployments -o name prints the qualified name', async () => {
    expect((await kubectl('get', 'deployments', '-n', 'shop', '-o', 'name')).trim()).toBe('deployment.apps/web');
  });

  it('get replicasets.apps prints the server-side table', async () => {
    const out = (await kubectl('get', 'replicasets.apps', '-n', 'shop')).trim().split('\n');
    expect(out[0]?.split(/\s+/)).toEqual(['NAME', 'DESIRED', 'CURRENT', 'READY', 'AGE']);
    const rows = out.slice(1).map((l) => l.split(/\s+/));
    expect(rows.map((r) => r[0]).sort()).toEqual(['web-7c94cc59d', 'web-7d4979cb95']);
    expect(rows.find((r) => r[0] === 'web-7c94cc59d')?.slice(1, 4)).toEqual(['3', '3', '3']);
  });

  it('api-resources lists the served kinds from discovery', async () => {
    const out = await kubectl('api-resources');
    const rows = out
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split(/\s+/));
    const pairs = rows.map((r) => `${r[0]} ${r.at(-3)}`);
    for (const want of [
      'pods v1',
      'deployments apps/v1',
      'leases coordination.k8s.io/v1',
      'events events.k8s.io/v1',
      'cronjobs batch/v1',
    ])
      expect(pairs).toContain(want);
  });

  it('get events.events.k8s.io -A -o json shows the recorded events.k8s.io/v1 Events', async () => {
    const list = JSON.parse(await kubectl('get', 'events.events.k8s.io', '-A', '-o', 'json')) as { items: KubeJson[] };
    expect(list.items.length).toBe(server.count('events.k8s.io/v1', 'Event'));
    expect(list.items.length).toBeGreaterThan(0);
    expect(
      list.items.every((e) => e.apiVersion === 'events.k8s.io/v1' && typeof e.reportingController === 'string'),
    ).toBe(true);
  });

  it('get pods -w --output-watch-events -o json sees the list, then a later change', async () => {
    const child = spawn(
      KUBECTL,
      ['get', 'pods', '-n', 'shop', '-w', '--output-watch-events', '-o', 'json', '--cache-dir', join(dir, 'cache')],
      { env },
    );
    try {
      let buf = '';
      const seen: KubeJson[] = [];
      const waitFor = (pred: () => boolean): Promise<void> =>
        new Promise((resolve, reject) => {
          const check = (): void => {
            if (pred()) {
              child.stdout.off('data', onData);
              resolve();
            }
          };
          const onData = (d: Buffer): void => {
            const { docs, rest } = jsonDocuments(buf + d.toString('utf8'));
            buf = rest;
            seen.push(...docs);
            check();
          };
          child.stdout.on('data', onData);
          child.once('exit', (code) => reject(new Error(`kubectl exited ${code}`)));
          check();
        });
      await waitFor(() => seen.length >= 3);
      expect(seen.slice(0, 3).map((e) => e.type)).toEqual(['ADDED', 'ADDED', 'ADDED']);
      await expect.poll(() => server.watchCount()).toBe(1);
      server.apply('ADDED', pod('late-pod', 'shop'));
      await waitFor(() =>
        seen.some((e) => (e.object as { metadata?: { name?: string } }).metadata?.name === 'late-pod'),
      );
      const late = seen.find((e) => (e.object as { metadata?: { name?: string } }).metadata?.name === 'late-pod');
      expect(late?.type).toBe('ADDED');
      expect((late?.object as { kind?: string }).kind).toBe('Pod');
    } finally {
      child.kill();
    }
  });
});
