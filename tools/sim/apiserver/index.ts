/**
 * A fake Kubernetes apiserver for tests and benchmarks, speaking the real HTTP protocol:
 *
 *   const server = await startFakeApiserver();
 *   const kubeconfig = await server.kubeconfig(join(dir, 'kubeconfig'));   // kubectl + client-node
 *   const { audit } = await playRecording(server, runScenario('rolling-update'));
 *   server.compact(); server.expireWatches(); server.dropWatches(); server.failNext({ status: 503 });
 *
 * Standalone: `node --import tsx tools/sim/apiserver/main.ts --scenario rolling-update --port 0`.
 */
export { startFakeApiserver, FakeApiserver } from './fake-apiserver.js';
export type { FakeApiserverOptions, FakeApiserverStats, FaultRule, RequestRecord } from './fake-apiserver.js';
export type { ExpiredWatchMode } from './context.js';
export type { ApplyOptions, ResourceVersionPolicy } from './feed.js';
export { playRecording, loadObjects, splitInitialList } from './play-recording.js';
export type { PlayOptions, PlayResult } from './play-recording.js';
export { DEFAULT_RESOURCES } from './resources.js';
export type { ResourceInfo, ResourceSpec } from './resources.js';
export { kubeconfigYaml } from './kubeconfig.js';
export { syntheticPods } from './synthetic-pods.js';
