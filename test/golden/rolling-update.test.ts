import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { CaptureSink } from '../../src/export/capture-sink.js';
import { decodeOtlpJsonLine } from '../support/otlp-json-decode.js';
import { msToUnixNanos } from '../../src/export/otlp-common.js';
import type { SpanData } from '../../src/model/span.js';
import { replayDirectory } from '../../src/replay.js';
import { runScenario, writeRecording } from '../../tools/sim/index.js';
import { pulledDurationMs } from '../../src/synth/pod-event-placement.js';
import { OtlpGrpcReceiver } from '../support/otlp-grpc-receiver.js';

// The Core issue's acceptance scenario: a rolling update recorded as watch events + Events only.
async function rollingUpdateDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ks-ru-'));
  await writeRecording(dir, { ...runScenario('rolling-update'), audit: [] });
  return dir;
}

describe('rolling update from watch events and Events only', () => {
  let spans: SpanData[] = [];
  let dir = '';
  beforeAll(async () => {
    dir = await rollingUpdateDir();
    // Through the path `kubestitch replay` takes (replayDirectory).
    const sink = new CaptureSink();
    await replayDirectory(dir, sink, { cluster: 'sim' });
    spans = [...sink.spans];
  });

  const byId = (id: string | undefined): SpanData | undefined => spans.find((s) => s.spanId === id);
  const rollout = (): SpanData => {
    const r = spans.filter((s) => s.name === 'Deployment rollout');
    expect(r).toHaveLength(1);
    return r[0] as SpanData;
  };

  it('is ONE trace: rollout → ReplicaSet scale up/down → pod startup/termination → phases', () => {
    const root = rollout();
    expect(root.parentSpanId).toBeUndefined();
    const inTrace = spans.filter((s) => s.traceId === root.traceId);
    const up = inTrace.filter((s) => s.name === 'ReplicaSet scale up');
    const down = inTrace.filter((s) => s.name === 'ReplicaSet scale down');
    expect(up).toHaveLength(1);
    expect(down).toHaveLength(1);
    for (const rs of [...up, ...down]) expect(rs.parentSpanId).toBe(root.spanId);
    expect(up[0]?.attributes['kubestitch.replicas.from']).toBe(0);
    expect(up[0]?.attributes['kubestitch.replicas.to']).toBe(3);
    expect(down[0]?.attributes['kubestitch.replicas.to']).toBe(0);
    const startups = inTrace.filter((s) => s.name === 'pod startup');
    const terminations = inTrace.filter((s) => s.name === 'pod termination');
    expect(startups).toHaveLength(3);
    expect(terminations).toHaveLength(3);
    // Each pod sits under its own ReplicaSet's scale span.
    for (const pod of [...startups, ...terminations]) {
      const parent = byId(pod.parentSpanId);
      expect(parent?.attributes['k8s.replicaset.name']).toBe(pod.attributes['k8s.replicaset.name']);
    }
    const phases = new Set(inTrace.filter((s) => byId(s.parentSpanId)?.name === 'pod startup').map((s) => s.name.split(' ')[0]));
    expect([...phases].sort()).toEqual(['pull', 'readiness', 'schedule', 'start']);
  });

  it('draws image pulls as long as kubelet reported them', () => {
    const pulls = spans.filter((s) => s.name.startsWith('pull '));
    expect(pulls.length).toBe(3);
    for (const p of pulls) {
      const pulled = p.events.find((e) => e.name === 'Pulled');
      const measured = pulledDurationMs(String(pulled?.attributes['kubestitch.event.note'] ?? ''));
      expect(measured).toBeDefined();
      expect(p.endMs - p.startMs).toBeCloseTo(measured ?? 0, 3);
    }
  });

  it('keeps every Kubernetes reason of the rollout as a span event in its trace', () => {
    const root = rollout();
    const reasons = new Set(
      spans.filter((s) => s.traceId === root.traceId).flatMap((s) => s.events.map((e) => e.attributes['kubestitch.event.reason'])),
    );
    for (const r of ['ScalingReplicaSet', 'SuccessfulCreate', 'SuccessfulDelete', 'Scheduled', 'Pulling', 'Pulled', 'Created', 'Started', 'Killing']) {
      expect(reasons.has(r), r).toBe(true);
    }
  });

  it('names the actors as resources', () => {
    const root = rollout();
    expect(root.resource.attributes['service.name']).toBe('kube-controller-manager');
    expect(root.resource.attributes['kubestitch.controller.name']).toBe('deployment-controller');
    const schedule = spans.find((s) => s.name === 'schedule');
    expect(schedule?.resource.attributes['service.name']).toBe('kube-scheduler');
    const pull = spans.find((s) => s.name.startsWith('pull '));
    expect(pull?.resource.attributes['service.name']).toBe('kubelet');
    expect(pull?.resource.attributes['k8s.node.name']).toMatch(/^node-\d$/);
  });
});

describe('replay export over OTLP gRPC', () => {
  const receiver = new OtlpGrpcReceiver();
  let url = '';
  beforeAll(async () => {
    url = (await receiver.start()).url;
  });
  afterAll(async () => {
    await receiver.stop();
  });

  it('delivers the same ids, parents, links, events and status as the file output', async () => {
    const dir = await rollingUpdateDir();
    const out = join(dir, 'spans.jsonl');
    const io = { out: () => undefined, err: () => undefined };
    expect(await main(['replay', dir, '--out', out, '--otlp-endpoint', url, '--cluster', 'sim'], io)).toBe(0);
    const fromFile = (await readFile(out, 'utf8')).trim().split('\n').flatMap((l) => decodeOtlpJsonLine(l));
    const received = receiver.spans();
    expect(received).toHaveLength(fromFile.length);
    const got = new Map(received.map((s) => [s.spanId, s]));
    for (const s of fromFile) {
      const r = got.get(s.spanId);
      expect(r, s.name).toBeDefined();
      expect(r?.traceId).toBe(s.traceId);
      expect(r?.parentSpanId).toBe(s.parentSpanId ?? '');
      expect(r?.name).toBe(s.name);
      expect(r?.startTimeUnixNano).toBe(msToUnixNanos(s.startMs).toString());
      expect(r?.endTimeUnixNano).toBe(msToUnixNanos(s.endMs).toString());
      expect(r?.links.map((l) => `${l.traceId}/${l.spanId}`)).toEqual(s.links.map((l) => `${l.traceId}/${l.spanId}`));
      expect(r?.events.map((e) => e.name)).toEqual(s.events.map((e) => e.name));
      expect(r?.status.code).toBe({ unset: 0, ok: 1, error: 2 }[s.status.code]);
      expect(r?.resource['k8s.cluster.name']).toBe('sim');
    }
    expect(received.some((s) => s.links.length > 0)).toBe(true);
    expect(received.some((s) => s.status.code === 1)).toBe(true);
  });
});
