import { describe, expect, it } from 'vitest';
import { arr, field, num, str } from '../../src/model/kube-json.js';
import { runScenario } from '../../tools/sim/index.js';
import { eventsWithReason, lastOf, linesOf, metaOf } from './recording-checks.js';

describe('job-retries scenario', () => {
  const rec = runScenario('job-retries');
  const job = lastOf(linesOf(rec, 'Job'), 'db-migrate');
  const podNames = [...new Set(linesOf(rec, 'Pod', 'db-migrate-').map((l) => metaOf(l.object).name))];

  it('fails twice, succeeds on the third pod and completes', () => {
    expect(field(job, 'status')).toMatchObject({ succeeded: 1, failed: 2, uncountedTerminatedPods: {} });
    expect(arr(job, 'status', 'conditions').map((c) => [str(c, 'type'), str(c, 'reason')])).toEqual([
      ['SuccessCriteriaMet', 'CompletionsReached'],
      ['Complete', 'CompletionsReached'],
    ]);
    expect((str(job, 'status', 'completionTime') ?? '') >= (str(job, 'status', 'startTime') ?? '~')).toBe(true);
    const phases = podNames.map((n) => str(lastOf(linesOf(rec, 'Pod'), n), 'status', 'phase'));
    expect(phases).toEqual(['Failed', 'Failed', 'Succeeded']);
  });

  it('runs the init container first and removes the job-tracking finalizer from finished pods', () => {
    for (const n of podNames) {
      const pod = lastOf(linesOf(rec, 'Pod'), n);
      expect(str(arr(pod, 'status', 'initContainerStatuses')[0], 'state', 'terminated', 'reason')).toBe('Completed');
      expect(field(pod, 'metadata', 'finalizers')).toEqual([]);
    }
    const created = linesOf(rec, 'Pod', 'db-migrate-').find((l) => l.type === 'ADDED');
    expect(field(created?.object, 'metadata', 'finalizers')).toEqual(['batch.kubernetes.io/job-tracking']);
  });

  it('waits a growing back-off between attempts and reports job-controller events', () => {
    const created = linesOf(rec, 'Pod', 'db-migrate-')
      .filter((l) => l.type === 'ADDED')
      .map((l) => Date.parse(l.ts));
    const gaps = created.slice(1).map((t, i) => t - (created[i] ?? 0));
    expect(gaps).toHaveLength(2);
    expect(gaps[1] ?? 0).toBeGreaterThan(gaps[0] ?? Infinity);
    expect(eventsWithReason(rec, 'SuccessfulCreate').map((l) => str(l.object, 'message'))).toEqual(
      podNames.map((n) => `Created pod: ${n}`),
    );
    expect(str(eventsWithReason(rec, 'Completed')[0]?.object, 'message')).toBe('Job completed');
  });
});

describe('cronjob scenario', () => {
  const rec = runScenario('cronjob');
  const jobName = `report-${Math.floor(Date.UTC(2026, 2, 1, 10, 0, 0) / 60_000)}`;

  it('creates report-<minutes since epoch> owned by the CronJob and runs it to completion', () => {
    const job = lastOf(linesOf(rec, 'Job'), jobName);
    expect(field(job, 'metadata', 'ownerReferences')).toMatchObject([
      { kind: 'CronJob', name: 'report', controller: true },
    ]);
    expect(str(job, 'metadata', 'annotations', 'batch.kubernetes.io/cronjob-scheduled-timestamp')).toBe(
      '2026-03-01T10:00:00Z',
    );
    expect(num(job, 'status', 'succeeded')).toBe(1);
    const cron = lastOf(linesOf(rec, 'CronJob'), 'report');
    expect(str(cron, 'status', 'lastScheduleTime')).toBe('2026-03-01T10:00:00Z');
    expect(str(cron, 'status', 'lastSuccessfulTime')).toBe(str(job, 'status', 'completionTime'));
    expect(field(cron, 'status', 'active')).toBeUndefined();
  });

  it('records cronjob-controller events and deletes the oldest job through the garbage collector', () => {
    const messages = [
      ...eventsWithReason(rec, 'SuccessfulCreate'),
      ...eventsWithReason(rec, 'SawCompletedJob'),
      ...eventsWithReason(rec, 'SuccessfulDelete'),
    ].map((l) => str(l.object, 'message'));
    expect(messages).toContain(`Created job ${jobName}`);
    expect(messages).toContain(`Saw completed job: ${jobName}, condition: Complete`);
    expect(messages.some((m) => m?.startsWith('Deleted job report-'))).toBe(true);
    const gcDeletes = rec.audit.filter(
      (a) => a.verb === 'delete' && a.user.username === 'system:serviceaccount:kube-system:generic-garbage-collector',
    );
    expect(gcDeletes.map((a) => a.objectRef.resource)).toEqual(['pods']);
    expect(linesOf(rec, 'Pod').some((l) => l.type === 'DELETED')).toBe(true);
  });
});

describe('statefulset-rollout scenario', () => {
  const rec = runScenario('statefulset-rollout');
  it('replaces pods in reverse ordinal order, one at a time', () => {
    const deletes = eventsWithReason(rec, 'SuccessfulDelete').map((l) => str(l.object, 'message'));
    expect(deletes).toEqual([
      'delete Pod pg-2 in StatefulSet pg successful',
      'delete Pod pg-1 in StatefulSet pg successful',
      'delete Pod pg-0 in StatefulSet pg successful',
    ]);
    const creates = eventsWithReason(rec, 'SuccessfulCreate').map((l) => str(l.object, 'message'));
    expect(creates.at(-1)).toBe('create Pod pg-0 in StatefulSet pg successful');
  });

  it('moves currentRevision to the updateRevision once every pod carries it', () => {
    const ss = lastOf(linesOf(rec, 'StatefulSet'), 'pg');
    const update = str(ss, 'status', 'updateRevision');
    expect(str(ss, 'status', 'currentRevision')).toBe(update);
    expect(field(ss, 'status')).toMatchObject({
      replicas: 3,
      readyReplicas: 3,
      currentReplicas: 3,
      updatedReplicas: 3,
      availableReplicas: 3,
    });
    for (const n of ['pg-0', 'pg-1', 'pg-2'])
      expect(str(lastOf(linesOf(rec, 'Pod'), n), 'metadata', 'labels', 'controller-revision-hash')).toBe(update);
  });

  it('records readiness probe failures while postgres starts', () => {
    expect(str(eventsWithReason(rec, 'Unhealthy')[0]?.object, 'message')).toMatch(/^Readiness probe failed: /);
  });
});

describe('daemonset-rollout scenario', () => {
  const rec = runScenario('daemonset-rollout');
  it('replaces one node at a time and ends fully updated', () => {
    const ds = lastOf(linesOf(rec, 'DaemonSet'), 'node-exporter');
    expect(field(ds, 'status')).toMatchObject({
      desiredNumberScheduled: 3,
      updatedNumberScheduled: 3,
      numberReady: 3,
      observedGeneration: 2,
    });
    for (const l of linesOf(rec, 'DaemonSet'))
      expect(num(l.object, 'status', 'numberUnavailable') ?? 0).toBeLessThanOrEqual(1);
    expect(eventsWithReason(rec, 'SuccessfulDelete')).toHaveLength(3);
    expect(eventsWithReason(rec, 'SuccessfulCreate')).toHaveLength(3);
  });
});
