import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { ATTR } from '../../src/model/attributes.js';
import type { IngestRecord, ObjectRecord } from '../../src/model/records.js';
import type { SpanData } from '../../src/model/span.js';
import { synthesizeRecords } from '../../src/replay.js';
import { readRecording } from '../../src/sources/recording/read-recording.js';
import { DELETE_OPERATION } from '../../src/synth/operation-index.js';
import { Synthesizer } from '../../src/synth/synthesizer.js';
import { checkInvariants } from '../support/invariants.js';
import { renderTraces } from '../support/render-trace.js';

// #14: where delete requests go and what they name. The real control plane's `kubectl delete
// deployment web` (test/fixtures/real/deploy, its last command): the garbage collector's
// `delete replicasets` requests are part of each ReplicaSet's deletion; audit that began after the
// Deployment was created still shows the whole cascade, from the names the requests carry.
const REAL_DEPLOY = fileURLToPath(new URL('../fixtures/real/deploy/', import.meta.url));
let records: readonly IngestRecord[] = [];
beforeAll(async () => {
  records = (await readRecording(REAL_DEPLOY)).records;
});

function synthesize(input: readonly IngestRecord[]): SpanData[] {
  const spans = synthesizeRecords(input, { cluster: 'real' }).flat();
  expect(checkInvariants(spans)).toEqual([]);
  return spans;
}

const byName = (spans: readonly SpanData[], name: string): SpanData[] => spans.filter((s) => s.name === name);
const parentOf = (spans: readonly SpanData[], s: SpanData | undefined): SpanData | undefined =>
  s === undefined ? undefined : spans.find((p) => p.traceId === s.traceId && p.spanId === s.parentSpanId);
const auditOnly = (input: readonly IngestRecord[]): IngestRecord[] => input.filter((r) => r.source === 'audit');

// The rendered trace of the Deployment's deletion alone.
function deletionTrace(spans: readonly SpanData[]): string {
  const root = spans.find((s) => s.name === 'Deployment delete');
  return renderTraces(spans.filter((s) => s.traceId === root?.traceId));
}

describe('delete requests in a deletion cascade (real control plane)', () => {
  it.each(['all', 'audit'] as const)(
    'puts each garbage-collector delete of a ReplicaSet inside that ReplicaSet’s deletion (%s)',
    (variant) => {
      const spans = synthesize(variant === 'all' ? records : auditOnly(records));
      const requests = byName(spans, 'delete replicasets');
      expect(requests.map((r) => r.attributes[ATTR.objectName]).sort()).toEqual(['web-765c69d446', 'web-84c8ff55c9']);
      for (const request of requests) {
        expect(request.resource.attributes[ATTR.controllerName]).toBe('generic-garbage-collector');
        const deletion = parentOf(spans, request);
        expect(deletion?.name).toBe('ReplicaSet delete');
        expect(deletion?.attributes[ATTR.objectName]).toBe(request.attributes[ATTR.objectName]);
        expect(deletion?.startMs).toBe(request.startMs);
        expect(parentOf(spans, deletion)?.name).toBe('Deployment delete');
      }
    },
  );

  it('shows the whole deletion from audit that began after the Deployment was created', () => {
    const full = synthesize(auditOnly(records));
    const request = records.find(
      (r) => r.source === 'audit' && r.audit.verb === 'delete' && r.audit.objectRef?.resource === 'deployments',
    );
    expect(request).toBeDefined();
    // Audit from 1 s before the delete: nothing of the Deployment, its ReplicaSets or pods before.
    const late = auditOnly(records).filter((r) => r.timeMs >= (request?.timeMs ?? 0) - 1000);
    expect(late.some((r) => r.source === 'audit' && r.audit.verb === 'create')).toBe(false);
    const spans = synthesize(late);
    const trace = deletionTrace(spans);
    // The same trace, span for span; only the field diffs of versions it never saw are missing.
    const withoutEvents = (text: string): string => text.replace(/ events=\[[^\]]*\]/g, '');
    expect(withoutEvents(trace)).toBe(withoutEvents(deletionTrace(full)));
    // What that trace holds: kubectl's request, two ReplicaSet deletions, two pod terminations.
    expect(trace.split('\n').filter((l) => /^\s*(Deployment delete|ReplicaSet delete|pod termination)/.test(l)))
      .toMatchInlineSnapshot(`
      [
        "Deployment delete [kubectl] +0.000s 1.617s outcome=ok object.name=web OK",
        "  ReplicaSet delete [kube-controller-manager/generic-garbage-collector] +0.038s 1.580s outcome=ok object.name=web-765c69d446 OK",
        "    pod termination [kubelet@kwok-node-2] +0.072s 1.545s outcome=ok pod.name=web-765c69d446-d5t6b object.name=web-765c69d446-d5t6b OK",
        "    pod termination [kubelet@kwok-node-1] +0.082s 1.250s outcome=ok pod.name=web-765c69d446-svxgb object.name=web-765c69d446-svxgb OK",
        "  ReplicaSet delete [kube-controller-manager/generic-garbage-collector] +0.039s 0.003s outcome=ok object.name=web-84c8ff55c9 OK",
      ]
    `);
    // No activity window holds what the deletion holds.
    expect(spans.filter((s) => s.name.endsWith(' activity') && s.attributes[ATTR.objectName] === 'web')).toEqual([]);
  });
});

// A CRD owner (an Argo Rollout) and the pod it owns, as watch records.
const T0 = Date.parse('2026-03-01T10:00:00Z');
let line = 0;
function watch(type: ObjectRecord['type'], object: Record<string, unknown>, atMs: number): IngestRecord {
  return { source: 'object', type, object, timeMs: atMs, timeEstimated: false, origin: { file: 't', line: ++line } };
}
const uidOf = (i: number, kind: string): string =>
  `00000000-0000-4000-${kind === 'Pod' ? '9' : '8'}000-${i.toString(16).padStart(12, '0')}`;
function rollout(i: number): Record<string, unknown> {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Rollout',
    metadata: { namespace: 'shop', name: `r${i}`, uid: uidOf(i, 'Rollout'), resourceVersion: `${100 + i}` },
  };
}
function ownedPod(i: number, deletedAtMs?: number): Record<string, unknown> {
  const deletion =
    deletedAtMs === undefined
      ? {}
      : {
          deletionTimestamp: new Date(deletedAtMs).toISOString().replace(/\.\d+Z$/, 'Z'),
          deletionGracePeriodSeconds: 30,
        };
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      namespace: 'shop',
      name: `r${i}-pod`,
      uid: uidOf(i, 'Pod'),
      resourceVersion: `${200 + i}${deletedAtMs === undefined ? '' : '1'}`,
      creationTimestamp: new Date(T0).toISOString().replace(/\.\d+Z$/, 'Z'),
      ownerReferences: [
        {
          apiVersion: 'argoproj.io/v1alpha1',
          kind: 'Rollout',
          name: `r${i}`,
          uid: uidOf(i, 'Rollout'),
          controller: true,
        },
      ],
      ...deletion,
    },
    spec: { nodeName: 'node-1', containers: [{ name: 'app', image: 'app:1' }] },
    status: { phase: 'Running' },
  };
}

describe('CRD owners remembered for their deletion (bounded)', () => {
  // Owners r0…r3 seen owning a pod, in that order, with room for two: r0 and r1 are forgotten.
  function run(maxDeletionOwners: number): { synth: Synthesizer; spans: SpanData[] } {
    const synth = new Synthesizer({ cluster: 'c', maxDeletionOwners });
    const spans: SpanData[] = [];
    const feed = (r: IngestRecord): void => void spans.push(...synth.process(r));
    for (let i = 0; i < 4; i++) {
      feed(watch('ADDED', rollout(i), T0 + i * 100));
      feed(watch('ADDED', ownedPod(i), T0 + i * 100 + 10));
    }
    // r0 and r3 deleted; the garbage collector then deletes their pods.
    for (const i of [0, 3]) {
      const at = T0 + 60_000 + i * 100;
      feed(watch('DELETED', rollout(i), at));
      feed(watch('MODIFIED', ownedPod(i, at), at + 20));
      feed(watch('DELETED', ownedPod(i, at), at + 40));
    }
    spans.push(...synth.advance(T0 + 120_000), ...synth.flush());
    expect(checkInvariants(spans)).toEqual([]);
    return { synth, spans };
  }
  const rolloutDelete = (spans: readonly SpanData[], name: string): SpanData | undefined =>
    spans.find((s) => s.attributes[ATTR.operation] === DELETE_OPERATION && s.attributes[ATTR.objectName] === name);

  it('makes a remembered owner’s deletion an operation holding its pod’s termination', () => {
    const { synth, spans } = run(2);
    const r3 = rolloutDelete(spans, 'r3');
    expect(r3?.name).toBe('Rollout delete');
    const termination = spans.find((s) => s.attributes[ATTR.podName] === 'r3-pod' && s.name === 'pod termination');
    expect(parentOf(spans, termination)).toBe(r3);
    expect(synth.deletionOwnersForgotten).toBe(2);
  });

  it('forgets the least recently seen owners past the bound, counted: their deletion is no operation', () => {
    const { spans } = run(2);
    expect(rolloutDelete(spans, 'r0')).toBeUndefined();
    const termination = spans.find((s) => s.attributes[ATTR.podName] === 'r0-pod' && s.name === 'pod termination');
    expect(termination?.parentSpanId).toBeUndefined();
    // With room for all four, r0's deletion is one.
    const roomy = run(4);
    expect(rolloutDelete(roomy.spans, 'r0')?.name).toBe('Rollout delete');
    expect(roomy.synth.deletionOwnersForgotten).toBe(0);
  });
});
