import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { decodeOtlpJsonLine } from '../support/otlp-json-decode.js';
import { parseTimeMs } from '../../src/model/kube-json.js';
import type { SpanData } from '../../src/model/span.js';
import { runScenario, writeRecording } from '../../tools/sim/index.js';
import { apiserverTrace, kubeletSync } from './real-spans.js';

interface SimAudit {
  auditID: string;
  verb: string;
  user: { username: string };
  objectRef: { resource: string; namespace: string };
  requestURI: string;
  userAgent: string;
  requestReceivedTimestamp: string;
  stageTimestamp: string;
  responseObject?: { metadata: { uid: string; name: string } };
}

// `kubestitch replay` of a simulated rolling update whose directory also holds real apiserver and
// kubelet spans (spans.jsonl): the real traces end up inside the synthesized one.
async function recordingWithRealSpans(mode: string[]): Promise<{ spans: SpanData[]; auditId: string; podUid: string }> {
  const rec = runScenario('rolling-update');
  const dir = await mkdtemp(join(tmpdir(), 'ks-stitch-cli-'));
  await writeRecording(dir, rec);
  const create = (rec.audit as unknown as SimAudit[]).find(
    (a) => a.verb === 'create' && a.objectRef.resource === 'pods' && a.user.username.endsWith(':replicaset-controller'),
  );
  if (create?.responseObject === undefined) throw new Error('scenario has no pod create');
  const received = parseTimeMs(create.requestReceivedTimestamp) ?? 0;
  const stage = parseTimeMs(create.stageTimestamp) ?? 0;
  const api = apiserverTrace({
    label: 'cli-create',
    auditId: create.auditID,
    method: 'POST',
    path: create.requestURI,
    userAgent: create.userAgent,
    startMs: received + 0.2,
    endMs: stage - 0.2,
    status: 201,
    auditIdOn: 'top-and-handler',
  });
  const pod = create.responseObject.metadata;
  const sync = kubeletSync(
    'cli-sync',
    'syncPod',
    { uid: pod.uid, name: pod.name, namespace: create.objectRef.namespace },
    stage + 100,
    stage + 2000,
  );
  await writeFile(join(dir, 'spans.jsonl'), `${JSON.stringify(api.request)}\n${JSON.stringify(sync.request)}\n`);
  const out = join(dir, 'out.jsonl');
  const io = { out: () => undefined, err: () => undefined };
  expect(await main(['replay', dir, '--out', out, ...mode], io)).toBe(0);
  const spans = (await readFile(out, 'utf8'))
    .trim()
    .split('\n')
    .flatMap((l) => decodeOtlpJsonLine(l));
  return { spans, auditId: create.auditID, podUid: pod.uid };
}

describe('kubestitch replay with spans.jsonl', () => {
  it('re-parents the apiserver trace under the controller request and syncPod under the pod startup', async () => {
    const { spans, auditId, podUid } = await recordingWithRealSpans([]);
    const pseudo = spans.find((s) => s.attributes['audit-id'] === auditId && s.name === 'create pods');
    const top = spans.find(
      (s) => s.attributes['audit-id'] === auditId && s.spanId !== pseudo?.spanId && s.kind === 'server',
    );
    expect(pseudo).toBeDefined();
    expect(top?.traceId).toBe(pseudo?.traceId);
    expect(top?.parentSpanId).toBe(pseudo?.spanId);
    expect(top?.attributes['kubestitch.original_trace_id']).toMatch(/^[0-9a-f]{32}$/);
    const startup = spans.find((s) => s.name === 'pod startup' && s.attributes['k8s.pod.uid'] === podUid);
    const syncPod = spans.find((s) => s.name === 'syncPod');
    expect(syncPod?.traceId).toBe(startup?.traceId);
    expect(syncPod?.parentSpanId).toBe(startup?.spanId);
    // The whole rollout is still one trace holding both.
    const rollout = spans.find((s) => s.name === 'Deployment rollout');
    expect(top?.traceId).toBe(rollout?.traceId);
  });

  it('in link mode leaves the real spans in their own traces and links the pseudo-span to them', async () => {
    const { spans, auditId } = await recordingWithRealSpans(['--stitch', 'link']);
    const pseudo = spans.find((s) => s.attributes['audit-id'] === auditId && s.name === 'create pods');
    const top = spans.find(
      (s) => s.attributes['audit-id'] === auditId && s.spanId !== pseudo?.spanId && s.kind === 'server',
    );
    expect(top?.traceId).not.toBe(pseudo?.traceId);
    expect(top?.attributes['kubestitch.original_trace_id']).toBeUndefined();
    expect(pseudo?.links.map((l) => l.spanId)).toContain(top?.spanId);
  });
});
