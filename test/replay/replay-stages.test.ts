import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { traceRequestToSpanData } from '../../src/export/otlp-to-span-data.js';
import type { IngestRecord } from '../../src/model/records.js';
import type { SpanData } from '../../src/model/span.js';
import { synthesizeRecords } from '../../src/replay.js';
import { type ReplayOutput, ReplayStages, type ReplayStagesOptions } from '../../src/replay/replay-stages.js';
import { readRecordedSpans } from '../../src/sources/otlp/recorded-spans.js';
import { readRecording } from '../../src/sources/recording/read-recording.js';
import type { StitchStats } from '../../src/stitch/stitch-types.js';
import { flattenRequest } from '../../src/stitch/span-entries.js';
import { CORPUS, readCorpusText } from '../support/corpus.js';
import { checkInvariants } from '../support/invariants.js';
import { renderTraces } from '../support/render-trace.js';
import { attrMap, bySpanId, entriesOf, hex, spanBytes, withCluster } from '../stitch/capture-batches.js';
import { apiserverTrace, containerdBatch, etcdServerBatch, kubeletSync, ms, toRequest } from '../stitch/real-spans.js';

// The replicaset-controller's pod create in the real audit corpus, and the pod it made.
const RS_CREATE = '24142dcc-7ad8-4fb8-8d3b-106ea474759d';
const POD = {
  uid: 'd7afa813-d8fe-11e8-a2e6-080027728ac4',
  name: 'nginx-deployment-754c877bcd-zh5qx',
  namespace: 'default',
};
// kubectl creating a Secret on a v1.17 apiserver, whose spans carry no audit-id.
const KUBECTL_CREATE = '55a81824-ab56-46c5-8b02-96336f5e78d7';

const created = apiserverTrace({
  label: 'rs-create',
  auditId: RS_CREATE,
  method: 'POST',
  path: '/api/v1/namespaces/default/pods',
  userAgent:
    'kube-controller-manager/v1.12.1 (linux/amd64) kubernetes/4ed3216/system:serviceaccount:kube-system:replicaset-controller',
  startMs: ms('2018-10-26T09:09:28.664442Z'),
  endMs: ms('2018-10-26T09:09:28.675492Z'),
  status: 201,
  auditIdOn: 'top-and-handler',
});
const etcd = etcdServerBatch(created.traceId, created.etcdClientSpanId, created.etcdWindow);
const synced = kubeletSync('rs-pod-sync', 'syncPod', POD, ms('2018-10-26T09:09:29.9Z'), ms('2018-10-26T09:09:33.4Z'));
const containerd = containerdBatch(synced.traceId, synced.createContainerSpanId, synced.createWindow);
const unmatched = apiserverTrace({
  label: 'pod-get',
  auditId: 'c0ffee00-0000-4000-8000-000000000001',
  method: 'GET',
  path: `/api/v1/namespaces/default/pods/${POD.name}`,
  userAgent: 'kubelet/v1.12.1 (linux/amd64) kubernetes/4ed3216',
  startMs: ms('2018-10-26T09:09:30.1Z'),
  endMs: ms('2018-10-26T09:09:30.103Z'),
  status: 200,
  auditIdOn: 'top-and-handler',
});
const kubectl = apiserverTrace({
  label: 'kubectl-create-secret',
  auditId: KUBECTL_CREATE,
  method: 'POST',
  path: '/api/v1/namespaces/default/secrets',
  userAgent: 'kubectl/v1.17.3 (darwin/amd64) kubernetes/06ad960',
  startMs: ms('2020-04-21T17:57:05.541358Z'),
  endMs: ms('2020-04-21T17:57:05.548299Z'),
  status: 201,
  auditIdOn: 'none',
});
const LINES = [created.request, etcd, synced.request, containerd, unmatched.request, kubectl.request].map((r) =>
  JSON.stringify(r),
);
const INPUT = entriesOf(LINES.map((l) => toRequest(JSON.parse(l) as { resourceSpans: object[] })));

let records: readonly IngestRecord[] = [];

beforeAll(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ks-stitch-'));
  await writeFile(join(dir, 'audit.log'), await readCorpusText(`${CORPUS.derived}audit-events.DERIVED.jsonl`));
  records = (await readRecording(dir)).records;
});

interface Replayed {
  readonly outputs: readonly ReplayOutput[];
  readonly stats: StitchStats;
  readonly problems: ReturnType<typeof readRecordedSpans>['problems'];
}

// The records and span lines through the replay's stages, collecting what they release.
function run(lines: readonly string[], options: Partial<ReplayStagesOptions> = {}): Replayed {
  const outputs: ReplayOutput[] = [];
  // Always with the stitch stage, even for no lines: without real spans it must change nothing.
  const real = readRecordedSpans(lines);
  const stages = new ReplayStages(
    { cluster: 'corpus', memoryMax: 1_000, ...options },
    real.batches,
    records[0]?.timeMs,
    (o) => outputs.push(o),
  );
  for (const record of records) stages.record(record);
  const stats = stages.finish();
  return { outputs, stats, problems: real.problems };
}

function spanBatches(outputs: readonly ReplayOutput[]): SpanData[][] {
  return outputs
    .map((o) => (o.kind === 'synth' ? o.spans : traceRequestToSpanData(o.batch.request).spans))
    .filter((b) => b.length > 0);
}

function synthSpans(outputs: readonly ReplayOutput[]): SpanData[] {
  return outputs.flatMap((o) => (o.kind === 'synth' ? o.spans : []));
}

function realEntries(outputs: readonly ReplayOutput[]): ReturnType<typeof entriesOf> {
  return outputs.flatMap((o) => (o.kind === 'real' ? flattenRequest(o.batch.request) : []));
}

function auditSpan(spans: readonly SpanData[], auditId: string): SpanData {
  const span = spans.find((s) => s.attributes['audit-id'] === auditId);
  if (span === undefined) throw new Error(`no pseudo-span for audit ${auditId}`);
  return span;
}

describe('ReplayStages', () => {
  describe('in reparent mode', () => {
    it('puts the apiserver trace of the replicaset-controller pod create under its audit pseudo-span', () => {
      const { outputs, stats } = run(LINES);
      const pseudo = auditSpan(synthSpans(outputs), RS_CREATE);
      const real = bySpanId(realEntries(outputs));
      const top = real.get(created.topSpanId)?.span;
      expect(hex(top?.traceId)).toBe(pseudo.traceId);
      expect(hex(top?.parentSpanId)).toBe(pseudo.spanId);
      const etcdServer = [...real.values()].find(
        (e) => e.resourceSpans.resource?.attributes[0]?.value?.stringValue === 'etcd',
      );
      expect(hex(etcdServer?.span.traceId)).toBe(pseudo.traceId);
      expect(hex(etcdServer?.span.parentSpanId)).toBe(created.etcdClientSpanId);
      expect(stats.matchedTraces).toEqual({ 'audit-id': 1, 'pod-uid': 1, 'http-request': 1 });
    });

    it('puts kubelet syncPod under the pod startup, with containerd following', () => {
      const { outputs } = run(LINES);
      const startup = synthSpans(outputs).find(
        (s) => s.attributes['kubestitch.operation'] === 'pod.startup' && s.attributes['k8s.pod.uid'] === POD.uid,
      );
      const real = bySpanId(realEntries(outputs));
      expect(hex(real.get(synced.syncSpanId)?.span.parentSpanId)).toBe(startup?.spanId);
      const fromContainerd = [...real.values()].filter(
        (e) => e.resourceSpans.resource?.attributes[0]?.value?.stringValue === 'containerd',
      );
      expect(fromContainerd.map((e) => hex(e.span.traceId))).toEqual([startup?.traceId]);
      expect(fromContainerd.map((e) => hex(e.span.parentSpanId))).toEqual([synced.createContainerSpanId]);
    });

    it('matches the v1.17 apiserver trace without audit-id by the http-request rule', () => {
      const { outputs } = run(LINES);
      const pseudo = auditSpan(synthSpans(outputs), KUBECTL_CREATE);
      const top = bySpanId(realEntries(outputs)).get(kubectl.topSpanId)?.span;
      expect(hex(top?.parentSpanId)).toBe(pseudo.spanId);
      expect(attrMap(top ?? { attributes: [], events: [], links: [] })['kubestitch.stitch.rule']).toEqual({
        stringValue: 'http-request',
      });
    });

    it('passes the unmatched apiserver trace through untouched but for the cluster on its resource', () => {
      const { outputs } = run(LINES);
      const real = bySpanId(realEntries(outputs));
      const input = bySpanId(INPUT);
      for (const id of [unmatched.topSpanId, unmatched.handlerSpanId, unmatched.etcdClientSpanId]) {
        const out = real.get(id);
        const original = input.get(id);
        expect(out && spanBytes(out)).toEqual(original && spanBytes(withCluster(original, 'corpus')));
      }
    });

    it('releases every real span exactly once, with all its attributes', () => {
      const { outputs, stats } = run(LINES);
      const real = bySpanId(realEntries(outputs));
      const input = bySpanId(INPUT);
      expect([...real.keys()].sort()).toEqual([...input.keys()].sort());
      for (const [id, original] of input) {
        const kept = (real.get(id)?.span.attributes ?? []).filter((kv) => !kv.key?.startsWith('kubestitch.'));
        expect(kept).toEqual(original.span.attributes);
      }
      expect(stats.spansIn).toBe(INPUT.length);
      expect(stats.spansOut).toBe(INPUT.length);
    });

    it('renders the same stitched pod trace whatever order the span batches were recorded in', () => {
      const render = (lines: readonly string[]): string => {
        const { outputs } = run(lines);
        const spans = spanBatches(outputs).flat();
        const startup = auditSpan(spans, RS_CREATE);
        const trace = spans.filter((s) => s.traceId === startup.traceId);
        expect(checkInvariants(trace)).toEqual([]);
        return renderTraces(trace);
      };
      const expected = render(LINES);
      expect(expected).toBe(
        [
          'pod startup [kube-scheduler] +0.000s 3600.011s outcome=unfinished pod.name=nginx-deployment-754c877bcd-zh5qx container.restart_count=0 object.name=nginx-deployment-754c877bcd-zh5qx',
          '  create pods [kube-controller-manager/replicaset-controller] +0.000s 0.011s outcome=ok',
          '    POST /api/v1/namespaces/{:namespace}/pods [apiserver] +0.000s 0.011s',
          '      Create [apiserver] +0.002s 0.008s events=[About to convert to expected version, Conversion done, About to store object in database, Write to database call succeeded]',
          '        etcdserverpb.KV/Txn [apiserver] +0.006s 0.003s events=[message, message]',
          '          etcdserverpb.KV/Txn [etcd] +0.006s 0.003s',
          '  schedule [kube-scheduler] +0.000s 3600.011s outcome=failed pod.name=nginx-deployment-754c877bcd-zh5qx ERROR(pod was not scheduled)',
          '  syncPod [kubelet] +1.236s 3.500s pod.name=nginx-deployment-754c877bcd-zh5qx',
          '    runtime.v1.RuntimeService/RunPodSandbox [kubelet] +1.411s 0.875s',
          '    runtime.v1.ImageService/PullImage [kubelet] +2.286s 0.875s',
          '    runtime.v1.RuntimeService/CreateContainer [kubelet] +3.336s 0.700s',
          '      runtime.v1.RuntimeService/CreateContainer [containerd] +3.371s 0.630s',
          '    runtime.v1.RuntimeService/StartContainer [kubelet] +4.106s 0.455s',
          '',
        ].join('\n'),
      );
      expect(render([...LINES].reverse())).toBe(expected);
      expect(render([LINES[3], LINES[1], LINES[5], LINES[0], LINES[2], LINES[4]].map(String))).toBe(expected);
    });

    it('gives exactly the batches of synthesizeRecords when the recording has no spans.jsonl', () => {
      const batches = spanBatches(run([]).outputs);
      expect(JSON.stringify(batches)).toBe(JSON.stringify(synthesizeRecords(records, { cluster: 'corpus' })));
    });

    it('gives identical outputs for identical input', () => {
      expect(JSON.stringify(run(LINES).outputs)).toBe(JSON.stringify(run(LINES).outputs));
    });

    it('reports a malformed line and keeps going', () => {
      const { problems, stats } = run([...LINES, '{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"xyz"}]}]}]}']);
      expect(problems).toEqual([
        { line: 7, reason: 'resourceSpans[0].scopeSpans[0].spans[0].traceId: expected hex, got "xyz"' },
      ]);
      expect(stats.spansOut).toBe(INPUT.length);
    });
  });

  describe('in link mode', () => {
    it('changes no real span (but for the cluster on its resource) and links the audit pseudo-span to the apiserver trace', () => {
      const { outputs, stats } = run(LINES, { mode: 'link' });
      const real = bySpanId(realEntries(outputs));
      for (const [id, original] of bySpanId(INPUT)) {
        const out = real.get(id);
        expect(out && spanBytes(out)).toEqual(spanBytes(withCluster(original, 'corpus')));
      }
      const pseudo = auditSpan(synthSpans(outputs), RS_CREATE);
      expect(pseudo.links).toContainEqual({
        traceId: created.traceId,
        spanId: created.topSpanId,
        attributes: { 'kubestitch.stitch.rule': 'audit-id' },
      });
      // The pod startup waits for its ReplicaSet's operation (ADR 0004): its anchor is announced
      // when its place is final, after kubelet's spans came, so it takes the link then.
      const startup = synthSpans(outputs).find(
        (s) => s.name === 'pod startup' && s.attributes['k8s.pod.uid'] === POD.uid,
      );
      expect(startup?.links.map((l) => l.traceId)).toContain(synced.traceId);
      expect(stats.linksMissed).toBe(0);
    });
  });
});
