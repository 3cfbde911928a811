import { describe, expect, it } from 'vitest';
import type { JsonObject } from '../../src/model/kube-json.js';
import { slimOf } from '../../src/graph/slim.js';
import { CORPUS, readCorpusJson, readCorpusYaml } from '../support/corpus.js';

const ms = (iso: string): number => Date.parse(iso);
const ETCD = `${CORPUS.mustGather}openshift-etcd/pods/`;

function job(template: JsonObject): JsonObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'j', namespace: 'ns', uid: 'j-1' },
    spec: { template },
  };
}

const podTemplate: JsonObject = {
  metadata: { labels: { app: 'web', 'pod-template-hash': '7d4b578979' } },
  spec: { containers: [{ name: 'app', image: 'nginx:1.25' }] },
};

describe('slimOf', () => {
  describe('workloads', () => {
    it('projects a real Deployment', async () => {
      const slim = slimOf(await readCorpusJson(`${CORPUS.k9s}dp.json`));
      expect(slim).toMatchObject({
        kind: 'Deployment',
        group: 'apps',
        resource: 'deployments',
        namespace: 'icx',
        name: 'icx-db',
        uid: '6f6143bc-a5f3-11e9-990f-42010a800218',
        resourceVersion: '37116271',
        generation: 1,
        observedGeneration: 1,
        controller: undefined,
        creationMs: ms('2019-07-14T04:54:17Z'),
        revision: '1',
        specReplicas: 1,
        counts: { replicas: 1, readyReplicas: 1, availableReplicas: 1, updatedReplicas: 1 },
        containers: [],
      });
      expect(slim.conditions['Available']).toEqual({
        status: 'True',
        reason: 'MinimumReplicasAvailable',
        message: 'Deployment has minimum availability.',
        lastTransitionMs: ms('2019-07-14T04:54:20Z'),
      });
      expect(slim.templateHash).toMatch(/^[0-9a-f]{16}$/);
    });

    it('links a real ReplicaSet to its Deployment and gives it the same template hash', async () => {
      const dp = slimOf(await readCorpusJson(`${CORPUS.k9s}dp.json`));
      const rs = slimOf(await readCorpusJson(`${CORPUS.k9s}rs.json`));
      expect(rs.controller).toEqual({ kind: 'Deployment', name: 'icx-db', uid: dp.uid });
      // k9s edited the fixture's apiVersion to networking.k8s.io/v1; the kind decides the group.
      expect(rs.group).toBe('apps');
      expect(rs.resource).toBe('replicasets');
      expect(rs.revision).toBe('1');
      expect(rs.counts).toEqual({ replicas: 1, readyReplicas: 1, availableReplicas: 1 });
      expect(rs.templateHash).toBe(dp.templateHash);
    });

    it('does not keep the full object', async () => {
      const dp = await readCorpusJson(`${CORPUS.k9s}dp.json`);
      const text = JSON.stringify(slimOf(dp));
      expect(text).not.toContain('last-applied-configuration');
      expect(text).not.toContain('POSTGRES_USER');
    });
  });

  describe('templateHash', () => {
    it('ignores the pod-template-hash and controller-revision-hash labels', () => {
      const plain = { ...podTemplate, metadata: { labels: { app: 'web' } } };
      const revision = { ...podTemplate, metadata: { labels: { app: 'web', 'controller-revision-hash': '5b8f7' } } };
      const hash = slimOf(job(plain)).templateHash;
      expect(slimOf(job(podTemplate)).templateHash).toBe(hash);
      expect(slimOf(job(revision)).templateHash).toBe(hash);
    });

    it('ignores key order', () => {
      const reordered: JsonObject = {
        spec: { containers: [{ image: 'nginx:1.25', name: 'app' }] },
        metadata: { labels: { 'pod-template-hash': '7d4b578979', app: 'web' } },
      };
      expect(slimOf(job(reordered)).templateHash).toBe(slimOf(job(podTemplate)).templateHash);
    });

    it('changes when the image or any other label changes', () => {
      const base = slimOf(job(podTemplate)).templateHash;
      const image = { ...podTemplate, spec: { containers: [{ name: 'app', image: 'nginx:1.26' }] } };
      const label = { ...podTemplate, metadata: { labels: { app: 'web', tier: 'front' } } };
      const restarted = {
        ...podTemplate,
        metadata: {
          ...(podTemplate['metadata'] as JsonObject),
          annotations: { 'kubectl.kubernetes.io/restartedAt': 'x' },
        },
      };
      expect(slimOf(job(image)).templateHash).not.toBe(base);
      expect(slimOf(job(label)).templateHash).not.toBe(base);
      expect(slimOf(job(restarted)).templateHash).not.toBe(base);
    });

    it('is undefined for kinds without a pod template', async () => {
      expect(slimOf(await readCorpusJson(`${CORPUS.k9s}p1.json`)).templateHash).toBeUndefined();
      expect(
        slimOf({ kind: 'Node', metadata: { name: 'n' }, spec: { template: podTemplate } }).templateHash,
      ).toBeUndefined();
    });
  });

  describe('pods', () => {
    it('projects a real running pod', async () => {
      const slim = slimOf(await readCorpusJson(`${CORPUS.k9s}p1.json`));
      expect(slim).toMatchObject({
        kind: 'Pod',
        group: '',
        resource: 'pods',
        namespace: 'default',
        name: 'nginx-7fb78fb6d8-2w75j',
        controller: { kind: 'ReplicaSet', name: 'nginx-7fb78fb6d8', uid: '7ccd0600-2c03-11ea-883f-42010a800044' },
        nodeName: 'gke-k9s-default-pool-0fa2fb89-lbtf',
        phase: 'Running',
        containers: [{ name: 'nginx', image: 'k8s.gcr.io/nginx-slim:0.8', init: false }],
        containerStatuses: [
          {
            name: 'nginx',
            init: false,
            ready: true,
            restartCount: 0,
            state: 'running',
            reason: '',
            message: '',
            startedMs: ms('2019-12-31T19:27:24Z'),
            finishedMs: undefined,
            exitCode: undefined,
          },
        ],
      });
      // Only the types a rule reads are kept (memory per pod, issue 16): not Initialized or ContainersReady.
      expect(Object.keys(slim.conditions).sort()).toEqual(['PodScheduled', 'Ready']);
      expect(slim.conditions['Ready']?.lastTransitionMs).toBe(ms('2019-12-31T19:27:25Z'));
    });

    it('projects a real pod from YAML with its condition times', async () => {
      const slim = slimOf(
        await readCorpusYaml(`${ETCD}etcd-quorum-guard-85b4c88c96-nmk5g/etcd-quorum-guard-85b4c88c96-nmk5g.yaml`),
      );
      expect(slim.controller).toEqual({
        kind: 'ReplicaSet',
        name: 'etcd-quorum-guard-85b4c88c96',
        uid: 'bc790f92-7b51-4471-9530-f80a1da13be2',
      });
      expect(slim.conditions['PodScheduled']?.lastTransitionMs).toBe(ms('2021-08-03T09:21:35Z'));
      expect(slim.conditions['Ready']?.lastTransitionMs).toBe(ms('2021-08-03T09:28:20Z'));
      expect(slim.nodeName).toBe('ip-10-0-189-142.ec2.internal');
    });

    it('reads a completed container and ignores an owner that is not the controller', async () => {
      const slim = slimOf(
        await readCorpusYaml(
          `${ETCD}installer-2-ip-10-0-187-218.ec2.internal/installer-2-ip-10-0-187-218.ec2.internal.yaml`,
        ),
      );
      // The installer pod's only ownerReference (a ConfigMap) has no controller: true.
      expect(slim.controller).toBeUndefined();
      expect(slim.phase).toBe('Succeeded');
      expect(slim.containerStatuses).toMatchObject([
        {
          state: 'terminated',
          reason: 'Completed',
          exitCode: 0,
          startedMs: ms('2021-08-03T09:21:40Z'),
          finishedMs: ms('2021-08-03T09:21:42Z'),
        },
      ]);
    });

    it('takes the revision of a DaemonSet pod from its controller-revision-hash label', async () => {
      const slim = slimOf(await readCorpusYaml(`${CORPUS.khi}k8s/sample_pod.yaml`));
      expect(slim.controller?.kind).toBe('DaemonSet');
      expect(slim.revision).toBe('7b7f77657b');
    });

    it('lists init containers first and tells waiting and unknown states apart', () => {
      const slim = slimOf({
        kind: 'Pod',
        metadata: { name: 'p' },
        spec: { containers: [{ name: 'app', image: 'app:1' }], initContainers: [{ name: 'init', image: 'busybox' }] },
        status: {
          containerStatuses: [
            { name: 'app', ready: false, restartCount: 2, state: { waiting: { reason: 'CrashLoopBackOff' } } },
          ],
          initContainerStatuses: [{ name: 'init', state: {} }],
        },
      });
      expect(slim.containers.map((c) => `${c.name}:${String(c.init)}`)).toEqual(['init:true', 'app:false']);
      expect(slim.containerStatuses.map((c) => [c.name, c.init, c.state, c.reason, c.restartCount])).toEqual([
        ['init', true, 'unknown', '', 0],
        ['app', false, 'waiting', 'CrashLoopBackOff', 2],
      ]);
    });

    it("keeps a waiting container's message (the kubelet's) but never a terminated one's (the app's log)", () => {
      const slim = slimOf({
        kind: 'Pod',
        metadata: { name: 'p' },
        spec: {
          containers: [
            { name: 'app', image: 'app:1' },
            { name: 'side', image: 'side:1' },
          ],
        },
        status: {
          containerStatuses: [
            {
              name: 'app',
              state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "app:1"' } },
            },
            { name: 'side', state: { terminated: { reason: 'Error', exitCode: 1, message: 'password=hunter2' } } },
          ],
        },
      });
      expect(slim.containerStatuses.map((c) => [c.name, c.reason, c.message])).toEqual([
        ['app', 'ImagePullBackOff', 'Back-off pulling image "app:1"'],
        ['side', 'Error', ''],
      ]);
    });
  });

  describe('odd input', () => {
    it('guesses group and resource of a custom kind from its apiVersion', () => {
      const slim = slimOf({ apiVersion: 'example.com/v1', kind: 'Policy', metadata: { name: 'x' } });
      expect([slim.group, slim.resource]).toEqual(['example.com', 'policies']);
    });

    it('does not throw on mistyped fields', () => {
      const slim = slimOf({
        kind: 'Pod',
        metadata: { name: 'p', ownerReferences: 'nope', uid: 7, creationTimestamp: 'soon' },
        status: 'broken',
        spec: { containers: [null, 3] },
      });
      expect(slim).toMatchObject({ uid: '', controller: undefined, creationMs: undefined, counts: {}, conditions: {} });
      expect(slim.containers).toEqual([
        { name: '', image: '', init: false },
        { name: '', image: '', init: false },
      ]);
    });
  });
});
