import { describe, expect, it } from 'vitest';
import { arr, field, num, str } from '../../src/model/kube-json.js';
import { runScenario } from '../../tools/sim/index.js';
import { eventsWithReason, lastOf, linesOf, metaOf, reasons } from './recording-checks.js';

const SECOND = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;
const MICRO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;

describe('rolling-update scenario', () => {
  const rec = runScenario('rolling-update');
  const rsLines = linesOf(rec, 'ReplicaSet', 'web-');
  const rsNames = [...new Set(rsLines.map((l) => metaOf(l.object).name))];
  const revisionOf = (n: string): string | undefined =>
    str(lastOf(rsLines, n), 'metadata', 'annotations', 'deployment.kubernetes.io/revision');
  const newRs = rsNames.find((n) => revisionOf(n) === '2') ?? '';
  const oldRs = rsNames.find((n) => revisionOf(n) === '1') ?? '';

  describe('deployment controller', () => {
    it('brings the new ReplicaSet to 3 ready and the old one to 0', () => {
      expect(num(lastOf(rsLines, newRs), 'status', 'readyReplicas')).toBe(3);
      expect(num(lastOf(rsLines, newRs), 'status', 'availableReplicas')).toBe(3);
      expect(num(lastOf(rsLines, oldRs), 'spec', 'replicas')).toBe(0);
      expect(num(lastOf(rsLines, oldRs), 'status', 'replicas')).toBe(0);
    });

    it('annotates ReplicaSets with desired and max replicas for maxSurge 1', () => {
      const ann = field(lastOf(rsLines, newRs), 'metadata', 'annotations');
      expect(ann).toMatchObject({
        'deployment.kubernetes.io/desired-replicas': '3',
        'deployment.kubernetes.io/max-replicas': '4',
      });
    });

    it('never runs more than 4 pods or fewer than 3 available (maxSurge 1, maxUnavailable 0)', () => {
      for (const l of linesOf(rec, 'Deployment', 'web')) {
        if ((num(l.object, 'metadata', 'generation') ?? 0) < 2) continue;
        expect(num(l.object, 'status', 'replicas') ?? 0).toBeLessThanOrEqual(4);
        expect(num(l.object, 'status', 'availableReplicas') ?? 0).toBeGreaterThanOrEqual(3);
      }
    });

    it('walks Progressing through NewReplicaSetCreated, ReplicaSetUpdated, NewReplicaSetAvailable', () => {
      const seen = linesOf(rec, 'Deployment', 'web').flatMap((l) =>
        arr(l.object, 'status', 'conditions')
          .filter((c) => str(c, 'type') === 'Progressing')
          .map((c) => str(c, 'reason')),
      );
      expect(seen).toContain('NewReplicaSetCreated');
      expect(seen).toContain('ReplicaSetUpdated');
      expect(seen[seen.length - 1]).toBe('NewReplicaSetAvailable');
      const last = lastOf(linesOf(rec, 'Deployment'), 'web');
      expect(num(last, 'status', 'observedGeneration')).toBe(2);
      expect(str(last, 'metadata', 'annotations', 'deployment.kubernetes.io/revision')).toBe('2');
    });

    it('records the full set of reasons a rollout produces', () => {
      for (const r of [
        'ScalingReplicaSet',
        'SuccessfulCreate',
        'SuccessfulDelete',
        'Scheduled',
        'Pulling',
        'Pulled',
        'Created',
        'Started',
        'Killing',
      ]) {
        expect(reasons(rec)).toContain(r);
      }
      const notes = eventsWithReason(rec, 'ScalingReplicaSet').map((l) => str(l.object, 'message'));
      expect(notes).toContain(`Scaled up replica set ${newRs} from 0 to 1`);
      expect(notes).toContain(`Scaled down replica set ${oldRs} from 3 to 2`);
    });
  });

  describe('pods', () => {
    it('creates new pods owned by the new ReplicaSet with its pod-template-hash', () => {
      const pods = linesOf(rec, 'Pod', `${newRs}-`).map((l) => l.object);
      expect(pods.length).toBeGreaterThan(0);
      for (const p of pods) {
        expect(field(p, 'metadata', 'ownerReferences')).toMatchObject([
          { kind: 'ReplicaSet', name: newRs, controller: true, blockOwnerDeletion: true },
        ]);
        expect(str(p, 'metadata', 'labels', 'pod-template-hash')).toBe(newRs.slice('web-'.length));
      }
    });

    it('terminates old pods gracefully: deletionTimestamp = delete + 30 s, gone a few seconds later', () => {
      const deletes = rec.audit.filter(
        (a) => a.verb === 'delete' && a.user.username.endsWith(':replicaset-controller'),
      );
      expect(deletes).toHaveLength(3);
      for (const d of deletes) {
        const name = d.objectRef.name ?? '';
        const marked = linesOf(rec, 'Pod', name).find(
          (l) => str(l.object, 'metadata', 'deletionTimestamp') !== undefined,
        );
        const gone = linesOf(rec, 'Pod', name).find((l) => l.type === 'DELETED');
        expect(num(marked?.object, 'metadata', 'deletionGracePeriodSeconds')).toBe(30);
        const deadline = Date.parse(str(marked?.object, 'metadata', 'deletionTimestamp') ?? '');
        expect(deadline - Date.parse(d.requestReceivedTimestamp)).toBeGreaterThan(29_000);
        const goneAfterMs = Date.parse(gone?.ts ?? '') - Date.parse(d.stageTimestamp);
        expect(goneAfterMs).toBeGreaterThan(500);
        expect(goneAfterMs).toBeLessThan(10_000);
      }
    });

    it('reports real pull times and sizes, and second-precision object timestamps', () => {
      const pulled = eventsWithReason(rec, 'Pulled').map((l) => str(l.object, 'message') ?? '');
      expect(
        pulled.some((m) =>
          /^Successfully pulled image "nginx:1\.26" in [\d.]+m?s \([\d.]+m?s including waiting\)\. Image size: 72938164 bytes\.$/.test(
            m,
          ),
        ),
      ).toBe(true);
      const pod = linesOf(rec, 'Pod', `${newRs}-`)
        .map((l) => l.object)
        .find((p) => str(p, 'status', 'phase') === 'Running');
      expect(str(pod, 'metadata', 'creationTimestamp')).toMatch(SECOND);
      expect(str(pod, 'status', 'startTime')).toMatch(SECOND);
      expect(str(arr(pod, 'status', 'containerStatuses')[0], 'containerID')).toMatch(/^containerd:\/\/[0-9a-f]{64}$/);
      const scheduled = eventsWithReason(rec, 'Scheduled')[0]?.object;
      expect(str(scheduled, 'apiVersion')).toBe('events.k8s.io/v1');
      expect(str(scheduled, 'eventTime')).toMatch(MICRO);
      expect(str(scheduled, 'metadata', 'name')).toMatch(/^web-[a-z0-9-]+\.[0-9a-f]{16}$/);
    });
  });

  describe('audit', () => {
    it('attributes each write to the component that makes it', () => {
      const who = (uri: RegExp, verb: string): string[] => [
        ...new Set(rec.audit.filter((a) => uri.test(a.requestURI) && a.verb === verb).map((a) => a.user.username)),
      ];
      expect(who(/\/deployments\/web\?fieldManager=kubectl-set$/, 'patch')).toEqual(['kubernetes-admin']);
      expect(who(/\/replicasets$/, 'create')).toEqual(['system:serviceaccount:kube-system:deployment-controller']);
      expect(who(/\/pods$/, 'create')).toEqual(['system:serviceaccount:kube-system:replicaset-controller']);
      expect(who(/\/binding$/, 'create')).toEqual(['system:kube-scheduler']);
      expect(who(/\/pods\/[^/]+\/status$/, 'patch').every((u) => u.startsWith('system:node:node-'))).toBe(true);
      const kubelet = rec.audit.find((a) => a.user.username.startsWith('system:node:'));
      expect(kubelet?.userAgent).toBe('kubelet/v1.31.2 (linux/amd64) kubernetes/5864a46');
      expect(kubelet?.user.groups).toEqual(['system:nodes', 'system:authenticated']);
    });

    it('logs workload writes at RequestResponse and Event writes at Metadata', () => {
      for (const a of rec.audit) {
        expect(a.level).toBe(a.objectRef.resource === 'events' ? 'Metadata' : 'RequestResponse');
        expect(a.requestReceivedTimestamp).toMatch(MICRO);
      }
    });
  });
});

describe('scale-up-down scenario', () => {
  const rec = runScenario('scale-up-down');
  it('scales the ReplicaSet 2 → 5 → 1 and bumps the Deployment generation each time', () => {
    const messages = eventsWithReason(rec, 'ScalingReplicaSet').map((l) => str(l.object, 'message') ?? '');
    expect(messages.some((m) => / from 2 to 5$/.test(m))).toBe(true);
    expect(messages.some((m) => / from 5 to 1$/.test(m))).toBe(true);
    const last = lastOf(linesOf(rec, 'Deployment'), 'api');
    expect(num(last, 'metadata', 'generation')).toBe(3);
    expect(num(last, 'status', 'observedGeneration')).toBe(3);
    expect(num(last, 'status', 'readyReplicas')).toBe(1);
    expect(linesOf(rec, 'Pod').filter((l) => l.type === 'DELETED')).toHaveLength(4);
  });

  it('goes through the scale subresource, answered with a Scale', () => {
    const scales = rec.audit.filter((a) => a.objectRef.subresource === 'scale');
    expect(scales.map((a) => field(a.requestObject, 'spec', 'replicas'))).toEqual([5, 1]);
    expect(str(scales[0]?.responseObject, 'kind')).toBe('Scale');
  });
});
