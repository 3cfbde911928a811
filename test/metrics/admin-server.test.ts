import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type AdminServer,
  type HealthReport,
  parseListenAddr,
  startAdminServer,
} from '../../src/metrics/admin-server.js';
import { KubestitchMetrics } from '../../src/metrics/kubestitch-metrics.js';
import type { SpanData } from '../../src/model/span.js';
import { parseExposition } from './reference-parser.js';

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

function call(url: string, path: string, init: { method?: string; accept?: string } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${url}${path}`,
      { method: init.method ?? 'GET', agent: false, headers: init.accept === undefined ? {} : { accept: init.accept } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

const rollout: SpanData = {
  traceId: '0af7651916cd43dd8448eb211c80319c',
  spanId: 'b7ad6b7169203331',
  name: 'Deployment rollout',
  kind: 'internal',
  startMs: 0,
  endMs: 42_000,
  resource: { attributes: { 'service.name': 'kube-controller-manager' } },
  attributes: {
    'kubestitch.operation': 'deployment.rollout',
    'kubestitch.outcome': 'ok',
    'k8s.namespace.name': 'shop',
    'k8s.deployment.name': 'web',
  },
  events: [],
  links: [],
  status: { code: 'ok' },
};

// What Prometheus 2.x sends when scraping with exemplar storage on.
const PROMETHEUS_ACCEPT =
  'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';

describe('startAdminServer', () => {
  let server: AdminServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  async function start(
    options: {
      health?: () => HealthReport | Promise<HealthReport>;
      ready?: () => HealthReport | Promise<HealthReport>;
    } = {},
  ): Promise<{ server: AdminServer; metrics: KubestitchMetrics }> {
    const metrics = new KubestitchMetrics({ cardinality: { ownerAllow: ['shop/web'] } });
    metrics.observeSpans([rollout]);
    server = await startAdminServer({ addr: '127.0.0.1:0', metrics, ...options });
    return { server, metrics };
  }

  describe('/metrics', () => {
    it('answers OpenMetrics with exemplars to a Prometheus scrape', async () => {
      const { server } = await start();
      const res = await call(server.url, '/metrics', { accept: PROMETHEUS_ACCEPT });
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('application/openmetrics-text; version=1.0.0; charset=utf-8');
      expect(res.body.endsWith('# EOF\n')).toBe(true);
      const fams = parseExposition(res.body, 'openmetrics');
      const bucket = fams
        .find((f) => f.name === 'kubestitch_rollout_duration_seconds')
        ?.samples.find((s) => s.exemplar !== null);
      expect(bucket?.labels).toMatchObject({ owner: 'web', le: '60' });
      expect(bucket?.exemplar?.labels).toEqual({ trace_id: rollout.traceId, span_id: rollout.spanId });
      expect(bucket?.exemplar?.value).toBe(42);
    });

    it('answers Prometheus text 0.0.4 without exemplars otherwise', async () => {
      const { server } = await start();
      for (const accept of [undefined, 'text/plain', '*/*', 'application/openmetrics-text;q=0']) {
        const res = await call(server.url, '/metrics', accept === undefined ? {} : { accept });
        expect(res.status, String(accept)).toBe(200);
        expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
        expect(res.body).not.toContain('# EOF');
        expect(res.body).not.toContain('trace_id');
        expect(res.body).toMatch(
          /^kubestitch_rollouts_total\{namespace="shop",owner_kind="Deployment",owner="web",outcome="ok"\} 1$/m,
        );
        parseExposition(res.body, 'prometheus');
      }
    });

    it('keeps counter names right when the two formats alternate', async () => {
      const { server } = await start();
      await call(server.url, '/metrics', { accept: 'application/openmetrics-text' });
      const [om, prom] = await Promise.all([
        call(server.url, '/metrics', { accept: 'application/openmetrics-text' }),
        call(server.url, '/metrics'),
      ]);
      expect(prom.body).toContain('# TYPE kubestitch_rollouts_total counter');
      expect(om.body).toContain('# TYPE kubestitch_rollouts counter');
      expect(om.body).toMatch(/^kubestitch_rollouts_total\{/m);
    });

    it('answers HEAD with headers only and other methods with 405', async () => {
      const { server } = await start();
      const head = await call(server.url, '/metrics', { method: 'HEAD' });
      expect(head.status).toBe(200);
      expect(head.body).toBe('');
      const post = await call(server.url, '/metrics', { method: 'POST' });
      expect(post.status).toBe(405);
      expect(post.headers['allow']).toBe('GET, HEAD');
    });
  });

  describe('/healthz and /readyz', () => {
    it('answer 200 with a JSON body by default', async () => {
      const { server } = await start();
      for (const path of ['/healthz', '/readyz']) {
        const res = await call(server.url, path);
        expect(res.status).toBe(200);
        expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
        expect(JSON.parse(res.body)).toEqual({ status: 'ok', ok: true });
      }
    });

    it('answer 503 with the per-check detail when a check fails, and when it throws', async () => {
      const { server } = await start({
        ready: () => ({ ok: false, checks: { informers: { pods: 'syncing', nodes: 'watching' } } }),
        health: async () => {
          await Promise.resolve();
          throw new Error('store closed');
        },
      });
      const ready = await call(server.url, '/readyz');
      expect(ready.status).toBe(503);
      expect(JSON.parse(ready.body)).toEqual({
        status: 'fail',
        ok: false,
        checks: { informers: { pods: 'syncing', nodes: 'watching' } },
      });
      const health = await call(server.url, '/healthz');
      expect(health.status).toBe(503);
      expect(JSON.parse(health.body)).toEqual({ status: 'fail', ok: false, checks: { error: 'store closed' } });
    });
  });

  it('answers 404 for other paths', async () => {
    const { server } = await start();
    for (const path of ['/', '/metricsx', '/debug/pprof']) expect((await call(server.url, path)).status).toBe(404);
  });

  describe('close', () => {
    it('lets a request in flight finish, then refuses connections', async () => {
      let release: () => void = () => undefined;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const { server: s } = await start({
        ready: async () => {
          await gate;
          return { ok: true };
        },
      });
      const inFlight = call(s.url, '/readyz');
      await new Promise((r) => setTimeout(r, 50));
      const closed = s.close();
      release();
      expect((await inFlight).status).toBe(200);
      await closed;
      await expect(call(s.url, '/healthz')).rejects.toThrow(/ECONNREFUSED/);
      await s.close(); // idempotent
      server = undefined;
    });
  });

  it('rejects an address it cannot use, clearly', async () => {
    const metrics = new KubestitchMetrics();
    await expect(startAdminServer({ addr: 'localhost', metrics })).rejects.toThrow(/not host:port/);
    const first = await startAdminServer({ addr: '127.0.0.1:0', metrics });
    await expect(startAdminServer({ addr: `127.0.0.1:${first.address.port}`, metrics })).rejects.toThrow(/EADDRINUSE/);
    await first.close();
  });
});

describe('parseListenAddr', () => {
  it('reads :port, host:port and [v6]:port', () => {
    expect(parseListenAddr(':9464')).toEqual({ port: 9464 });
    expect(parseListenAddr('0.0.0.0:9464')).toEqual({ host: '0.0.0.0', port: 9464 });
    expect(parseListenAddr('[::1]:9464')).toEqual({ host: '::1', port: 9464 });
    expect(() => parseListenAddr(':70000')).toThrow(/not host:port/);
    expect(() => parseListenAddr('9464:')).toThrow(/not host:port/);
  });
});
