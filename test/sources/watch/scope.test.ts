import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Recorder } from '../../../src/live/recorder.js';
import { startFakeApiserver } from '../../../tools/sim/apiserver/index.js';
import type { FakeApiserver } from '../../../tools/sim/apiserver/index.js';
import { Informer } from '../../../src/sources/watch/informer.js';
import type { InformerEvent, KnownObject } from '../../../src/sources/watch/informer.js';
import { KubeHttp } from '../../../src/sources/watch/kube-http.js';
import { DEFAULT_RESOURCES } from '../../../src/sources/watch/resources.js';
import type { WatchedResource } from '../../../src/sources/watch/resources.js';
import { parseWatchScope, scopeQuery, scopedInformers } from '../../../src/sources/watch/scope.js';
import type { InformerScope, WatchScope } from '../../../src/sources/watch/scope.js';
import { kubeConfigFor } from '../../support/fake-kube-config.js';

let api: FakeApiserver;
let http: KubeHttp;
const dirs: string[] = [];

const CONFIGMAPS: WatchedResource = {
  group: '',
  version: 'v1',
  resource: 'configmaps',
  kind: 'ConfigMap',
  namespaced: true,
  metadataOnly: false,
};
const NODES = DEFAULT_RESOURCES.find((r) => r.kind === 'Node') as WatchedResource;
const PODS = DEFAULT_RESOURCES.find((r) => r.kind === 'Pod') as WatchedResource;
const EVENTS: WatchedResource = { ...CONFIGMAPS, resource: 'events', kind: 'Event' };
const silent = { info: () => undefined, warn: () => undefined };

beforeAll(async () => {
  api = await startFakeApiserver({ bookmarkIntervalMs: 3_600_000 });
  http = new KubeHttp(kubeConfigFor(api.url));
});
afterAll(async () => {
  await api.close();
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

function cm(ns: string, name: string, labels: Record<string, string> = {}): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns, uid: `uid-${ns}-${name}`, labels } };
}

const nsOf = (e: InformerEvent): string => String((e.object['metadata'] as { namespace?: string }).namespace);

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function scoped(scope: InformerScope, known: Map<string, KnownObject> = new Map()) {
  const events: InformerEvent[] = [];
  const informer = new Informer({
    http,
    resource: CONFIGMAPS,
    scope,
    known: () => known,
    onEvents: async (batch) => void events.push(...batch),
    logger: silent,
    backoffInitialMs: 20,
    backoffMaxMs: 100,
    random: () => 0.5,
  });
  return { informer, events };
}

describe('parseWatchScope', () => {
  it('accepts namespaces, excluded namespaces and a label selector', () => {
    expect(parseWatchScope(['shop', 'shop', 'web'], ['kube-system'], ' app=web,tier in (a, b),!legacy ')).toEqual({
      namespaces: ['shop', 'web'],
      excludeNamespaces: ['kube-system'],
      labelSelector: 'app=web,tier in (a, b),!legacy',
    });
    expect(parseWatchScope([], [], undefined)).toEqual({ namespaces: [], excludeNamespaces: [] });
  });

  it('names the option at fault', () => {
    expect(parseWatchScope(['Shop'], [], undefined)).toBe('--namespaces: "Shop" is not a namespace name');
    expect(parseWatchScope([], ['a_b'], undefined)).toBe('--exclude-namespaces: "a_b" is not a namespace name');
    expect(parseWatchScope(['shop'], ['shop'], undefined)).toBe(
      '--namespaces and --exclude-namespaces both name "shop"',
    );
    expect(parseWatchScope([], [], 'app=we b')).toMatch(/^--label-selector: cannot parse requirement/);
    expect(parseWatchScope([], [], 'in (a)')).toMatch(/^--label-selector: cannot parse requirement/);
  });
});

describe('scopedInformers', () => {
  const scope: WatchScope = { namespaces: ['a', 'b'], excludeNamespaces: ['kube-system'], labelSelector: 'app=web' };

  it('runs one informer per listed namespace, and one for a cluster-scoped kind', () => {
    expect(scopedInformers(PODS, scope).map((t) => t.scope)).toEqual([
      { namespace: 'a', excludeNamespaces: ['kube-system'], labelSelector: 'app=web' },
      { namespace: 'b', excludeNamespaces: ['kube-system'], labelSelector: 'app=web' },
    ]);
    expect(scopedInformers(NODES, scope).map((t) => t.scope)).toEqual([{}]);
  });

  it('keeps Events unfiltered by labels, and asks the apiserver to leave excluded namespaces out', () => {
    const unlisted = { ...scope, namespaces: [] };
    const [events] = scopedInformers(EVENTS, unlisted);
    expect(scopeQuery(events?.scope ?? {})).toEqual({ fieldSelector: 'metadata.namespace!=kube-system' });
    const [pods] = scopedInformers(PODS, { ...unlisted, excludeNamespaces: ['kube-system', 'monitoring'] });
    expect(scopeQuery(pods?.scope ?? {})).toEqual({
      fieldSelector: 'metadata.namespace!=kube-system,metadata.namespace!=monitoring',
      labelSelector: 'app=web',
    });
  });
});

describe('scoped informers against the apiserver', () => {
  it('sends the selectors with every list and watch, and no excluded or unlabelled object enters', async () => {
    api.apply('ADDED', cm('scope-in', 'web', { app: 'web' }));
    api.apply('ADDED', cm('scope-out', 'web', { app: 'web' }));
    api.apply('ADDED', cm('scope-in', 'db', { app: 'db' }));
    const { informer, events } = scoped({ excludeNamespaces: ['scope-out'], labelSelector: 'app=web' });
    const before = api.requests.length;
    informer.start();
    try {
      await informer.synced();
      api.apply('ADDED', cm('scope-out', 'web-2', { app: 'web' }));
      api.apply('ADDED', cm('scope-in', 'web-2', { app: 'web' }));
      await until(
        () => events.some((e) => e.type === 'ADDED' && nsOf(e) === 'scope-in' && events.length >= 2),
        'web-2',
      );
    } finally {
      await informer.stop();
    }
    const mine = events.filter((e) => nsOf(e).startsWith('scope-'));
    expect(mine.map((e) => `${nsOf(e)}/${String((e.object['metadata'] as { name: string }).name)}`)).toEqual([
      'scope-in/web',
      'scope-in/web-2',
    ]);
    const requests = api.requests.slice(before).filter((r) => r.path === '/api/v1/configmaps');
    expect(requests.map((r) => r.query['watch'] === 'true')).toEqual(expect.arrayContaining([false, true]));
    for (const r of requests) {
      expect(r.query).toMatchObject({ fieldSelector: 'metadata.namespace!=scope-out', labelSelector: 'app=web' });
    }
  });

  it('lists a listed namespace on its own path and does not take the other namespaces for deleted', async () => {
    api.apply('ADDED', cm('scope-a', 'one'));
    api.apply('ADDED', cm('scope-b', 'two'));
    // The caller holds objects of both namespaces (the other namespace's informer delivered b's).
    const known = new Map<string, KnownObject>([
      ['uid-scope-b-two', { resourceVersion: '1', namespace: 'scope-b', name: 'two' }],
    ]);
    const { informer, events } = scoped({ namespace: 'scope-a' }, known);
    const before = api.requests.length;
    informer.start();
    try {
      await informer.synced();
    } finally {
      await informer.stop();
    }
    expect(events.map((e) => `${e.type} ${nsOf(e)}`)).toEqual(['ADDED scope-a']);
    const paths = new Set(api.requests.slice(before).map((r) => r.path));
    expect([...paths]).toEqual(['/api/v1/namespaces/scope-a/configmaps']);
  });
});

describe('kubestitch record with a scope', () => {
  it('records only the listed namespaces, Nodes still cluster-wide', async () => {
    api.apply('ADDED', cm('rec-a', 'kept'));
    api.apply('ADDED', cm('rec-b', 'dropped'));
    const dir = await mkdtemp(join(tmpdir(), 'ks-scope-rec-'));
    dirs.push(dir);
    const before = api.requests.length;
    const recorder = await Recorder.start({
      http,
      dir,
      resources: [CONFIGMAPS, NODES],
      scope: { namespaces: ['rec-a'], excludeNamespaces: [] },
      logger: silent,
    });
    try {
      await recorder.waitSynced();
    } finally {
      await recorder.stop();
    }
    const lines = (await readFile(join(dir, 'watch.jsonl'), 'utf8')).split('\n').filter((l) => l !== '');
    const namespaces = lines.map(
      (l) => (JSON.parse(l) as { object: { metadata: { namespace?: string } } }).object.metadata.namespace,
    );
    expect(namespaces.filter((n) => n !== undefined)).toEqual(['rec-a']);
    const paths = new Set(api.requests.slice(before).map((r) => r.path));
    expect(paths).toEqual(new Set(['/api/v1/namespaces/rec-a/configmaps', '/api/v1/nodes']));
  });
});

describe('run and record options', () => {
  it('run takes the scope from flags or the config file, and refuses a bad one', async () => {
    const { resolveRunSettings } = await import('../../../src/cli/run-config.js');
    const fromFlags = resolveRunSettings({ namespaces: 'shop,web', 'label-selector': 'app=web' });
    expect(typeof fromFlags === 'string' ? fromFlags : fromFlags.watchScope).toEqual({
      namespaces: ['shop', 'web'],
      excludeNamespaces: [],
      labelSelector: 'app=web',
    });
    const fromFile = resolveRunSettings({}, 'exclude-namespaces:\n  - kube-system\n  - monitoring\n');
    expect(typeof fromFile === 'string' ? fromFile : fromFile.watchScope).toEqual({
      namespaces: [],
      excludeNamespaces: ['kube-system', 'monitoring'],
    });
    expect(resolveRunSettings({ namespaces: 'shop', 'exclude-namespaces': 'shop' })).toBe(
      '--namespaces and --exclude-namespaces both name "shop"',
    );
  });

  it('record refuses a bad scope as a usage error', async () => {
    const { main } = await import('../../../src/cli/main.js');
    let err = '';
    const code = await main(['record', '/nonexistent-dir', '--namespaces', 'Bad_NS'], {
      out: () => undefined,
      err: (t) => (err += t),
    });
    expect(code).toBe(2);
    expect(err).toContain('--namespaces: "Bad_NS" is not a namespace name');
  });
});
