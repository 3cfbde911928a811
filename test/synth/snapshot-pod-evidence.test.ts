import { describe, expect, it } from 'vitest';
import type { JsonObject } from '../../src/model/kube-json.js';
import type { IngestRecord } from '../../src/model/records.js';
import type { SpanData } from '../../src/model/span.js';
import { Synthesizer } from '../../src/synth/synthesizer.js';
import { type Regarding, event } from './event-records.js';

// A pod seen once (snapshot-only input, issue 14) still has its run and termination: from its
// status times, the Events around it, and its Job's end.

const T0 = Date.parse('2026-12-07T10:23:20Z');
const iso = (ms: number): string => new Date(ms).toISOString();
const origin = { file: 't', line: 1 };

const JOB: Regarding = { kind: 'Job', name: 'migrate', uid: 'job-1' };
const JOB_POD: Regarding = { kind: 'Pod', name: 'migrate-x', uid: 'p-x' };

function object(o: JsonObject, atMs: number): IngestRecord {
  return { source: 'object', type: 'ADDED', object: o, timeMs: atMs, timeEstimated: false, origin };
}

function synthesize(records: readonly IngestRecord[]): SpanData[] {
  const synth = new Synthesizer({ cluster: 'c' });
  return [...records.flatMap((r) => synth.process(r)), ...synth.flush()];
}

function jobPod(status: JsonObject): JsonObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: JOB_POD.name,
      namespace: 'shop',
      uid: JOB_POD.uid,
      resourceVersion: '7',
      creationTimestamp: iso(T0),
      ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: JOB.name, uid: JOB.uid, controller: true }],
    },
    spec: { nodeName: 'node-1', containers: [{ name: 'app', image: 'migrate:1.0' }] },
    status,
  };
}

const byName = (spans: readonly SpanData[], name: string): SpanData | undefined => spans.find((s) => s.name === name);
const parentName = (spans: readonly SpanData[], s: SpanData | undefined): string | undefined =>
  spans.find((p) => p.spanId === s?.parentSpanId && p.traceId === s?.traceId)?.name;

describe('a pod seen in one state only', () => {
  it('terminating, with the kubelet’s Killing received after: a termination span up to the Killing, not an instant', () => {
    const terminating: JsonObject = {
      ...jobPod({ phase: 'Running' }),
      metadata: {
        name: 'web-a',
        namespace: 'shop',
        uid: 'p-a',
        resourceVersion: '12',
        creationTimestamp: iso(T0 - 600_000),
        // Requested at T0 + 24 s with 30 s of grace; the Killing is stamped in the same second.
        deletionTimestamp: iso(T0 + 54_000),
        deletionGracePeriodSeconds: 30,
      },
    };
    const spans = synthesize([
      object(terminating, T0 + 24_145),
      event({ kind: 'Pod', name: 'web-a', uid: 'p-a' }, 'Killing', 'Stopping container app', T0 + 24_000, 189),
    ]);
    const termination = byName(spans, 'pod termination');
    expect(termination?.attributes['kubestitch.outcome']).toBe('unfinished');
    expect(termination?.attributes['kubestitch.instant']).toBeUndefined();
    expect([termination?.startMs, termination?.endMs]).toEqual([T0 + 24_145, T0 + 24_189]);
  });

  it('a Job pod seen starting, its container Started, then the Job’s Completed: startup, then an unfinished run under the Job', () => {
    const pending = jobPod({
      phase: 'Pending',
      conditions: [{ type: 'PodScheduled', status: 'True', lastTransitionTime: iso(T0) }],
    });
    const spans = synthesize([
      event(JOB, 'SuccessfulCreate', `Created pod: ${JOB_POD.name}`, T0),
      object(pending, T0 + 130),
      event(JOB_POD, 'Started', 'Started container app', T0 + 1000),
      event(JOB, 'Completed', 'Job completed', T0 + 5000),
    ]);
    const startup = byName(spans, 'pod startup');
    const run = byName(spans, 'pod run');
    const job = byName(spans, 'Job run');
    expect(startup?.attributes['kubestitch.outcome']).toBe('ok');
    expect(startup?.endMs).toBe(T0 + 1000);
    expect(parentName(spans, run)).toBe('Job run');
    expect(run?.attributes['kubestitch.outcome']).toBe('unfinished');
    expect(run?.attributes['kubestitch.close_reason']).toBe('job-finished');
    expect([run?.startMs, run?.endMs]).toEqual([T0 + 1000, T0 + 5020]);
    expect(job?.attributes['kubestitch.outcome']).toBe('completed');
    expect(job?.endMs).toBe(T0 + 5020);
  });

  it('a Job’s BackoffLimitExceeded ends its run failed, with the Event’s reason', () => {
    // The job-controller sends it as a Warning (the helper makes Normal Events).
    const warning = event(JOB, 'BackoffLimitExceeded', 'Job has reached the specified backoff limit', T0 + 9000);
    if (warning.source !== 'event') throw new Error('not an event');
    const failed = synthesize([
      event(JOB, 'SuccessfulCreate', `Created pod: ${JOB_POD.name}`, T0),
      { ...warning, event: { ...warning.event, type: 'Warning' } },
    ]).find((s) => s.name === 'Job run');
    expect(failed?.attributes['kubestitch.outcome']).toBe('failed');
    expect(failed?.status).toEqual({
      code: 'error',
      message: 'BackoffLimitExceeded: Job has reached the specified backoff limit',
    });
  });

  it('a Job pod an Event opened and first seen Failed: Ready when its container started, then its failed run', () => {
    const failed = jobPod({
      phase: 'Failed',
      conditions: [{ type: 'Ready', status: 'False', lastTransitionTime: iso(T0 + 6000) }],
      containerStatuses: [
        {
          name: 'app',
          ready: false,
          restartCount: 0,
          state: {
            terminated: { exitCode: 1, reason: 'Error', startedAt: iso(T0 + 2000), finishedAt: iso(T0 + 5000) },
          },
        },
      ],
    });
    const spans = synthesize([
      event(JOB, 'SuccessfulCreate', `Created pod: ${JOB_POD.name}`, T0),
      event(JOB_POD, 'Scheduled', `Successfully assigned shop/${JOB_POD.name} to node-1`, T0 + 10),
      object(failed, T0 + 8000),
    ]);
    const startup = byName(spans, 'pod startup');
    const run = byName(spans, 'pod run');
    expect(startup?.attributes['kubestitch.outcome']).toBe('ok');
    expect(run?.attributes['kubestitch.outcome']).toBe('failed');
    expect([run?.startMs, run?.endMs]).toEqual([T0 + 2999, T0 + 5999]);
    expect(parentName(spans, run)).toBe('Job run');
  });
});
