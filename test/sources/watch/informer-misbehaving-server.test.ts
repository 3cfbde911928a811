// The informer against raw HTTP servers that misbehave as no real apiserver should (but a proxy,
// an overloaded apiserver or a hostile endpoint may): unusable lines, watches that end at once,
// garbage, a list that never answers.
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Informer, InformerOptions } from '../../../src/sources/watch/informer.js';
import { KubeHttp } from '../../../src/sources/watch/kube-http.js';
import { kubeConfigFor } from '../../support/fake-kube-config.js';
import { Holder, newInformer, until } from './informer-harness.js';

const informers: Informer[] = [];
const servers: Server[] = [];

afterEach(async () => {
  await Promise.all(informers.splice(0).map((i) => i.stop()));
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

function informer(holder: Holder, options: Partial<InformerOptions> & { http: KubeHttp }): Informer {
  const i = newInformer(options.http, holder, options);
  informers.push(i);
  return i;
}

/** A raw HTTP server that answers the list and watch of configmaps with what a test scripts. */
async function rawServer(
  watch: (req: IncomingMessage, res: ServerResponse, n: number) => void,
  list: (res: ServerResponse) => void = (res) => {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(
      JSON.stringify({ kind: 'ConfigMapList', apiVersion: 'v1', metadata: { resourceVersion: '10' }, items: [] }),
    );
  },
): Promise<{ http: KubeHttp; watches: () => number }> {
  let watches = 0;
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://raw');
    if (url.searchParams.get('watch') === 'true') watch(req, res, ++watches);
    else list(res);
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { http: new KubeHttp(kubeConfigFor(`http://127.0.0.1:${port}`)), watches: () => watches };
}

const rawObject = (rv: number): string =>
  JSON.stringify({
    kind: 'ConfigMap',
    apiVersion: 'v1',
    metadata: { name: `r${rv}`, namespace: 'raw', uid: `u${rv}`, resourceVersion: String(rv) },
  });

describe('Informer against a misbehaving server', () => {
  it('counts unusable watch lines, skips them and goes on with the stream', async () => {
    const raw = await rawServer((_req, res, n) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      if (n > 1) return; // later watches stay open and silent
      res.write('this is not json\n');
      res.write(`{"type":"ADDED","object":${rawObject(11)}}\n`);
      res.write('{"type":"SOMETHING","object":{}}\n');
      res.write('[1,2,3]\n');
      res.write(`{"type":"MODIFIED","object":${rawObject(12)}}\n`);
    });
    const holder = new Holder('raw');
    const inf = informer(holder, { http: raw.http });
    inf.start();
    await until(() => holder.events.length === 2, 'the two good events');
    expect(holder.lines()).toEqual(['ADDED r11@11', 'MODIFIED r12@12']);
    expect(inf.status()).toMatchObject({ badLines: 3, restarts: 0, resourceVersion: '12', phase: 'watching' });
    // Counted by a fixed reason, never by what the line said (SOMETHING stays out of label values).
    expect(inf.status().rejected).toEqual({ 'not JSON': 1, 'unknown watch event type': 1, 'not a watch event': 1 });
    expect(raw.watches()).toBe(1);
  });
});

describe('Informer against a hostile server (#17 items 1 and 4)', () => {
  it('refuses a 5,000-deep object and one stamped 1900 at the boundary, counted, and goes on', async () => {
    const deep = `${'{"a":'.repeat(5_000)}1${'}'.repeat(5_000)}`;
    const raw = await rawServer((_req, res, n) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      if (n > 1) return;
      res.write(`{"type":"ADDED","object":${rawObject(21).replace('"metadata"', `"spec":${deep},"metadata"`)}}\n`);
      const old = rawObject(22).replace('"metadata":{', '"metadata":{"creationTimestamp":"1900-01-01T00:00:00Z",');
      res.write(`{"type":"ADDED","object":${old}}\n`);
      res.write(`{"type":"MODIFIED","object":${rawObject(23)}}\n`);
    });
    const holder = new Holder('raw');
    const inf = informer(holder, { http: raw.http });
    inf.start();
    await until(() => holder.events.length === 1, 'the good event');
    expect(holder.lines()).toEqual(['MODIFIED r23@23']);
    expect(inf.status()).toMatchObject({ badLines: 2, restarts: 0, resourceVersion: '23' });
    // By reason, for kubestitch_input_rejected_total{source="watch"}.
    expect(inf.status().rejected).toEqual({ 'too deep': 1, 'time out of range': 1 });
  });
});

describe('Informer against a server that ends watches at once', () => {
  it('backs off instead of re-watching in a tight loop', async () => {
    // A proxy or an overloaded apiserver answering 200 and closing at once, again and again.
    const raw = await rawServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end();
    });
    const holder = new Holder('raw');
    const inf = informer(holder, { http: raw.http, backoffInitialMs: 100, backoffMaxMs: 100, random: () => 1 });
    inf.start();
    await inf.synced();
    await new Promise((r) => setTimeout(r, 500));
    // About one watch per 100 ms backoff, not thousands in half a second.
    expect(raw.watches()).toBeLessThanOrEqual(10);
    expect(inf.status().restarts).toBeGreaterThanOrEqual(1);
    expect(inf.status().lastError).toContain('without any event');
  });
});

describe('Informer against a server that answers watches with garbage', () => {
  it('counts the lines and backs off instead of re-watching in a tight loop', async () => {
    // A proxy answering 200 with an error page: not one usable event.
    const raw = await rawServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/html' });
      res.end('<html>\n<body>upstream error</body>\n</html>\n');
    });
    const inf = informer(new Holder('raw'), {
      http: raw.http,
      backoffInitialMs: 100,
      backoffMaxMs: 100,
      random: () => 1,
    });
    inf.start();
    await inf.synced();
    await new Promise((r) => setTimeout(r, 500));
    expect(raw.watches()).toBeLessThanOrEqual(10);
    expect(inf.status().badLines).toBe(3 * raw.watches());
    expect(inf.status().lastError).toContain('without any event');
  });
});

describe('Informer.stop', () => {
  it('does not wait for a list the apiserver never answers', async () => {
    const raw = await rawServer(
      (_req, res) => res.writeHead(200),
      () => undefined, // the list hangs
    );
    const inf = informer(new Holder('raw'), { http: raw.http });
    inf.start();
    await until(() => inf.status().phase === 'listing', 'the list');
    await new Promise((r) => setTimeout(r, 50));
    // Well under the 60 s list timeout (a SIGTERM deadline is 20 s by default).
    await inf.stop();
    expect(inf.status().phase).toBe('stopped');
    expect(inf.status().restarts).toBe(0);
  }, 10_000);
});

describe('KubeHttp.watch', () => {
  it('leaves no connection open when closed before the request went out', async () => {
    // Credentials are applied asynchronously (exec plugins can take a while): a stop() in that
    // window must still end the request, or the socket keeps a stopping process alive.
    const raw = await rawServer((_req, res) => res.writeHead(200));
    const server = servers.at(-1);
    const ends: string[] = [];
    const stream = raw.http.watch(
      '/api/v1/configmaps',
      {},
      'application/json',
      60_000,
      () => undefined,
      (e) => ends.push(e.kind),
    );
    stream.close();
    expect(ends).toEqual(['aborted']);
    await new Promise((r) => setTimeout(r, 100));
    const connections = (): Promise<number> =>
      new Promise((resolve, reject) => server?.getConnections((err, n) => (err ? reject(err) : resolve(n))));
    const deadline = Date.now() + 2_000;
    while ((await connections()) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(await connections()).toBe(0);
    expect(ends).toEqual(['aborted']);
  });
});
