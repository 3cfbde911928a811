import { describe, expect, it } from 'vitest';
import type { JsonObject } from '../../src/model/kube-json.js';
import type { IngestRecord } from '../../src/model/records.js';
import type { SpanData } from '../../src/model/span.js';
import { Synthesizer } from '../../src/synth/synthesizer.js';
import { type Regarding, event } from './event-records.js';

// Events as evidence (issue 14): input with no object history for the work — Events only, or
// one snapshot per object — still nests by owner chains.

const T0 = Date.parse('2026-12-07T10:23:20Z');
const iso = (ms: number): string => new Date(ms).toISOString();
const origin = { file: 't', line: 1 };

const DEPLOY: Regarding = { kind: 'Deployment', name: 'web', uid: 'd-1' };
const RS: Regarding = { kind: 'ReplicaSet', name: 'web-7c94', uid: 'rs-1' };
const pod = (suffix: string): Regarding => ({ kind: 'Pod', name: `web-7c94-${suffix}`, uid: `p-${suffix}` });

function object(object: JsonObject, atMs: number): IngestRecord {
  return { source: 'object', type: 'ADDED', object, timeMs: atMs, timeEstimated: false, origin };
}

function synthesize(records: readonly IngestRecord[]): SpanData[] {
  const synth = new Synthesizer({ cluster: 'c' });
  return [...records.flatMap((r) => synth.process(r)), ...synth.flush()];
}

/** The operation spans as a user sees them: name, object, parent's name, same trace as parent. */
function tree(spans: readonly SpanData[]): string[] {
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  return spans
    .filter((s) => typeof s.attributes['kubestitch.operation'] === 'string')
    .filter((s) => !['object.activity', 'pod.phase'].includes(String(s.attributes['kubestitch.operation'])))
    .map((s) => {
      const p = s.parentSpanId === undefined ? undefined : byId.get(s.parentSpanId);
      const where = p === undefined ? '(root)' : `${p.name}${p.traceId === s.traceId ? '' : ' IN ANOTHER TRACE'}`;
      return `${s.name} ${String(s.attributes['k8s.object.name'])} <- ${where}`;
    })
    .sort();
}

const startupOf = (p: Regarding, atMs: number): IngestRecord[] => [
  event(p, 'Scheduled', `Successfully assigned shop/${p.name} to node-1`, atMs),
  event(p, 'Pulled', 'Container image "nginx:1.26" already present on machine', atMs + 1000),
  event(p, 'Started', 'Started container nginx', atMs + 2000),
];

describe('Events as evidence of operations the object records do not show', () => {
  it('Events alone: a scale-up nests Deployment scale → ReplicaSet scale up → pod startups', () => {
    const spans = synthesize([
      event(DEPLOY, 'ScalingReplicaSet', 'Scaled up replica set web-7c94 from 1 to 3', T0),
      event(RS, 'SuccessfulCreate', 'Created pod: web-7c94-a', T0 + 10),
      event(RS, 'SuccessfulCreate', 'Created pod: web-7c94-b', T0 + 20),
      ...startupOf(pod('a'), T0 + 50),
      ...startupOf(pod('b'), T0 + 60),
    ]);
    expect(tree(spans)).toEqual([
      'Deployment scale web <- (root)',
      'ReplicaSet scale up web-7c94 <- Deployment scale',
      'pod startup web-7c94-a <- ReplicaSet scale up',
      'pod startup web-7c94-b <- ReplicaSet scale up',
    ]);
    const scale = spans.find((s) => s.name === 'ReplicaSet scale up');
    expect(scale?.attributes['kubestitch.replicas.from']).toBe(1);
    expect(scale?.attributes['kubestitch.replicas.to']).toBe(3);
    // The Events are on the operations they opened, not in flat activity windows.
    expect(spans.find((s) => s.name === 'Deployment scale')?.events.map((e) => e.name)).toContain('ScalingReplicaSet');
    expect(spans.some((s) => s.attributes['kubestitch.operation'] === 'object.activity')).toBe(false);
  });

  it('Events alone: a scale-down nests the pods’ terminations (spans, not instants) under the ReplicaSet’s', () => {
    const spans = synthesize([
      event(DEPLOY, 'ScalingReplicaSet', 'Scaled down replica set web-7c94 from 2 to 1', T0),
      event(RS, 'SuccessfulDelete', 'Deleted pod: web-7c94-a', T0 + 10),
      event(pod('a'), 'Killing', 'Stopping container nginx', T0 + 30),
    ]);
    expect(tree(spans)).toEqual([
      'Deployment scale web <- (root)',
      'ReplicaSet scale down web-7c94 <- Deployment scale',
      'pod termination web-7c94-a <- ReplicaSet scale down',
    ]);
    const termination = spans.find((s) => s.name === 'pod termination');
    expect(termination?.events.map((e) => e.name)).toEqual(['Killing']);
  });

  it('a scale-up of a ReplicaSet from 0 is the rollout of a new one', () => {
    const spans = synthesize([
      event(DEPLOY, 'ScalingReplicaSet', 'Scaled up replica set web-7c94 from 0 to 1', T0),
      event(RS, 'SuccessfulCreate', 'Created pod: web-7c94-a', T0 + 10),
      ...startupOf(pod('a'), T0 + 50),
    ]);
    expect(tree(spans)).toEqual([
      'Deployment rollout web <- (root)',
      'ReplicaSet scale up web-7c94 <- Deployment rollout',
      'pod startup web-7c94-a <- ReplicaSet scale up',
    ]);
  });

  it('a second new ReplicaSet brought up is a second rollout, the first one superseded', () => {
    const next: Regarding = { kind: 'ReplicaSet', name: 'web-5f6d', uid: 'rs-2' };
    const spans = synthesize([
      event(DEPLOY, 'ScalingReplicaSet', 'Scaled up replica set web-7c94 from 0 to 1', T0),
      event(RS, 'SuccessfulCreate', 'Created pod: web-7c94-a', T0 + 10),
      ...startupOf(pod('a'), T0 + 50),
      event(DEPLOY, 'ScalingReplicaSet', 'Scaled up replica set web-5f6d from 0 to 1', T0 + 20_000),
      event(next, 'SuccessfulCreate', 'Created pod: web-5f6d-b', T0 + 20_010),
      ...startupOf({ kind: 'Pod', name: 'web-5f6d-b', uid: 'p-b' }, T0 + 20_050),
    ]);
    expect(tree(spans)).toEqual([
      'Deployment rollout web <- (root)',
      'Deployment rollout web <- (root)',
      'ReplicaSet scale up web-5f6d <- Deployment rollout',
      'ReplicaSet scale up web-7c94 <- Deployment rollout',
      'pod startup web-5f6d-b <- ReplicaSet scale up',
      'pod startup web-7c94-a <- ReplicaSet scale up',
    ]);
    const rollouts = spans.filter((s) => s.name === 'Deployment rollout');
    expect(rollouts.map((s) => s.attributes['kubestitch.outcome'])).toEqual(['superseded', 'unfinished']);
    expect(new Set(rollouts.map((s) => s.traceId)).size).toBe(2);
  });

  it('a pod first seen Ready long after it started gets its startup from its Events, under its owner', () => {
    const readyPod: JsonObject = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: 'web-7c94-a',
        namespace: 'shop',
        uid: 'p-a',
        resourceVersion: '9',
        creationTimestamp: iso(T0),
        ownerReferences: [
          { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-7c94', uid: 'rs-1', controller: true },
        ],
      },
      spec: { nodeName: 'node-1', containers: [{ name: 'nginx', image: 'nginx:1.26' }] },
      status: {
        phase: 'Running',
        conditions: [
          { type: 'PodScheduled', status: 'True', lastTransitionTime: iso(T0) },
          { type: 'Ready', status: 'True', lastTransitionTime: iso(T0 + 4000) },
        ],
      },
    };
    const spans = synthesize([
      event(DEPLOY, 'ScalingReplicaSet', 'Scaled up replica set web-7c94 from 1 to 2', T0),
      event(RS, 'SuccessfulCreate', 'Created pod: web-7c94-a', T0 + 10),
      ...startupOf(pod('a'), T0 + 50),
      object(readyPod, T0 + 120_000),
    ]);
    expect(tree(spans)).toEqual([
      'Deployment scale web <- (root)',
      'ReplicaSet scale up web-7c94 <- Deployment scale',
      'pod startup web-7c94-a <- ReplicaSet scale up',
    ]);
    const startup = spans.find((s) => s.name === 'pod startup');
    expect(startup?.attributes['kubestitch.outcome']).toBe('ok');
    // It ends when the pod became Ready (a second-precision condition time), not when it was seen.
    expect(startup?.endMs).toBeGreaterThanOrEqual(T0 + 4000);
    expect(startup?.endMs).toBeLessThan(T0 + 5000);
  });

  it('Events alone: a StatefulSet replacing its pods is rolling out; a reused pod name is told apart by uid', () => {
    const sts: Regarding = { kind: 'StatefulSet', name: 'pg', uid: 'sts-1' };
    const old: Regarding = { kind: 'Pod', name: 'pg-1', uid: 'p-old' };
    const renewed: Regarding = { kind: 'Pod', name: 'pg-1', uid: 'p-new' };
    const spans = synthesize([
      event(sts, 'SuccessfulDelete', 'delete Pod pg-1 in StatefulSet pg successful', T0),
      event(old, 'Killing', 'Stopping container postgres', T0 + 10),
      event(sts, 'SuccessfulCreate', 'create Pod pg-1 in StatefulSet pg successful', T0 + 3000),
      ...startupOf(renewed, T0 + 3100),
    ]);
    expect(tree(spans)).toEqual([
      'StatefulSet rollout pg <- (root)',
      'pod startup pg-1 <- StatefulSet rollout',
      'pod termination pg-1 <- StatefulSet rollout',
    ]);
    const uidOf = (name: string): unknown => spans.find((s) => s.name === name)?.attributes['k8s.pod.uid'];
    expect([uidOf('pod termination'), uidOf('pod startup')]).toEqual(['p-old', 'p-new']);
  });

  it('the Killing of a pod whose Ready was never seen goes to its termination, not its startup', () => {
    const spans = synthesize([
      event(RS, 'SuccessfulCreate', 'Created pod: web-7c94-a', T0),
      ...startupOf(pod('a'), T0 + 50),
      event(RS, 'SuccessfulDelete', 'Deleted pod: web-7c94-a', T0 + 30_000),
      event(pod('a'), 'Killing', 'Stopping container nginx', T0 + 30_010),
    ]);
    const killingIn = spans.filter((s) => s.events.some((e) => e.name === 'Killing')).map((s) => s.name);
    expect(killingIn).toEqual(['pod termination']);
  });

  it('a pod first seen terminating starts its termination at the SuccessfulDelete received before it', () => {
    const terminating: JsonObject = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: 'web-7c94-a',
        namespace: 'shop',
        uid: 'p-a',
        resourceVersion: '12',
        creationTimestamp: iso(T0 - 600_000),
        deletionTimestamp: iso(T0 + 30_000),
        deletionGracePeriodSeconds: 30,
        ownerReferences: [
          { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-7c94', uid: 'rs-1', controller: true },
        ],
      },
      spec: { nodeName: 'node-1', containers: [{ name: 'nginx', image: 'nginx:1.26' }] },
      status: { phase: 'Running' },
    };
    const spans = synthesize([
      event(RS, 'SuccessfulDelete', 'Deleted pod: web-7c94-a', T0),
      object(terminating, T0 + 3000),
      event(pod('a'), 'Killing', 'Stopping container nginx', T0 + 3100),
    ]);
    const termination = spans.find((s) => s.name === 'pod termination');
    // The deletion timestamp says only "within T0's second"; the Event was received at T0 + 20 ms.
    expect(termination?.startMs).toBe(T0 + 20);
  });

  it('Events alone: a CronJob’s Job nests CronJob reconcile → Job run → pod startup', () => {
    const cron: Regarding = { kind: 'CronJob', name: 'report', uid: 'cj-1' };
    const job: Regarding = { kind: 'Job', name: 'report-1', uid: 'job-1' };
    const jobPod: Regarding = { kind: 'Pod', name: 'report-1-x', uid: 'p-x' };
    const spans = synthesize([
      event(cron, 'SuccessfulCreate', 'Created job report-1', T0),
      event(job, 'SuccessfulCreate', 'Created pod: report-1-x', T0 + 30),
      ...startupOf(jobPod, T0 + 60),
    ]);
    expect(tree(spans)).toEqual([
      'CronJob reconcile report <- (root)',
      'Job run report-1 <- CronJob reconcile',
      'pod startup report-1-x <- Job run',
    ]);
  });

  it('Events alone: NodeNotReady then NodeReady is the node’s NotReady period', () => {
    const node: Regarding = { kind: 'Node', name: 'node-2', uid: 'n-2' };
    const spans = synthesize([
      event(node, 'NodeNotReady', 'Node node-2 status is now: NodeNotReady', T0),
      event(node, 'NodeReady', 'Node node-2 status is now: NodeReady', T0 + 60_000),
    ]);
    const period = spans.find((s) => s.name === 'Node NotReady');
    expect([period?.startMs, period?.endMs, period?.attributes['kubestitch.outcome']]).toEqual([
      T0 + 20,
      T0 + 60_020,
      'ok',
    ]);
  });

  it('a container killed to be restarted is no termination', () => {
    const spans = synthesize([
      ...startupOf(pod('a'), T0),
      event(pod('a'), 'Killing', 'Container nginx failed liveness probe, will be restarted', T0 + 30_000),
    ]);
    expect(tree(spans).filter((line) => line.startsWith('pod termination'))).toEqual([]);
  });
});
