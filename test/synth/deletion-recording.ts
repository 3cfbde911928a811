import { SimCluster } from '../../tools/sim/cluster.js';
import { admitJob } from '../../tools/sim/controllers/cronjob-controller.js';
import { US_PER_MS } from '../../tools/sim/engine/time-format.js';
import { batchPlan, byApp } from '../../tools/sim/kubelet/container-behavior.js';
import { container } from '../../tools/sim/objects/pod-builder.js';
import { DEFAULT_START_MS, type Recording } from '../../tools/sim/index.js';
import { deployment, job, nginx, statefulSet } from '../../tools/sim/objects/workloads.js';
import { deploymentId, s, threeNodes } from '../../tools/sim/scenarios/scenario.js';

/**
 * A simulator recording of `kubectl delete` (propagationPolicy Background) of a 3-replica
 * Deployment, then of a 2-replica StatefulSet and of a running Job (or of its pod, `last`): the garbage collector deletes
 * what each owned, the kubelets terminate their pods. Deterministic (seed 1).
 */
export function deletionRecording(last: 'job' | 'job-pod' = 'job'): Recording {
  const startUs = DEFAULT_START_MS * US_PER_MS;
  const t0 = startUs - s(10 * 60);
  const cl = new SimCluster({ startUs: t0, seed: 1, cluster: 'sim' });
  threeNodes(cl);
  cl.at(t0 + s(30), () =>
    cl.kubectl.apply(deployment({ namespace: 'shop', name: 'web', replicas: 3, containers: [nginx('nginx:1.26')] })),
  );
  cl.at(t0 + s(40), () =>
    cl.kubectl.apply(
      statefulSet({ namespace: 'db', name: 'kv', replicas: 2, serviceName: 'kv', containers: [nginx('nginx:1.26')] }),
    ),
  );
  // The Job's pod runs for ten minutes: it is deleted while running.
  cl.behaviors.add(byApp('long'), (_p, _c, _a, rng) => batchPlan(rng, [600_000, 610_000], 0));
  const main = container({ name: 'main', image: 'busybox:1.36', command: ['sleep', '600'], resources: {} });
  const spec = job({
    namespace: 'batch',
    name: 'long',
    backoffLimit: 0,
    restartPolicy: 'Never',
    labels: { app: 'long' },
    containers: [main],
  });
  cl.at(startUs - s(300), () => cl.kubectl.apply(spec, admitJob));
  cl.runUntil(startUs);
  cl.beginRecording();
  cl.at(startUs + s(5), () => cl.kubectl.delete(deploymentId('shop', 'web')));
  cl.at(startUs + s(65), () =>
    cl.kubectl.delete({ apiVersion: 'apps/v1', kind: 'StatefulSet', namespace: 'db', name: 'kv' }),
  );
  // 'job-pod': its pod instead (the seed names it long-z867j), the Job running on.
  const lastId =
    last === 'job'
      ? { apiVersion: 'batch/v1', kind: 'Job', namespace: 'batch', name: 'long' }
      : { apiVersion: 'v1', kind: 'Pod', namespace: 'batch', name: 'long-z867j' };
  cl.at(startUs + s(125), () => cl.kubectl.delete(lastId));
  cl.runUntil(startUs + s(185));
  return cl.drain();
}
