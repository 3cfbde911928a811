import { nodeFacts } from '../cluster.js';
import { batchPlan, byApp } from '../kubelet/container-behavior.js';
import { container } from '../objects/pod-builder.js';
import { deployment, nginx } from '../objects/workloads.js';
import { deploymentId, s, threeNodes, type Scenario } from './scenario.js';

/** shop/web 3× nginx:1.25 (surge 1, unavailable 0), then `kubectl set image` to nginx:1.26. */
export const rollingUpdate: Scenario = {
  prehistoryUs: s(15 * 60),
  setup(cl, t0) {
    threeNodes(cl);
    const web = deployment({
      namespace: 'shop',
      name: 'web',
      replicas: 3,
      containers: [nginx('nginx:1.25')],
      rollingUpdate: { maxSurge: 1, maxUnavailable: 0 },
    });
    cl.at(t0 + s(62), () => cl.kubectl.apply(web));
  },
  script(cl, start) {
    cl.at(start + s(5), () => cl.kubectl.setImage(deploymentId('shop', 'web'), 'nginx', 'nginx:1.26'));
    return s(150);
  },
};

/** shop/api scaled 2 → 5 by a user, settled, then 5 → 1. */
export const scaleUpDown: Scenario = {
  prehistoryUs: s(12 * 60),
  setup(cl, t0) {
    threeNodes(cl);
    cl.at(t0 + s(45), () =>
      cl.kubectl.apply(deployment({ namespace: 'shop', name: 'api', replicas: 2, containers: [nginx('nginx:1.26')] })),
    );
  },
  script(cl, start) {
    cl.at(start + s(5), () => cl.kubectl.scale(deploymentId('shop', 'api'), 5));
    cl.at(start + s(75), () => cl.kubectl.scale(deploymentId('shop', 'api'), 1));
    return s(140);
  },
};

/** default/crash: a container that exits 1 two seconds after start, restarted with back-off. */
export const crashloop: Scenario = {
  prehistoryUs: s(5 * 60),
  setup(cl) {
    threeNodes(cl);
    cl.behaviors.add(byApp('crash'), (_pod, _c, _attempt, rng) => batchPlan(rng, [1_800, 2_600], 1));
  },
  script(cl, start) {
    const app = container({
      name: 'app',
      image: 'busybox:1.36',
      command: [
        'sh',
        '-c',
        'echo "connecting to postgres://db:5432/shop"; sleep 2; echo "FATAL: password authentication failed" >&2; exit 1',
      ],
      resources: { limits: { memory: '64Mi' }, requests: { cpu: '50m', memory: '32Mi' } },
    });
    cl.at(start + s(3), () =>
      cl.kubectl.apply(deployment({ namespace: 'default', name: 'crash', replicas: 1, containers: [app] })),
    );
    return s(240);
  },
};

/** shop/frontend rolled to a tag that does not exist: ErrImagePull, ImagePullBackOff, rollout stuck. */
export const imagePullError: Scenario = {
  prehistoryUs: s(12 * 60),
  setup(cl, t0) {
    threeNodes(cl);
    cl.at(t0 + s(50), () =>
      cl.kubectl.apply(
        deployment({ namespace: 'shop', name: 'frontend', replicas: 2, containers: [nginx('nginx:1.26')] }),
      ),
    );
  },
  script(cl, start) {
    cl.at(start + s(5), () => cl.kubectl.setImage(deploymentId('shop', 'frontend'), 'nginx', 'nginx:1.27.9'));
    return s(180);
  },
};

/**
 * shop/search needs 2 CPUs; analytics/spark-worker holds 3 of 4 on every node, so it stays Pending
 * (FailedScheduling) until node-4 joins and becomes Ready ~50 s later.
 */
export const failedScheduling: Scenario = {
  prehistoryUs: s(10 * 60),
  setup(cl, t0) {
    threeNodes(cl);
    const worker = container({
      name: 'worker',
      image: 'ghcr.io/acme/analytics-worker:5.0.3',
      args: ['--executor-cores=3'],
      resources: { limits: { memory: '6Gi' }, requests: { cpu: '3', memory: '6Gi' } },
    });
    cl.at(t0 + s(40), () =>
      cl.kubectl.apply(deployment({ namespace: 'analytics', name: 'spark-worker', replicas: 3, containers: [worker] })),
    );
  },
  script(cl, start) {
    const search = container({
      name: 'search',
      image: 'ghcr.io/acme/search:2.8.1',
      ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
      resources: { limits: { memory: '4Gi' }, requests: { cpu: '2', memory: '4Gi' } },
    });
    cl.at(start + s(5), () =>
      cl.kubectl.apply(deployment({ namespace: 'shop', name: 'search', replicas: 1, containers: [search] })),
    );
    cl.at(start + s(48), () => cl.joinNode(nodeFacts(4), s(11)));
    return s(150);
  },
};
