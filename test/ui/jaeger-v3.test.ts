import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStore, TraceStore } from '../../storage/index.js';
import { ATTR } from '../../src/model/attributes.js';
import type { SpanData } from '../../src/model/span.js';
import { toJaegerTrace } from '../../src/ui/jaeger-model.js';
import type { UiServer } from '../../src/ui/ui-server.js';
import { startUiServer } from '../../src/ui/ui-server.js';
import { rolloutBatches, rolloutRoot } from './rollout-fixture.js';

/*
 * The request sequences below are the ones the clients send, read from their source:
 * - jaeger-ui (packages/jaeger-ui/src/api/v3/client.ts): `GET /api/v3/services`, then
 *   `GET /api/v3/operations?service=${encodeURIComponent(service)}`; the search builds a
 *   URLSearchParams of query.service_name, query.operation_name (query.span_name on the
 *   trace-summaries page), query.start_time_min/max as `new Date(µs / 1000).toISOString()`,
 *   query.num_traces, query.duration_min/max and query.attributes (the tag box as JSON); the trace
 *   page `GET /api/v3/traces/{traceId}`.
 * - Grafana's Jaeger data source in gRPC mode (pkg/tsdb/jaeger/grpc_client.go): services and
 *   operations (`url.Values{"service": …}.Encode()`), then a search whose params are url-encoded
 *   except the two times, appended raw in Go's RFC3339Nano (so a `+01:00` offset arrives as a
 *   space), and `GET /api/v3/traces/{url.QueryEscape(id)}` with optional raw start_time/end_time.
 */

interface AnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: string;
  doubleValue?: number;
  arrayValue?: { values?: AnyValue[] };
}
interface KeyValue {
  key: string;
  value: AnyValue;
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes?: KeyValue[];
  events?: { timeUnixNano: string; name: string }[];
  status: { code?: number; message?: string };
}
interface ResourceSpans {
  resource: { attributes?: KeyValue[] };
  scopeSpans: { scope: { name: string }; spans: OtlpSpan[] }[];
}
interface TracesBody {
  result?: { resourceSpans: ResourceSpans[] };
  error?: { httpCode: number; message: string };
}

let store: TraceStore;
let server: UiServer;
let spans: SpanData[];
let root: SpanData;
let t0Ms: number;

async function get<T>(path: string): Promise<{ status: number; body: T }> {
  const res = await fetch(`${server.url}${path}`);
  return { status: res.status, body: (await res.json()) as T };
}

function allSpans(body: TracesBody): OtlpSpan[] {
  return (body.result?.resourceSpans ?? []).flatMap((r) => r.scopeSpans.flatMap((s) => s.spans));
}

function serviceOf(rs: ResourceSpans): string | undefined {
  return rs.resource.attributes?.find((a) => a.key === ATTR.serviceName)?.value.stringValue;
}

/** What jaeger-ui's trace schema (schemas.ts) and Grafana's Go types (grpc_types.go) insist on. */
function expectReadableByClients(body: TracesBody): void {
  for (const rs of body.result?.resourceSpans ?? []) {
    expect(Array.isArray(rs.scopeSpans)).toBe(true);
    for (const span of rs.scopeSpans.flatMap((s) => s.spans)) {
      expect(span.traceId).toMatch(/^(?!0+$)[0-9a-f]{32}$/);
      expect(span.spanId).toMatch(/^(?!0+$)[0-9a-f]{16}$/);
      if (span.parentSpanId !== undefined) expect(span.parentSpanId).toMatch(/^[0-9a-f]{16}$/);
      expect(Number.isInteger(span.kind)).toBe(true);
      expect(span.startTimeUnixNano).toMatch(/^\d+$/);
      expect(BigInt(span.endTimeUnixNano) >= BigInt(span.startTimeUnixNano)).toBe(true);
      for (const e of span.events ?? []) expect(e.timeUnixNano).toMatch(/^\d+$/);
      if (span.status.code !== undefined) expect(Number.isInteger(span.status.code)).toBe(true);
      for (const a of span.attributes ?? []) {
        expect(Object.keys(a.value)).toHaveLength(1);
        if (a.value.intValue !== undefined) expect(a.value.intValue).toMatch(/^-?\d+$/);
      }
    }
  }
}

/** Go's time.RFC3339Nano: trailing fractional zeros dropped, offset as given. */
function goRfc3339Nano(ms: number, offsetMinutes = 0): string {
  const local = new Date(ms + offsetMinutes * 60_000).toISOString().replace(/\.?0*Z$/, '');
  if (offsetMinutes === 0) return `${local}Z`;
  const sign = offsetMinutes > 0 ? '+' : '-';
  const abs = Math.abs(offsetMinutes);
  return `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

beforeAll(async () => {
  store = await TraceStore.open(new MemoryStore());
  const batches = await rolloutBatches();
  for (const b of batches) await store.write(b);
  spans = batches.flat();
  root = rolloutRoot(spans);
  t0Ms = Math.min(...spans.map((s) => s.startMs));
  server = await startUiServer({ store, addr: '127.0.0.1:0' });
});

afterAll(async () => {
  await server.close();
  await store.close();
});

describe('Jaeger query API v3 — jaeger-ui', () => {
  it('lists services, then the operations of the chosen service with their span kinds', async () => {
    const services = await get<{ services: string[] }>('/api/v3/services');
    expect(services.status).toBe(200);
    expect(services.body.services).toEqual(expect.arrayContaining(['kube-controller-manager', 'kubelet']));
    expect(services.body.services).toEqual([...services.body.services].sort());

    const ops = await get<{ operations: { name: string; spanKind: string }[] }>(
      `/api/v3/operations?service=${encodeURIComponent('kube-controller-manager')}`,
    );
    expect(ops.status).toBe(200);
    expect(ops.body.operations.map((o) => o.name)).toEqual(
      expect.arrayContaining(['Deployment rollout', 'ReplicaSet scale up']),
    );
    expect(ops.body.operations.every((o) => typeof o.spanKind === 'string')).toBe(true);

    const clientOps = await get<{ operations: { name: string; spanKind: string }[] }>(
      '/api/v3/operations?service=kubelet&span_kind=client',
    );
    expect(clientOps.body.operations).toContainEqual({ name: 'patch pods/status', spanKind: 'client' });
    expect(clientOps.body.operations.every((o) => o.spanKind === 'client')).toBe(true);
  });

  it('searches /api/v3/traces with the form values and opens the trace it found', async () => {
    const params = new URLSearchParams();
    params.set('query.service_name', 'kube-controller-manager');
    params.set('query.operation_name', 'Deployment rollout');
    params.set('query.start_time_min', new Date(t0Ms - 3600_000).toISOString());
    params.set('query.start_time_max', new Date(t0Ms + 3 * 3600_000).toISOString());
    params.set('query.num_traces', '20');
    params.set('query.duration_min', '1s');
    params.set('query.attributes', JSON.stringify({ [ATTR.namespaceName]: 'shop' }));
    const found = await get<TracesBody>(`/api/v3/traces?${params.toString()}`);
    expect(found.status).toBe(200);
    expectReadableByClients(found.body);
    const traceIds = new Set(allSpans(found.body).map((s) => s.traceId));
    expect([...traceIds]).toEqual([root.traceId]);

    const trace = await get<TracesBody>(`/api/v3/traces/${root.traceId}`);
    expect(trace.status).toBe(200);
    expectReadableByClients(trace.body);
    const stored = spans.filter((s) => s.traceId === root.traceId);
    expect(allSpans(trace.body)).toHaveLength(stored.length);
    const rootSpan = allSpans(trace.body).find((s) => s.spanId === root.spanId);
    expect(rootSpan).toMatchObject({
      name: 'Deployment rollout',
      startTimeUnixNano: String(BigInt(root.startMs) * 1_000_000n),
    });
    expect(rootSpan?.parentSpanId).toBeUndefined();
    // One resourceSpans per distinct resource of the trace (kubelets of two nodes are two), each named.
    const resources = trace.body.result?.resourceSpans ?? [];
    const keys = resources.map((r) =>
      JSON.stringify([...(r.resource.attributes ?? [])].sort((a, b) => a.key.localeCompare(b.key))),
    );
    expect(new Set(keys).size).toBe(resources.length);
    expect(resources.map(serviceOf)).toContain('kube-controller-manager');
    expect(resources.every((r) => serviceOf(r) !== undefined)).toBe(true);
  });

  it('lists trace summaries for the current search page (query.span_name)', async () => {
    const params = new URLSearchParams();
    params.set('query.service_name', 'kube-controller-manager');
    params.set('query.span_name', 'Deployment rollout');
    params.set('query.start_time_min', new Date(t0Ms - 3600_000).toISOString());
    params.set('query.start_time_max', new Date(t0Ms + 3 * 3600_000).toISOString());
    params.set('query.num_traces', '20');
    const { status, body } = await get<{ summaries: Record<string, unknown>[] }>(
      `/api/v3/trace-summaries?${params.toString()}`,
    );
    expect(status).toBe(200);
    expect(body.summaries).toHaveLength(1);
    const s = body.summaries[0];
    expect(s).toMatchObject({
      traceId: root.traceId,
      rootServiceName: 'kube-controller-manager',
      rootOperationName: 'Deployment rollout',
      spanCount: spans.filter((x) => x.traceId === root.traceId).length,
    });
    expect(BigInt(String(s?.['minStartTimeUnixNano']))).toBe(BigInt(Math.round(root.startMs * 1000)) * 1000n);
  });
});

describe('Jaeger query API v3 — Grafana gRPC mode', () => {
  it('lists services and operations as its Go types decode them', async () => {
    const services = await get<{ services: string[] }>('/api/v3/services');
    expect(services.body.services.length).toBeGreaterThan(0);
    const ops = await get<{ operations: { name: string; spanKind: string }[] }>(
      `/api/v3/operations?${new URLSearchParams({ service: 'kubelet' }).toString()}`,
    );
    expect(ops.body.operations.map((o) => o.name)).toContain('patch pods/status');
  });

  it('searches with logfmt tags as a JSON map and raw RFC3339Nano times, even with a + offset', async () => {
    const pod = spans.find((s) => s.name === 'pod startup');
    const podName = String(pod?.attributes[ATTR.podName]);
    const encoded = new URLSearchParams({
      'query.attributes': JSON.stringify({ [ATTR.podName]: podName }),
      'query.duration_min': '1ms',
      'query.service_name': 'kubelet',
    }).toString();
    const start = goRfc3339Nano(t0Ms - 3600_000 + 500, 60);
    const end = goRfc3339Nano(t0Ms + 3 * 3600_000, 60);
    expect(start).toContain('+01:00');
    const { status, body } = await get<TracesBody>(
      `/api/v3/traces?${encoded}&query.start_time_min=${start}&query.start_time_max=${end}`,
    );
    expect(status).toBe(200);
    expectReadableByClients(body);
    expect(allSpans(body).map((s) => s.traceId)).toContain(root.traceId);

    const byId = await get<TracesBody>(
      `/api/v3/traces/${encodeURIComponent(root.traceId)}?start_time=${goRfc3339Nano(t0Ms)}&end_time=${goRfc3339Nano(t0Ms + 3600_000)}`,
    );
    expect(byId.status).toBe(200);
    expect(allSpans(byId.body).length).toBeGreaterThan(1);
  });

  it('answers an empty search with no resourceSpans, and errors in the grpc-gateway envelope', async () => {
    const later = new Date(Date.now() + 86_400_000).toISOString();
    const empty = await get<TracesBody>(
      `/api/v3/traces?query.service_name=kubelet&query.start_time_min=${later}&query.start_time_max=${later}`,
    );
    expect(empty).toEqual({ status: 200, body: { result: { resourceSpans: [] } } });

    const missing = await get<TracesBody>(`/api/v3/traces/${'ab'.repeat(16)}`);
    expect(missing.status).toBe(404);
    expect(missing.body.error).toMatchObject({ httpCode: 404 });

    const badTime = await get<TracesBody>('/api/v3/traces?query.service_name=kubelet&query.start_time_min=yesterday');
    expect(badTime.status).toBe(400);
    expect(badTime.body.error?.message).toContain('query.start_time_min');

    const badDuration = await get<TracesBody>('/api/v3/traces?query.duration_min=10 seconds');
    expect(badDuration.status).toBe(400);
    const badAttributes = await get<TracesBody>('/api/v3/traces?query.attributes=%7Bnope');
    expect(badAttributes.status).toBe(400);
    const badId = await get<TracesBody>('/api/v3/traces/not-hex');
    expect(badId.status).toBe(400);
    const unknown = await get<TracesBody>('/api/v3/nothing');
    expect(unknown.status).toBe(404);
  });
});

describe('v1 processes', () => {
  it('gives one process per distinct resource even when attribute order differs', () => {
    const stored = spans.filter((s) => s.traceId === root.traceId);
    const reordered = stored.map((s, i) =>
      i % 2 === 0
        ? s
        : { ...s, resource: { attributes: Object.fromEntries(Object.entries(s.resource.attributes).reverse()) } },
    );
    const trace = toJaegerTrace(reordered);
    const distinct = new Set(stored.map((s) => JSON.stringify(Object.entries(s.resource.attributes).sort())));
    expect(Object.keys(trace.processes)).toHaveLength(distinct.size);
  });
});
