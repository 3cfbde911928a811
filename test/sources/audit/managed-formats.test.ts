import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { encodeOtlpJson } from '../../../src/export/otlp-json.js';
import { ATTR } from '../../../src/model/attributes.js';
import type { SpanData } from '../../../src/model/span.js';
import { synthesizeRecords } from '../../../src/replay.js';
import { AuditFileFollower } from '../../../src/sources/audit/audit-file-follower.js';
import { expandAuditValue } from '../../../src/sources/audit/managed-formats.js';
import { readRecording } from '../../../src/sources/recording/read-recording.js';
import { CORPUS, readCorpusText } from '../../support/corpus.js';
import { checkInvariants } from '../../support/invariants.js';

const EKS = fileURLToPath(new URL('../../fixtures/eks/', import.meta.url));
const GKE_SAMPLES = [1, 2, 3].map((n) => `${CORPUS.khi}logs/k8s_audit/container_recorder_test_1_${n}.yaml`);
const dirs: string[] = [];

afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

async function replayText(text: string): Promise<{ spans: SpanData[]; problems: string[] }> {
  const dir = await mkdtemp(join(tmpdir(), 'ks-managed-'));
  dirs.push(dir);
  await writeFile(join(dir, 'audit.log'), text);
  const rec = await readRecording(dir);
  const spans = synthesizeRecords(rec.records, { cluster: 'managed' }).flat();
  return { spans, problems: rec.problems.map((p) => p.reason) };
}

/** The OTLP/JSON a replay exports, span by span, sorted: equal means the same trees, ids and attributes. */
function exported(spans: readonly SpanData[]): string[] {
  return spans.map((s) => encodeOtlpJson([s])).sort();
}

/** Every audited request a replay shows, as a span or as a span event, with its audit-id. */
function requests(spans: readonly SpanData[]): { id: string; name: string; attributes: Record<string, unknown> }[] {
  const all = [...spans, ...spans.flatMap((s) => s.events)];
  return all.flatMap((x) => {
    const id = x.attributes[ATTR.auditId];
    return typeof id === 'string' ? [{ id, name: x.name, attributes: x.attributes }] : [];
  });
}

async function gkeEntries(): Promise<unknown[]> {
  return Promise.all(GKE_SAMPLES.map(async (f) => parseYaml(await readCorpusText(f)) as unknown));
}

describe('AKS diagnostic-log records', () => {
  it('replays an Event Hubs {"records": […]} batch exactly like the audit events inside it', async () => {
    const text = await readCorpusText(`${CORPUS.aks}event.json`);
    const records = (JSON.parse(text) as { records: { properties: { log: string } }[] }).records;
    expect(records).toHaveLength(22);
    const native = records.map((r) => r.properties.log.trimEnd()).join('\n') + '\n';

    const fromAks = await replayText(text);
    const fromNative = await replayText(native);
    expect(fromAks.problems).toEqual([]);
    expect(fromAks.spans.length).toBeGreaterThan(0); // the one create among 17 gets and 4 watches
    expect(exported(fromAks.spans)).toEqual(exported(fromNative.spans));
    expect(checkInvariants(fromAks.spans)).toEqual([]);
  });

  it('reads the BOM-prefixed, pretty-printed single record and native event samples', async () => {
    const hub = await replayText(await readCorpusText(`${CORPUS.aks}sample_EventHubs_event.json`));
    expect(hub.problems).toEqual([]);
    const native = await replayText(await readCorpusText(`${CORPUS.aks}sample_KubeAuditLog_event.json`));
    expect(native.problems).toEqual([]);
    const update = native.spans.filter((s) => s.attributes[ATTR.auditId] !== undefined);
    expect(update.map((s) => s.name)).toEqual(['update controllerrevisions']);
    expect(update[0]?.resource.attributes[ATTR.serviceName]).toBe('kube-controller-manager');
  });

  it('counts a record of another category instead of reading it as audit', () => {
    const out = expandAuditValue({
      records: [{ category: 'kube-apiserver', properties: { log: 'I1107 started' } }],
    });
    expect(out).toEqual({
      events: [],
      problems: ['AKS records[0]: category "kube-apiserver" is not kube-audit'],
      format: 'aks',
    });
  });
});

describe('EKS CloudWatch Logs', () => {
  it('replays subscription envelopes and filter-log-events output like the audit events they carry', async () => {
    const native = await replayText(await readFile(join(EKS, 'audit-events.jsonl'), 'utf8'));
    const envelopes = await replayText(await readFile(join(EKS, 'cloudwatch-subscription.jsonl'), 'utf8'));
    const filtered = await replayText(await readFile(join(EKS, 'filter-log-events.json'), 'utf8'));
    expect(native.spans.filter((s) => s.attributes[ATTR.auditId] !== undefined)).toHaveLength(5);
    expect(exported(envelopes.spans)).toEqual(exported(native.spans));
    expect(exported(filtered.spans)).toEqual(exported(native.spans));
    expect(filtered.problems).toEqual([]);
    // The CONTROL_MESSAGE is skipped silently; the apiserver's own log stream is counted, not read.
    expect(envelopes.problems).toEqual([
      'CloudWatch logEvents[0]: log stream "kube-apiserver-0f1e2d3c4b5a69788796a5b4c3d2e1f0" is not a kube-apiserver-audit stream',
    ]);
  });

  it('names a message that is not JSON without quoting it', () => {
    const out = expandAuditValue({
      messageType: 'DATA_MESSAGE',
      logStream: 'kube-apiserver-audit-1',
      logEvents: [{ id: '1', timestamp: 1, message: '{"token": "s3cr3t' }],
    });
    expect(out.events).toEqual([]);
    expect(out.problems[0]).toMatch(/^CloudWatch logEvents\[0\]: malformed JSON/);
    expect(out.problems[0]).not.toContain('s3cr3t');
  });
});

describe('GKE Cloud Logging entries', () => {
  it('converts the AuditLog protoPayload back into the audit.k8s.io Event', async () => {
    const [create, status] = (await gkeEntries()).map((e) => expandAuditValue(e));
    expect(create?.format).toBe('gke');
    expect(create?.events[0]).toMatchObject({
      kind: 'Event',
      apiVersion: 'audit.k8s.io/v1',
      auditID: '85371f7c-2383-4041-96e8-dad63d2d1990',
      stage: 'ResponseComplete',
      level: 'RequestResponse',
      verb: 'create',
      requestURI: '/api/v1/namespaces/1-2-deployment-update/pods/nginx-deployment-surge-8655b4b8c5-xf5f4',
      user: { username: 'system:serviceaccount:kube-system:replicaset-controller' },
      sourceIPs: ['172.16.0.3'],
      objectRef: {
        resource: 'pods',
        namespace: '1-2-deployment-update',
        name: 'nginx-deployment-surge-8655b4b8c5-xf5f4',
        apiVersion: 'v1',
      },
      responseStatus: { code: 201 },
      requestReceivedTimestamp: '2024-01-01T01:00:00Z',
      annotations: { 'authorization.k8s.io/decision': 'allow' },
    });
    expect(status?.events[0]).toMatchObject({
      verb: 'patch',
      objectRef: { resource: 'pods', subresource: 'status', name: 'nginx-deployment-surge-8655b4b8c5-xf5f4' },
      responseStatus: { code: 200 },
    });
  });

  it('replays sink JSON lines and `gcloud logging read --format=json` arrays into the same requests', async () => {
    const entries = await gkeEntries();
    const lines = await replayText(entries.map((e) => JSON.stringify(e)).join('\n') + '\n');
    const array = await replayText(JSON.stringify(entries, null, 2) + '\n');
    expect(lines.problems).toEqual([]);
    expect(array.problems).toEqual([]);
    const ids = [
      '85371f7c-2383-4041-96e8-dad63d2d1990',
      'c7842d26-11fe-446a-b985-b2b67ddbab09',
      '7bf65423-5d85-43a0-aaf7-30a2ce7475df',
    ];
    // KHI anonymised all three entries to the same second, so only the set is compared: their
    // order inside that second (and so which span a patch lands in) depends on line numbers.
    expect(
      requests(lines.spans)
        .map((r) => r.id)
        .sort(),
    ).toEqual([...ids].sort());
    expect(
      requests(array.spans)
        .map((r) => r.id)
        .sort(),
    ).toEqual([...ids].sort());
    const create = requests(lines.spans).find((r) => r.id === ids[0]);
    expect(create).toMatchObject({
      name: 'create pods',
      attributes: {
        [ATTR.auditUser]: 'system:serviceaccount:kube-system:replicaset-controller',
        [ATTR.namespaceName]: '1-2-deployment-update',
      },
    });
    const patches = requests(lines.spans).filter((r) => r.name === 'patch pods/status');
    expect(patches.map((r) => r.attributes[ATTR.auditUser])).toEqual([
      'system:node:gke-sample-cluster-default-abcdefgh-abcd',
      'system:node:gke-sample-cluster-default-abcdefgh-abcd',
    ]);
    expect(checkInvariants(lines.spans)).toEqual([]);
    expect(checkInvariants(array.spans)).toEqual([]);
  });

  it('counts entries that are not Kubernetes audit records', () => {
    const event = expandAuditValue({
      insertId: 'x',
      logName: 'projects/p/logs/events',
      jsonPayload: { kind: 'Event' },
    });
    expect(event.problems).toEqual([
      'Cloud Logging entry without an AuditLog protoPayload (not a Kubernetes audit record)',
    ]);
    const gce = expandAuditValue({
      insertId: 'y',
      protoPayload: {
        '@type': 'type.googleapis.com/google.cloud.audit.AuditLog',
        methodName: 'v1.compute.instances.insert',
      },
    });
    expect(gce.problems[0]).toMatch(/not from Kubernetes/);
  });
});

describe('run --audit-log-path follows managed exports too', () => {
  it('delivers every event of an AKS record line and a CloudWatch envelope line, BOM and all', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ks-managed-follow-'));
    dirs.push(dir);
    const path = join(dir, 'audit.log');
    const aks = await readCorpusText(`${CORPUS.aks}event.json`);
    const cloudWatch = await readFile(join(EKS, 'cloudwatch-subscription.jsonl'), 'utf8');
    await writeFile(path, `\uFEFF${aks.trim()}\n${cloudWatch}`);
    const seen: string[] = [];
    const problems: string[] = [];
    const follower = new AuditFileFollower({
      path,
      onEvents: async (events) => void seen.push(...events.map((e) => String(e.event['auditID']))),
      onMalformed: (p) => void problems.push(p.reason),
    });
    try {
      await follower.pollOnce();
    } finally {
      await follower.close();
    }
    expect(seen).toHaveLength(22 + 5);
    expect(problems).toHaveLength(1);
  });
});
