import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStore, TraceStore } from '../../storage/index.js';
import type { SpanData } from '../../src/model/span.js';
import type { JaegerSpan, JaegerTrace } from '../../src/ui/jaeger-model.js';
import type { UiServer } from '../../src/ui/ui-server.js';
import { startUiServer } from '../../src/ui/ui-server.js';
import { rolloutBatches, rolloutRoot } from './rollout-fixture.js';

/*
 * The request shapes below are the ones Grafana's Jaeger data source sends (its datasource.ts and
 * datasource.test.ts): `/api/services`, `/api/services/{encodeURIComponent(service)}/operations`,
 * `/api/traces?service=…&operation=…&tags={JSON}&minDuration=…&maxDuration=…&limit=…&start=µs&end=µs&lookback=custom`
 * and `/api/traces/{encodeURIComponent(traceId)}` (newer versions append `?start=&end=`).
 */

interface Envelope<T> {
  data: T;
  total: number;
  limit: number;
  offset: number;
  errors: { code: number; msg: string }[] | null;
}

let store: TraceStore;
let server: UiServer;
let spans: SpanData[];
let root: SpanData;
let range: string;

async function get<T>(path: string): Promise<{ status: number; body: Envelope<T> }> {
  const res = await fetch(`${server.url}${path}`);
  return { status: res.status, body: (await res.json()) as Envelope<T> };
}

function tag(span: JaegerSpan, key: string): unknown {
  return span.tags.find((t) => t.key === key)?.value;
}

beforeAll(async () => {
  store = await TraceStore.open(new MemoryStore());
  const batches = await rolloutBatches();
  for (const b of batches) await store.write(b);
  spans = batches.flat();
  root = rolloutRoot(spans);
  // Grafana sends the dashboard time range in µs; this one covers the whole recording.
  const t0 = Math.min(...spans.map((s) => s.startMs));
  range = `start=${Math.floor((t0 - 3600_000) * 1000)}&end=${Math.floor((t0 + 3 * 3600_000) * 1000)}&lookback=custom`;
  server = await startUiServer({ store, addr: '127.0.0.1:0' });
});

afterAll(async () => {
  await server.close();
  await store.close();
});

describe('Jaeger-compatible query API', () => {
  it('GET /api/services lists the actors in the Jaeger envelope (Grafana test-datasource call)', async () => {
    const { status, body } = await get<string[]>('/api/services');
    expect(status).toBe(200);
    expect(body).toMatchObject({ total: body.data.length, limit: 0, offset: 0, errors: null });
    expect(body.data).toEqual(
      expect.arrayContaining(['kube-controller-manager', 'kube-scheduler', 'kubelet', 'kubectl']),
    );
  });

  it('GET /api/services/{service}/operations lists span names', async () => {
    const { body } = await get<string[]>(`/api/services/${encodeURIComponent('kube-controller-manager')}/operations`);
    expect(body.data).toEqual(expect.arrayContaining(['Deployment rollout', 'ReplicaSet scale up', 'create pods']));
    expect(body.data).not.toContain('pod startup');
  });

  it('GET /api/operations?service=&spanKind= filters by span kind (jaeger-ui)', async () => {
    const { body } = await get<{ name: string; spanKind: string }[]>('/api/operations?service=kubelet&spanKind=client');
    expect(body.data).toContainEqual({ name: 'patch pods/status', spanKind: 'client' });
    expect(body.data.every((o) => o.spanKind === 'client')).toBe(true);
  });

  it('searches by service and operation in the dashboard time range', async () => {
    const { body } = await get<JaegerTrace[]>(
      `/api/traces?service=kube-controller-manager&operation=${encodeURIComponent('Deployment rollout')}&${range}`,
    );
    expect(body.data.map((t) => t.traceID)).toEqual([root.traceId]);
    const rootSpan = body.data[0]?.spans.find((s) => s.references.length === 0);
    expect(rootSpan?.operationName).toBe('Deployment rollout');
  });

  it('searches with logfmt tags converted to JSON, as Grafana sends them', async () => {
    const pod = spans.find((s) => s.name === 'pod startup');
    const podName = String(pod?.attributes['k8s.pod.name']);
    const tags = encodeURIComponent(JSON.stringify({ 'k8s.pod.name': podName }));
    const { body } = await get<JaegerTrace[]>(`/api/traces?service=kubelet&tags=${tags}&${range}`);
    expect(body.data.map((t) => t.traceID)).toContain(root.traceId);
    for (const t of body.data) {
      expect(
        t.spans.some((s) => tag(s, 'k8s.pod.name') === podName && t.processes[s.processID]?.serviceName === 'kubelet'),
      ).toBe(true);
    }
    const none = await get<JaegerTrace[]>(
      `/api/traces?service=kubelet&tags=${encodeURIComponent('{"error":"true"}')}&${range}`,
    );
    expect(none.body.data).toEqual([]);
  });

  it('honours minDuration/maxDuration (Go durations) and limit', async () => {
    const { body } = await get<JaegerTrace[]>(
      `/api/traces?service=kubelet&minDuration=8s&maxDuration=12.5s&limit=20&${range}`,
    );
    expect(body.data.length).toBeGreaterThan(0);
    for (const t of body.data) {
      expect(
        t.spans.some(
          (s) => t.processes[s.processID]?.serviceName === 'kubelet' && s.duration >= 8e6 && s.duration <= 12.5e6,
        ),
      ).toBe(true);
    }
    const short = await get<JaegerTrace[]>(`/api/traces?service=kubelet&maxDuration=10ms&limit=1&${range}`);
    expect(short.body.data).toHaveLength(1);
    const tooShort = await get<JaegerTrace[]>(`/api/traces?service=kubelet&maxDuration=500us&${range}`);
    expect(tooShort.body.data).toEqual([]);
    const later = await get<JaegerTrace[]>(
      `/api/traces?service=kubelet&start=${Date.now() * 1000}&end=${Date.now() * 1000 + 1}&lookback=custom`,
    );
    expect(later.body.data).toEqual([]);
  });

  it('GET /api/traces/{id} returns the Jaeger trace model', async () => {
    const { status, body } = await get<JaegerTrace[]>(`/api/traces/${encodeURIComponent(root.traceId)}`);
    expect(status).toBe(200);
    const trace = body.data[0];
    expect(trace?.traceID).toBe(root.traceId);
    expect(trace?.spans).toHaveLength(spans.filter((s) => s.traceId === root.traceId).length);
    const byName = (n: string): JaegerSpan | undefined => trace?.spans.find((s) => s.operationName === n);
    const rollout = byName('Deployment rollout');
    const scaleUp = byName('ReplicaSet scale up');
    const startup = byName('pod startup');
    expect(rollout).toMatchObject({ spanID: root.spanId, references: [], startTime: Math.round(root.startMs * 1000) });
    expect(rollout?.duration).toBe(Math.round(root.endMs * 1000) - Math.round(root.startMs * 1000));
    expect(scaleUp?.references).toEqual([{ refType: 'CHILD_OF', traceID: root.traceId, spanID: root.spanId }]);
    expect(startup?.references[0]).toMatchObject({ refType: 'CHILD_OF', spanID: scaleUp?.spanID });
    // The pod's link to its node's activity is a FOLLOWS_FROM reference into another trace.
    expect(startup?.references.some((r) => r.refType === 'FOLLOWS_FROM' && r.traceID !== root.traceId)).toBe(true);
    expect(rollout?.tags).toContainEqual({ key: 'k8s.deployment.name', type: 'string', value: 'web' });
    expect(rollout?.tags).toContainEqual({ key: 'kubestitch.generation', type: 'int64', value: 2 });
    expect(rollout?.tags).toContainEqual({ key: 'otel.status_code', type: 'string', value: 'OK' });
    expect(rollout?.logs[0]?.fields).toContainEqual({ key: 'event', type: 'string', value: 'ScalingReplicaSet' });
    const patch = byName('patch deployments');
    expect(tag(patch as JaegerSpan, 'span.kind')).toBe('client');
    const diff = patch?.logs.find((l) => l.fields.some((f) => f.key === 'event' && f.value === 'diff'));
    expect(diff?.fields.find((f) => f.key === 'kubestitch.diff.changes')?.value).toMatch(/nginx:1\.25.*nginx:1\.26/);
    expect(trace?.processes[rollout?.processID ?? '']).toMatchObject({ serviceName: 'kube-controller-manager' });
    expect(trace?.processes[rollout?.processID ?? '']?.tags).toContainEqual({
      key: 'k8s.cluster.name',
      type: 'string',
      value: 'sim',
    });
    // Newer Grafana appends the time range to trace-by-id requests.
    const withRange = await get<JaegerTrace[]>(`/api/traces/${root.traceId}?${range}`);
    expect(withRange.body.data[0]?.traceID).toBe(root.traceId);
  });

  it('answers an unknown trace with 404 and bad parameters with 400, both as JSON errors', async () => {
    const missing = await get<null>(`/api/traces/${'f'.repeat(32)}`);
    expect(missing.status).toBe(404);
    expect(missing.body.errors?.[0]).toMatchObject({ code: 404 });
    for (const bad of [
      '/api/traces?service=kubelet&minDuration=fast',
      '/api/traces?service=kubelet&tags=not-json',
      '/api/traces?service=kubelet&limit=-1',
      '/api/traces?service=kubelet&start=yesterday',
      '/api/traces?service=kubelet&minDuration=2s&maxDuration=1s',
      '/api/traces/xyz',
      '/api/operations',
    ]) {
      const { status, body } = await get<null>(bad);
      expect({ bad, status }).toEqual({ bad, status: 400 });
      expect(body.errors?.[0]?.code).toBe(400);
      expect(body.errors?.[0]?.msg).toMatch(/\w/);
    }
    expect((await get<string[]>('/api/services')).status).toBe(200);
    const post = await fetch(`${server.url}/api/services`, { method: 'POST' });
    expect(post.status).toBe(405);
  });

  it('GET /api/dependencies counts parent → child service calls', async () => {
    const end = Math.ceil(root.endMs) + 3600_000;
    const { body } = await get<{ parent: string; child: string; callCount: number }[]>(
      `/api/dependencies?endTs=${end}&lookback=${7 * 86_400_000}`,
    );
    expect(body.data).toContainEqual(expect.objectContaining({ parent: 'kube-controller-manager', child: 'kubelet' }));
    expect(body.data).toContainEqual(expect.objectContaining({ parent: 'kubelet', child: 'kube-scheduler' }));
  });

  it('GET /api/objects?q= finds objects with their traces for autocomplete', async () => {
    const { body } = await get<{ kind: string; namespace: string; name: string; traces: { traceId: string }[] }[]>(
      `/api/objects?q=${encodeURIComponent('shop/web')}`,
    );
    expect(body.data[0]).toMatchObject({ kind: 'Deployment', namespace: 'shop', name: 'web' });
    expect(body.data[0]?.traces.map((t) => t.traceId)).toContain(root.traceId);
  });

  it('compresses large responses for clients that accept gzip', async () => {
    const encoding = await new Promise<string | undefined>((resolve, reject) => {
      const req = request(
        `${server.url}/api/traces/${root.traceId}`,
        { headers: { 'accept-encoding': 'gzip' } },
        (res) => {
          res.resume();
          resolve(res.headers['content-encoding']);
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(encoding).toBe('gzip');
  });
});
