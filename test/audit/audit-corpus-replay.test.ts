import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeOtlpJson } from '../../src/export/otlp-json.js';
import type { SpanData } from '../../src/model/span.js';
import { synthesizeRecords } from '../../src/replay.js';
import { readRecording } from '../../src/sources/recording/read-recording.js';
import { CORPUS, corpusPath } from '../support/corpus.js';
import { checkInvariants } from '../support/invariants.js';

const DERIVED = corpusPath(`${CORPUS.derived}audit-events.DERIVED.jsonl`);
const MUTATING = new Set(['create', 'update', 'patch', 'delete', 'deletecollection']);

interface RawAudit {
  auditID: string;
  stage: string;
  verb: string;
  user: { username: string };
  objectRef?: { resource?: string };
  requestObject?: { data?: Record<string, string>; stringData?: Record<string, string> };
  responseObject?: { data?: Record<string, string> };
}

async function auditOnlyRecording(extraLines: readonly string[] = []): Promise<{ dir: string; raw: RawAudit[] }> {
  const text = await readFile(DERIVED, 'utf8');
  const dir = await mkdtemp(join(tmpdir(), 'ks-audit-'));
  await writeFile(join(dir, 'audit.log'), text + extraLines.join('\n') + (extraLines.length > 0 ? '\n' : ''));
  const raw = text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as RawAudit);
  return { dir, raw };
}

async function replay(dir: string): Promise<SpanData[]> {
  return synthesizeRecords((await readRecording(dir)).records, { cluster: 'corpus' }).flat();
}

describe('audit-only replay of the real audit corpus', () => {
  it('makes exactly one span per mutating ResponseComplete request, carrying its audit-id', async () => {
    const { dir, raw } = await auditOnlyRecording();
    const requests = new Set(
      raw.filter((e) => e.stage === 'ResponseComplete' && MUTATING.has(e.verb)).map((e) => e.auditID),
    );
    const spans = await replay(dir);
    const auditSpans = spans.filter((s) => s.attributes['audit-id'] !== undefined);
    // Two Falco fixtures reuse an auditID: one request each, so 48 requests from 50 lines.
    expect(requests.size).toBe(48);
    expect(auditSpans).toHaveLength(requests.size);
    expect(new Set(auditSpans.map((s) => s.attributes['audit-id']))).toEqual(requests);
    expect(checkInvariants(spans)).toEqual([]);
  });

  it('names the actor of each request as DESIGN §3.3 says', async () => {
    const { dir } = await auditOnlyRecording();
    const spans = (await replay(dir)).filter((s) => s.attributes['audit-id'] !== undefined);
    const byUser = (user: string): SpanData[] => spans.filter((s) => s.attributes['kubestitch.audit.user'] === user);
    const rsCreates = byUser('system:serviceaccount:kube-system:replicaset-controller');
    expect(rsCreates.length).toBeGreaterThan(0);
    for (const s of rsCreates) {
      expect(s.resource.attributes['service.name']).toBe('kube-controller-manager');
      expect(s.resource.attributes['kubestitch.controller.name']).toBe('replicaset-controller');
      expect(s.name).toBe('create pods');
    }
    const scheduler = byUser('system:kube-scheduler');
    expect(scheduler.map((s) => s.resource.attributes['service.name'])).toEqual(['kube-scheduler']);
    const kubelet = spans.filter((s) => String(s.attributes['kubestitch.audit.user']).startsWith('system:node:'));
    expect(kubelet.length).toBeGreaterThan(0);
    for (const s of kubelet) {
      expect(s.resource.attributes['service.name']).toBe('kubelet');
      expect(s.resource.attributes['k8s.node.name']).toBe(String(s.attributes['kubestitch.audit.user']).slice(12));
    }
  });

  it('marks a request answered with a code of 400 or more as ERROR', async () => {
    const denied = {
      kind: 'Event',
      apiVersion: 'audit.k8s.io/v1',
      level: 'Metadata',
      auditID: '00000000-0000-4000-8000-000000000403',
      stage: 'ResponseComplete',
      requestURI: '/apis/apps/v1/namespaces/shop/deployments/web',
      verb: 'patch',
      user: { username: 'alice', groups: ['system:authenticated'] },
      sourceIPs: ['10.0.0.7'],
      userAgent: 'kubectl/v1.31.2 (linux/amd64) kubernetes/5864a46',
      objectRef: { resource: 'deployments', namespace: 'shop', name: 'web', apiGroup: 'apps', apiVersion: 'v1' },
      responseStatus: { metadata: {}, status: 'Failure', reason: 'Forbidden', code: 403 },
      requestReceivedTimestamp: '2026-03-01T10:00:00.100000Z',
      stageTimestamp: '2026-03-01T10:00:00.104000Z',
    };
    const { dir } = await auditOnlyRecording([JSON.stringify(denied)]);
    const span = (await replay(dir)).find((s) => s.attributes['audit-id'] === denied.auditID);
    expect(span?.status).toEqual({ code: 'error', message: '403 Forbidden' });
    expect(span?.resource.attributes['service.name']).toBe('kubectl');
    expect(span?.attributes['enduser.id']).toBe('alice');
    expect(span?.endMs).toBeCloseTo(span === undefined ? 0 : span.startMs + 4, 6);
  });

  it('lets no ConfigMap or Secret value of the input reach the output', async () => {
    const { dir, raw } = await auditOnlyRecording();
    const secrets: string[] = [];
    for (const e of raw) {
      const resource = e.objectRef?.resource;
      if (resource !== 'configmaps' && resource !== 'secrets') continue;
      for (const body of [e.requestObject, e.responseObject]) {
        const data = { ...(body?.data ?? {}), ...((body as RawAudit['requestObject'])?.stringData ?? {}) };
        for (const v of Object.values(data)) if (typeof v === 'string' && v.length >= 4) secrets.push(v);
      }
    }
    expect(secrets.length).toBeGreaterThan(3);
    const spans = await replay(dir);
    expect(checkInvariants(spans, secrets)).toEqual([]);
    const encoded = encodeOtlpJson(spans);
    for (const v of secrets) expect(encoded.includes(v), v.slice(0, 8)).toBe(false);
  });

  it('gives identical OTLP bytes on two replays', async () => {
    const { dir } = await auditOnlyRecording();
    const a = synthesizeRecords((await readRecording(dir)).records, { cluster: 'corpus' }).map((b) =>
      encodeOtlpJson(b),
    );
    const b = synthesizeRecords((await readRecording(dir)).records, { cluster: 'corpus' }).map((b) =>
      encodeOtlpJson(b),
    );
    expect(b).toEqual(a);
  });
});
