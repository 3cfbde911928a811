import { deployment, nginx } from '../objects/workloads.js';
import { s, threeNodes, type Scenario } from './scenario.js';

/**
 * node-2's kubelet loses the apiserver 20 s in; ~40-45 s later the node-lifecycle controller marks
 * it Unknown and taints it unreachable, and its shop/web pod goes NotReady; at 200 s the kubelet is
 * back: Ready again, taints removed, pod Ready. Heartbeats from every node run throughout.
 */
export const nodeNotReady: Scenario = {
  prehistoryUs: s(12 * 60),
  setup(cl, t0) {
    threeNodes(cl);
    cl.at(t0 + s(35), () =>
      cl.kubectl.apply(deployment({ namespace: 'shop', name: 'web', replicas: 3, containers: [nginx('nginx:1.26')] })),
    );
  },
  script(cl, start) {
    cl.at(start + s(20), () => cl.kubelets.get('node-2')?.disconnect());
    cl.at(start + s(200), () => cl.kubelets.get('node-2')?.reconnect());
    return s(260);
  },
};
