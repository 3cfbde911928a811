import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CaptureSink } from '../../src/export/capture-sink.js';
import { watchEntry } from '../../src/live/journal-entries.js';
import type { JsonObject } from '../../src/model/kube-json.js';
import { replayDirectory } from '../../src/replay.js';
import { runScenario, writeRecording } from '../../tools/sim/index.js';
import type { AuditEventJson, Recording, WatchLine } from '../../tools/sim/index.js';
import { checkAuditEvent, toIntakeItem } from '../../src/sources/audit/audit-entry.js';
import { redactObject, redactionPolicy } from '../../src/sources/redact.js';

// #17 item 2: one redaction on every path. Each marker sits in a field that must never be kept.
const M = {
  token: 'MARKER-sa-token-eyJhbGciOi',
  env: 'MARKER-env-value-hunter2',
  annotation: 'MARKER-annotation-api-token',
  exec: 'MARKER-exec-command',
  echoed: 'MARKER-422-echo',
} as const;

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

type Mutable = Record<string, unknown>;
const clone = <T>(v: T): T => structuredClone(v);

/** The deployment with a literal env value and a credential-named annotation. */
function leaky(deployment: JsonObject): JsonObject {
  const d = clone(deployment) as Mutable & { metadata: Mutable; spec?: { template?: { spec?: Mutable } } };
  d.metadata['annotations'] = { ...(d.metadata['annotations'] as object), 'example.com/api-token': M.annotation };
  const pod = d.spec?.template?.spec;
  const containers = pod?.['containers'] as Mutable[] | undefined;
  const first = containers?.[0];
  if (first === undefined) throw new Error('deployment without containers');
  first['env'] = [
    { name: 'DB_PASSWORD', value: M.env },
    { name: 'FROM_SECRET', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } },
  ];
  return d;
}

function hostileRecording(): Recording {
  const rec = runScenario('rolling-update');
  const watch: WatchLine[] = rec.watch.map((l) =>
    (l.object as { kind?: string }).kind === 'Deployment' ? { ...l, object: leaky(l.object) } : l,
  );
  const patch = rec.audit.find((a) => a.verb === 'patch' && a.objectRef.resource === 'deployments');
  if (patch === undefined) throw new Error('scenario has no deployment patch');
  const audit: AuditEventJson[] = rec.audit.map((a) =>
    a === patch ? { ...a, responseObject: leaky(a.responseObject as JsonObject) } : a,
  );
  const base = { ...patch, responseObject: undefined, requestObject: undefined };
  const extra = [
    {
      ...base,
      auditID: 'token-request',
      verb: 'create',
      requestURI: '/api/v1/namespaces/shop/serviceaccounts/default/token',
      objectRef: {
        resource: 'serviceaccounts',
        subresource: 'token',
        namespace: 'shop',
        name: 'default',
        apiVersion: 'v1',
      },
      responseObject: {
        kind: 'TokenRequest',
        apiVersion: 'authentication.k8s.io/v1',
        metadata: { name: 'default', namespace: 'shop', creationTimestamp: patch.stageTimestamp },
        spec: { audiences: ['https://kubernetes.default.svc'], expirationSeconds: 3600 },
        status: { token: M.token, expirationTimestamp: '2026-03-01T11:00:00Z' },
      },
    },
    {
      ...base,
      auditID: 'exec',
      verb: 'create',
      requestURI: `/api/v1/namespaces/shop/pods/web-0/exec?command=sh&command=-c&command=${M.exec}&stdout=true`,
      objectRef: { resource: 'pods', subresource: 'exec', namespace: 'shop', name: 'web-0', apiVersion: 'v1' },
    },
    {
      ...base,
      auditID: 'invalid',
      verb: 'update',
      objectRef: { resource: 'secrets', namespace: 'shop', name: 'db', apiVersion: 'v1' },
      responseStatus: {
        metadata: {},
        code: 422,
        reason: 'Invalid',
        message: `Secret "db" is invalid: data[x]: Invalid value: "${M.echoed}"`,
      },
    },
  ] as unknown as AuditEventJson[];
  return { ...rec, watch, audit: [...audit, ...extra] };
}

function expectNoMarker(text: string): void {
  for (const marker of Object.values(M)) expect(text).not.toContain(marker);
}

describe('one redaction for every path (#17 item 2)', () => {
  const rec = hostileRecording();
  const raw = JSON.stringify(rec);

  it('the hostile recording holds every marker (the test would notice a leak)', () => {
    for (const marker of Object.values(M)) expect(raw).toContain(marker);
  });

  it('replay: no marker in any span (diff events included)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ks-redact-'));
    dirs.push(dir);
    await writeRecording(dir, rec);
    const sink = new CaptureSink();
    const summary = await replayDirectory(dir, sink, { cluster: 'sim' });
    expect(summary.spans).toBeGreaterThan(10);
    expectNoMarker(JSON.stringify(sink.spans));
  });

  it('webhook, file follower and live journal: no marker in what the intake stores', () => {
    const stored = rec.audit.map((a) => {
      const checked = checkAuditEvent(a, Date.parse(a.stageTimestamp));
      if (!checked.ok) throw new Error(checked.reason);
      return toIntakeItem(checked).entry.body;
    });
    expectNoMarker(stored.join('\n'));
    // The exec request keeps its path, the 422 its code and reason.
    expect(stored.join('\n')).toContain('/api/v1/namespaces/shop/pods/web-0/exec');
    expect(stored.join('\n')).toContain('"reason":"Invalid"');
  });

  it('live journal and kubestitch record: no marker in a journaled watch line', () => {
    const bodies = rec.watch.map((l) => watchEntry(l.type, l.object, Date.parse(l.ts)).body);
    expectNoMarker(bodies.join('\n'));
    expect(bodies.join('\n')).toContain('"name":"DB_PASSWORD"');
  });

  it('takes a configurable annotation list: exact names and /regex/ entries', () => {
    const policy = redactionPolicy(['team', '/^internal\\./']);
    const object = { kind: 'Pod', metadata: { name: 'p', annotations: { team: 'a', 'internal.x': 'b', keep: 'c' } } };
    expect(redactObject(object, policy)).toEqual({ kind: 'Pod', metadata: { name: 'p', annotations: { keep: 'c' } } });
  });
});
