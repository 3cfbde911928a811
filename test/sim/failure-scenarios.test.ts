import { describe, expect, it } from 'vitest';
import { arr, field, num, str } from '../../src/model/kube-json.js';
import { runScenario } from '../../tools/sim/index.js';
import { eventsWithReason, lastOf, linesOf, metaOf } from './recording-checks.js';

function containerStates(rec: ReturnType<typeof runScenario>, podPrefix: string): unknown[] {
  return linesOf(rec, 'Pod', podPrefix).flatMap((l) => arr(l.object, 'status', 'containerStatuses'));
}

describe('crashloop scenario', () => {
  const rec = runScenario('crashloop');
  it('aggregates repeated BackOff into one Event object whose count climbs', () => {
    const backoffs = eventsWithReason(rec, 'BackOff');
    expect(new Set(backoffs.map((l) => metaOf(l.object).name)).size).toBe(1);
    const counts = backoffs.map((l) => num(l.object, 'count') ?? 0);
    expect(Math.max(...counts)).toBeGreaterThan(1);
    expect(counts).toEqual([...counts].sort((a, b) => a - b));
    expect(str(backoffs[0]?.object, 'message')).toMatch(
      /^Back-off restarting failed container app in pod crash-[a-z0-9]+-[a-z0-9]{5}_default\([0-9a-f-]{36}\)$/,
    );
    expect(str(backoffs.at(-1)?.object, 'lastTimestamp')).not.toBe(str(backoffs.at(-1)?.object, 'firstTimestamp'));
  });

  it('shows CrashLoopBackOff, exit code 1 in lastState and a climbing restartCount', () => {
    const statuses = containerStates(rec, 'crash-');
    expect(statuses.some((c) => str(c, 'state', 'waiting', 'reason') === 'CrashLoopBackOff')).toBe(true);
    expect(statuses.some((c) => num(c, 'lastState', 'terminated', 'exitCode') === 1)).toBe(true);
    expect(Math.max(...statuses.map((c) => num(c, 'restartCount') ?? 0))).toBeGreaterThanOrEqual(4);
  });
});

describe('failed-scheduling scenario', () => {
  const rec = runScenario('failed-scheduling');
  const failed = eventsWithReason(rec, 'FailedScheduling');
  const scheduled = eventsWithReason(rec, 'Scheduled').find((l) =>
    str(l.object, 'regarding', 'name')?.startsWith('search-'),
  );

  it('reports the real FitError text, then schedules at least 30 s later', () => {
    expect(str(failed[0]?.object, 'note')).toBe(
      '0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.',
    );
    const firstMs = Date.parse(str(failed[0]?.object, 'eventTime') ?? '');
    const scheduledMs = Date.parse(str(scheduled?.object, 'eventTime') ?? '');
    expect(scheduledMs - firstMs).toBeGreaterThanOrEqual(30_000);
    expect(str(scheduled?.object, 'note')).toMatch(
      /^Successfully assigned shop\/search-[a-z0-9]+-[a-z0-9]{5} to node-4$/,
    );
  });

  it('marks repeats with an events.k8s.io series and the pod with PodScheduled=False', () => {
    expect(failed.some((l) => num(l.object, 'series', 'count') === 2)).toBe(true);
    const pending = linesOf(rec, 'Pod', 'search-')
      .map((l) => l.object)
      .find((p) => arr(p, 'status', 'conditions').some((c) => str(c, 'reason') === 'Unschedulable'));
    expect(pending).toBeDefined();
    expect(
      str(
        field(
          rec.audit.find((a) => a.user.username === 'system:kube-scheduler' && a.objectRef.subresource === 'status'),
          'verb',
        ),
      ),
    ).toBe('patch');
  });

  it('adds node-4, which registers NotReady and then runs the pod', () => {
    const node4 = linesOf(rec, 'Node', 'node-4');
    expect(node4[0]?.type).toBe('ADDED');
    expect(field(node4[0]?.object, 'spec', 'taints')).toEqual([
      { key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' },
    ]);
    const pod = lastOf(linesOf(rec, 'Pod', 'search-'), metaOf(linesOf(rec, 'Pod', 'search-')[0]?.object ?? {}).name);
    expect(str(pod, 'status', 'phase')).toBe('Running');
    expect(str(pod, 'spec', 'nodeName')).toBe('node-4');
  });
});

describe('image-pull-error scenario', () => {
  const rec = runScenario('image-pull-error');
  it('emits Failed and BackOff events with the kubelet texts', () => {
    const failed = eventsWithReason(rec, 'Failed').map((l) => str(l.object, 'message') ?? '');
    expect(failed).toContain('Error: ErrImagePull');
    expect(failed).toContain('Error: ImagePullBackOff');
    expect(failed.some((m) => m.startsWith('Failed to pull image "nginx:1.27.9": rpc error: code = NotFound'))).toBe(
      true,
    );
    expect(eventsWithReason(rec, 'BackOff').map((l) => str(l.object, 'message'))).toContain(
      'Back-off pulling image "nginx:1.27.9"',
    );
  });

  it('alternates ErrImagePull and ImagePullBackOff, never ready, and the rollout stays stuck', () => {
    const waiting = containerStates(rec, 'frontend-').map((c) => str(c, 'state', 'waiting', 'reason'));
    expect(waiting).toContain('ErrImagePull');
    expect(waiting).toContain('ImagePullBackOff');
    const newPods = linesOf(rec, 'Pod', 'frontend-').filter((l) =>
      arr(l.object, 'spec', 'containers').some((c) => str(c, 'image') === 'nginx:1.27.9'),
    );
    expect(
      newPods.every((l) => !arr(l.object, 'status', 'containerStatuses').some((c) => field(c, 'ready') === true)),
    ).toBe(true);
    const progressing = arr(lastOf(linesOf(rec, 'Deployment'), 'frontend'), 'status', 'conditions').find(
      (c) => str(c, 'type') === 'Progressing',
    );
    expect(str(progressing, 'reason')).toBe('ReplicaSetUpdated');
  });
});

describe('node-not-ready scenario', () => {
  const rec = runScenario('node-not-ready');
  const node2 = linesOf(rec, 'Node', 'node-2');
  const ready = (o: unknown): unknown => arr(o, 'status', 'conditions').find((c) => str(c, 'type') === 'Ready');

  it('goes Ready → Unknown (node-controller, NodeStatusUnknown) → Ready (KubeletReady)', () => {
    const statuses = node2.map((l) => str(ready(l.object), 'status'));
    const unknownAt = statuses.indexOf('Unknown');
    expect(unknownAt).toBeGreaterThan(0);
    expect(statuses.at(-1)).toBe('True');
    expect(str(ready(node2[unknownAt]?.object), 'reason')).toBe('NodeStatusUnknown');
    expect(str(ready(node2[unknownAt]?.object), 'message')).toBe('Kubelet stopped posting node status.');
    expect(str(ready(node2.at(-1)?.object), 'reason')).toBe('KubeletReady');
    const byController = rec.audit.filter(
      (a) => a.objectRef.name === 'node-2' && a.user.username === 'system:serviceaccount:kube-system:node-controller',
    );
    expect(byController.length).toBeGreaterThanOrEqual(3);
  });

  it('taints the node unreachable while Unknown and records NodeNotReady and NodeReady', () => {
    const taints = node2.flatMap((l) =>
      arr(l.object, 'spec', 'taints').map((t) => `${str(t, 'key')}:${str(t, 'effect')}`),
    );
    expect(taints).toContain('node.kubernetes.io/unreachable:NoExecute');
    expect(taints).toContain('node.kubernetes.io/unreachable:NoSchedule');
    expect(arr(node2.at(-1)?.object, 'spec', 'taints')).toEqual([]);
    const notReady = eventsWithReason(rec, 'NodeNotReady').find(
      (l) => str(l.object, 'involvedObject', 'kind') === 'Node',
    );
    expect(str(notReady?.object, 'source', 'component')).toBe('node-controller');
    const back = eventsWithReason(rec, 'NodeReady')[0];
    expect(field(back?.object, 'source')).toEqual({ component: 'kubelet', host: 'node-2' });
  });

  it('marks the pod on node-2 not Ready meanwhile, and kubelet makes it Ready again', () => {
    const pod = linesOf(rec, 'Pod').filter((l) => str(l.object, 'spec', 'nodeName') === 'node-2');
    const readiness = pod.map((l) => str(ready(l.object), 'status'));
    expect(readiness.slice(-2)).toEqual(['False', 'True']);
    const writers = rec.audit
      .filter((a) => a.objectRef.resource === 'pods' && a.objectRef.subresource === 'status')
      .map((a) => a.user.username);
    expect(writers).toEqual(['system:serviceaccount:kube-system:node-controller', 'system:node:node-2']);
    expect(
      str(
        eventsWithReason(rec, 'NodeNotReady').find((l) => str(l.object, 'involvedObject', 'kind') === 'Pod')?.object,
        'type',
      ),
    ).toBe('Warning');
  });

  it('carries heartbeat-only node updates every ~10 s', () => {
    const node1 = linesOf(rec, 'Node', 'node-1').filter((l) => l.type === 'MODIFIED');
    expect(node1.length).toBeGreaterThanOrEqual(20);
    const gaps = node1.slice(1).map((l, i) => Date.parse(l.ts) - Date.parse(node1[i]?.ts ?? ''));
    expect(Math.min(...gaps)).toBeGreaterThan(9_000);
    expect(Math.max(...gaps)).toBeLessThan(11_000);
  });
});
