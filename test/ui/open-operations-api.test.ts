import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStore, TraceStore } from '../../storage/index.js';
import { ATTR } from '../../src/model/attributes.js';
import type { SpanData } from '../../src/model/span.js';
import type { JaegerSpan, JaegerTrace } from '../../src/ui/jaeger-model.js';
import type { OpenOperation } from '../../src/ui/open-operations.js';
import type { UiServer } from '../../src/ui/ui-server.js';
import { startUiServer } from '../../src/ui/ui-server.js';
import { FakeOpenOperations } from './fake-open-operations.js';
import { rolloutBatches, rolloutRoot } from './rollout-fixture.js';

interface Envelope<T> {
  data: T;
  errors: { code: number; msg: string }[] | null;
}

const ONLY_OPEN_TRACE = 'c'.repeat(32);

let store: TraceStore;
let live: UiServer;
let replay: UiServer;
let root: SpanData;
/** A pod startup of the rollout that is both stored (ended) and still offered as open. */
let endedPod: SpanData;
let nowMs: number;

async function get<T>(server: UiServer, path: string): Promise<{ status: number; body: Envelope<T> }> {
  const res = await fetch(`${server.url}${path}`);
  return { status: res.status, body: (await res.json()) as Envelope<T> };
}

function tag(span: JaegerSpan, key: string): unknown {
  return span.tags.find((t) => t.key === key)?.value;
}

beforeAll(async () => {
  const spans = (await rolloutBatches()).flat();
  root = rolloutRoot(spans);
  const pod = spans.find((s) => s.traceId === root.traceId && s.name === 'pod startup');
  if (pod === undefined) throw new Error('the rollout has no pod startup');
  endedPod = pod;
  nowMs = root.endMs + 60_000;
  store = await TraceStore.open(new MemoryStore());
  // In progress: everything but the rollout root has ended and been written.
  await store.write(spans.filter((s) => s.spanId !== root.spanId));
  const onlyOpen: SpanData = { ...root, traceId: ONLY_OPEN_TRACE, name: 'StatefulSet rollout' };
  const source = new FakeOpenOperations(
    [root, endedPod, onlyOpen],
    new Map([[root.spanId, 'pod web-7c94-x2: readiness (unready 4m12s)']]),
  );
  live = await startUiServer({ store, addr: '127.0.0.1:0', openOperations: source, nowMs: () => nowMs });
  replay = await startUiServer({ store, addr: '127.0.0.1:0' });
});

afterAll(async () => {
  await live?.close();
  await replay?.close();
  await store?.close();
});

describe('GET /api/open-operations', () => {
  it('lists the open operations with what each waits on, oldest first', async () => {
    const { status, body } = await get<OpenOperation[]>(live, '/api/open-operations');
    expect(status).toBe(200);
    expect(body.data.map((o) => o.operation)).toEqual(['Deployment rollout', 'StatefulSet rollout']);
    expect(body.data[0]).toEqual({
      traceID: root.traceId,
      spanID: root.spanId,
      operation: 'Deployment rollout',
      kind: 'Deployment',
      namespace: 'shop',
      name: 'web',
      startTime: Math.floor(root.startMs * 1000),
      elapsedMs: nowMs - root.startMs,
      waitingOn: 'pod web-7c94-x2: readiness (unready 4m12s)',
    });
  });

  it('answers an empty list without a source (replay, serve, demo)', async () => {
    const { status, body } = await get<OpenOperation[]>(replay, '/api/open-operations');
    expect(status).toBe(200);
    expect(body.data).toEqual([]);
  });

  it('is read-only', async () => {
    const res = await fetch(`${live.url}/api/open-operations`, { method: 'POST' });
    expect(res.status).toBe(405);
  });
});

describe('GET /api/traces/{id} with open spans', () => {
  it('merges the open root, drawn to now and marked open, with the stored spans', async () => {
    const { status, body } = await get<JaegerTrace[]>(live, `/api/traces/${root.traceId}`);
    expect(status).toBe(200);
    const trace = body.data[0];
    const openRoot = trace?.spans.find((s) => s.spanID === root.spanId);
    expect(openRoot).toBeDefined();
    expect(openRoot && tag(openRoot, ATTR.open)).toBe(true);
    expect(openRoot?.duration).toBe(Math.round((nowMs - root.startMs) * 1000));
    const stored = await store.getTrace(root.traceId);
    expect(trace?.spans.length).toBe((stored?.length ?? 0) + 1);
  });

  it('keeps the stored span when a span id is both stored and open', async () => {
    const { body } = await get<JaegerTrace[]>(live, `/api/traces/${root.traceId}`);
    const pods = body.data[0]?.spans.filter((s) => s.spanID === endedPod.spanId) ?? [];
    expect(pods).toHaveLength(1);
    expect(pods[0] && tag(pods[0], ATTR.open)).toBeUndefined();
    expect(pods[0]?.duration).toBe(Math.round((endedPod.endMs - endedPod.startMs) * 1000));
  });

  it('finds a trace that has only open spans', async () => {
    const { status, body } = await get<JaegerTrace[]>(live, `/api/traces/${ONLY_OPEN_TRACE}`);
    expect(status).toBe(200);
    expect(body.data[0]?.spans.map((s) => s.operationName)).toEqual(['StatefulSet rollout']);
    expect((await get<JaegerTrace[]>(replay, `/api/traces/${ONLY_OPEN_TRACE}`)).status).toBe(404);
  });

  it('merges them the same in Jaeger API v3 (OTLP/JSON), as Grafana reads it in gRPC mode', async () => {
    const res = await fetch(`${live.url}/api/v3/traces/${root.traceId}`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      result: { resourceSpans: { scopeSpans: { spans: { spanId: string; attributes: { key: string }[] }[] }[] }[] };
    };
    const spans = body.result.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans));
    const stored = await store.getTrace(root.traceId);
    expect(spans).toHaveLength((stored?.length ?? 0) + 1);
    const openRoot = spans.filter((s) => s.attributes.some((a) => a.key === ATTR.open));
    expect(openRoot).toHaveLength(1);
    expect((await fetch(`${live.url}/api/v3/traces/${ONLY_OPEN_TRACE}`)).status).toBe(200);
    expect((await fetch(`${replay.url}/api/v3/traces/${ONLY_OPEN_TRACE}`)).status).toBe(404);
  });

  it('rejects a malformed trace id with 400', async () => {
    const { status, body } = await get<JaegerTrace[]>(live, '/api/traces/not-a-trace-id');
    expect(status).toBe(400);
    expect(body.errors?.[0]?.code).toBe(400);
  });
});
