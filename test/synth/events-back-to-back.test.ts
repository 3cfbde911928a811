import { describe, expect, it } from 'vitest';
import type { JsonObject } from '../../src/model/kube-json.js';
import type { IngestRecord } from '../../src/model/records.js';
import type { SpanData } from '../../src/model/span.js';
import { Synthesizer } from '../../src/synth/synthesizer.js';
import { type Regarding, event } from './event-records.js';

// Events alone (or one snapshot per object, issue 14): two template changes of a StatefulSet or
// DaemonSet in a row are two rollouts, not one. And live, where a StatefulSet's Events are applied
// after its pods came back under their names, each rollout still ends and is exported.

const T0 = Date.parse('2026-12-07T10:23:20Z');
const iso = (ms: number): string => new Date(ms).toISOString();
const origin = { file: 't', line: 1 };

/** The same Event object seen again: its `count`-th occurrence at `atMs`, its first at `firstMs`. */
function again(regarding: Regarding, reason: string, note: string, atMs: number, firstMs: number, count: number) {
  const r = event(regarding, reason, note, atMs);
  if (r.source !== 'event') throw new Error('not an Event record');
  return { ...r, type: 'MODIFIED' as const, event: { ...r.event, firstMs, count } };
}

function synthesize(records: readonly IngestRecord[]): SpanData[] {
  const synth = new Synthesizer({ cluster: 'c' });
  return [...records.flatMap((r) => synth.process(r)), ...synth.flush()];
}

/**
 * Each rollout with the pods whose startups and terminations it holds, in time order: child spans,
 * or a child whose evidence is one instant (a termination Events show only by its delete and kill
 * in one second), which is a span event on the rollout (DESIGN §3.5, invariant 2).
 */
function rollouts(spans: readonly SpanData[]): string[] {
  return spans
    .filter((s) => s.name.endsWith(' rollout'))
    .sort((a, b) => a.startMs - b.startMs)
    .map((r) => {
      const spanChildren = spans.filter((c) => c.parentSpanId === r.spanId && c.traceId === r.traceId);
      const children = [...spanChildren.map((c) => ({ ...c, timeMs: c.startMs })), ...r.events]
        .filter((c) => c.name === 'pod startup' || c.name === 'pod termination')
        .sort((a, b) => a.timeMs - b.timeMs)
        .map((c) => `${c.name.replace('pod ', '')} ${String(c.attributes['k8s.pod.name'])}`);
      return `${r.name}: ${children.join(', ')}`;
    });
}

describe('back-to-back rollouts seen only through Events', () => {
  it('a DaemonSet deleting a pod its rollout just created has begun the next rollout', () => {
    const ds: Regarding = { kind: 'DaemonSet', name: 'agent', uid: 'ds-1' };
    const spans = synthesize([
      event(ds, 'SuccessfulCreate', 'Created pod: agent-a', T0),
      event({ kind: 'Pod', name: 'agent-a', uid: 'p-a' }, 'Started', 'Started container agent', T0 + 2000),
      event(ds, 'SuccessfulDelete', 'Deleted pod: agent-a', T0 + 8000),
      event({ kind: 'Pod', name: 'agent-a', uid: 'p-a' }, 'Killing', 'Stopping container agent', T0 + 8000),
      event(ds, 'SuccessfulCreate', 'Created pod: agent-b', T0 + 9000),
      event({ kind: 'Pod', name: 'agent-b', uid: 'p-b' }, 'Started', 'Started container agent', T0 + 10_000),
    ]);
    expect(rollouts(spans)).toEqual([
      'DaemonSet rollout: startup agent-a',
      'DaemonSet rollout: termination agent-a, startup agent-b',
    ]);
  });

  it('a StatefulSet’s "Create Pod db-1 …" (as newer releases write it) counted again is the next rollout’s', () => {
    const sts: Regarding = { kind: 'StatefulSet', name: 'db', uid: 'sts-1' };
    const old: Regarding = { kind: 'Pod', name: 'db-1', uid: 'p-old' };
    const renewed: Regarding = { kind: 'Pod', name: 'db-1', uid: 'p-new' };
    const created = 'Create Pod db-1 in StatefulSet db successful';
    const spans = synthesize([
      event(sts, 'SuccessfulCreate', created, T0),
      event(old, 'Started', 'Started container postgres', T0 + 2000),
      event(sts, 'SuccessfulDelete', 'Delete Pod db-1 in StatefulSet db successful', T0 + 12_000),
      event(old, 'Killing', 'Stopping container postgres', T0 + 12_000),
      // The same Event object, seen a second time: its first time is the first rollout's.
      again(sts, 'SuccessfulCreate', created, T0 + 14_000, T0, 2),
      event(renewed, 'Started', 'Started container postgres', T0 + 15_000),
    ]);
    expect(rollouts(spans)).toEqual([
      'StatefulSet rollout: startup db-1',
      'StatefulSet rollout: termination db-1, startup db-1',
    ]);
  });
});

// The e2e StatefulSet's second rollout as `kubestitch run` got it (informers and clock ticks, no
// end-of-input flush): the pod comes back as db-0 1.3 s after "Delete Pod db-0", in the next
// second, and the Event is applied 6 s after it arrived — when the graph's db-0 is the new one.
describe('a StatefulSet rollout live, its delete Event applied after the pod came back', () => {
  const STS: Regarding = { kind: 'StatefulSet', name: 'db', uid: 'sts-1' };
  const OLD: Regarding = { kind: 'Pod', name: 'db-0', uid: 'p-old' };
  const NEW: Regarding = { kind: 'Pod', name: 'db-0', uid: 'p-new' };

  function statefulSet(generation: number, image: string, status: JsonObject): JsonObject {
    return {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'db', namespace: 'shop', uid: STS.uid, generation, creationTimestamp: iso(T0 - 600_000) },
      spec: { replicas: 1, serviceName: 'db', template: { spec: { containers: [{ name: 'db', image }] } } },
      status: { observedGeneration: generation, replicas: 1, ...status },
    };
  }
  const settled = (revision: string): JsonObject => ({
    readyReplicas: 1,
    updatedReplicas: 1,
    currentRevision: revision,
    updateRevision: revision,
  });

  function pod(p: Regarding, createdMs: number, status: JsonObject, deletionMs?: number): JsonObject {
    return {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: p.name,
        namespace: 'shop',
        uid: p.uid,
        creationTimestamp: iso(createdMs),
        ...(deletionMs !== undefined ? { deletionTimestamp: iso(deletionMs), deletionGracePeriodSeconds: 0 } : {}),
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'db', uid: STS.uid, controller: true }],
      },
      spec: { nodeName: 'node-1', containers: [{ name: 'db', image: 'postgres' }] },
      status,
    };
  }
  const running = (readyMs: number): JsonObject => ({
    phase: 'Running',
    conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: iso(readyMs) }],
  });

  const object = (type: 'ADDED' | 'MODIFIED' | 'DELETED', o: JsonObject, atMs: number): IngestRecord => ({
    source: 'object',
    type,
    object: o,
    timeMs: atMs,
    timeEstimated: false,
    origin,
  });

  it('the rollout ends with the old pod’s termination and the new one’s startup, and is exported', () => {
    const oldCreated = T0 - 600_000;
    const records: IngestRecord[] = [
      object('ADDED', statefulSet(1, 'postgres:16.1', settled('r1')), T0),
      object('ADDED', pod(OLD, oldCreated, running(oldCreated + 3000)), T0 + 10),
      object('MODIFIED', statefulSet(2, 'postgres:16.2', { readyReplicas: 1, currentRevision: 'r1' }), T0 + 968),
      object('MODIFIED', pod(OLD, oldCreated, running(oldCreated + 3000), T0 + 1000), T0 + 1001),
      event(STS, 'SuccessfulDelete', 'Delete Pod db-0 in StatefulSet db successful', T0 + 1000, 41),
      event(OLD, 'Killing', 'Stopping container db', T0 + 1000, 656),
      object('DELETED', pod(OLD, oldCreated, running(oldCreated + 3000), T0 + 1000), T0 + 2308),
      object('ADDED', pod(NEW, T0 + 2000, { phase: 'Pending' }), T0 + 2323),
      event(NEW, 'Scheduled', 'Successfully assigned shop/db-0 to node-1', T0 + 2000, 380),
      event(STS, 'SuccessfulCreate', 'Create Pod db-0 in StatefulSet db successful', T0 + 2000, 447),
      object('MODIFIED', pod(NEW, T0 + 2000, running(T0 + 3000)), T0 + 3899),
      object('MODIFIED', statefulSet(2, 'postgres:16.2', settled('r2')), T0 + 3939),
    ];
    const synth = new Synthesizer({ cluster: 'c' });
    const live = records.flatMap((r) => synth.process(r));
    // Clock ticks, once a second, past the Events' deferral and the adoption window.
    for (let t = T0 + 5000; t <= T0 + 40_000; t += 1000) live.push(...synth.advance(t));
    expect(rollouts(live)).toEqual(['StatefulSet rollout: termination db-0, startup db-0']);
    expect(live.filter((s) => s.name === 'pod termination').map((s) => s.attributes['k8s.pod.uid'])).toEqual([OLD.uid]);
  });
});
