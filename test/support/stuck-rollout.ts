import { SimCluster } from '../../tools/sim/cluster.js';
import { US_PER_MS } from '../../tools/sim/engine/time-format.js';
import { byApp } from '../../tools/sim/kubelet/container-behavior.js';
import { deployment, nginx } from '../../tools/sim/objects/workloads.js';
import { DEFAULT_START_MS } from '../../tools/sim/run-scenario.js';
import { deploymentId, s, threeNodes } from '../../tools/sim/scenarios/scenario.js';
import type { Recording } from '../../tools/sim/types.js';

/**
 * shop/web 2× nginx:1.25, then `kubectl set image` to nginx:1.26 at `startMs + 5 s`, whose pods
 * are scheduled, pull, start and then never pass their readiness probe: a stuck rollout, recorded
 * for `lengthS` seconds. The simulator, like runScenario, but with the stuck app's behaviour.
 */
export function stuckRollout(options: { startMs?: number; lengthS?: number } = {}): Recording {
  const startUs = (options.startMs ?? DEFAULT_START_MS) * US_PER_MS;
  const t0 = startUs - s(10 * 60);
  const cl = new SimCluster({ startUs: t0, seed: 7, cluster: 'sim' });
  threeNodes(cl);
  // The new version's readiness probe fails for a day.
  cl.behaviors.add(
    (pod, c) => byApp('web')(pod, c) && c.image === 'nginx:1.26',
    () => ({ warmupUs: s(86_400), stopUs: s(1), probeFailure: 'HTTP probe failed with statuscode: 503' }),
  );
  const web = deployment({
    namespace: 'shop',
    name: 'web',
    replicas: 2,
    containers: [nginx('nginx:1.25')],
    rollingUpdate: { maxSurge: 1, maxUnavailable: 0 },
  });
  cl.at(t0 + s(60), () => cl.kubectl.apply(web));
  cl.runUntil(startUs);
  cl.beginRecording();
  cl.at(startUs + s(5), () => cl.kubectl.setImage(deploymentId('shop', 'web'), 'nginx', 'nginx:1.26'));
  cl.runUntil(startUs + s(options.lengthS ?? 90));
  return cl.drain();
}
