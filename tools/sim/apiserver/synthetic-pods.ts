import { createHash } from 'node:crypto';
import { runScenario } from '../run-scenario.js';
import type { KubeJson } from '../types.js';

type Json = Record<string, unknown>;

export interface SyntheticPodOptions {
  /** Namespaces to spread pods over (`load-0` …). Default 16. */
  readonly namespaces?: number;
  /** Pods per node (sets spec.nodeName `node-N`). Default 90. */
  readonly podsPerNode?: number;
  /** Pods per owning ReplicaSet. Default 10. */
  readonly podsPerOwner?: number;
}

function uid(seed: string): string {
  const h = createHash('sha256').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** A running pod of the rolling-update scenario: the shape every synthetic pod copies. */
function templatePod(): KubeJson {
  const rec = runScenario('rolling-update');
  for (let i = rec.watch.length - 1; i >= 0; i--) {
    const line = rec.watch[i];
    // A settled pod: Running and not being deleted (the last old pods of a rollout terminate).
    const o = line?.object as { kind?: string; metadata?: Json; status?: Json } | undefined;
    if (
      line !== undefined &&
      line.type !== 'DELETED' &&
      o?.kind === 'Pod' &&
      o.metadata?.['deletionTimestamp'] === undefined &&
      o.status?.['phase'] === 'Running'
    ) {
      return line.object;
    }
  }
  throw new Error('rolling-update recording has no pod');
}

/**
 * `count` running pods shaped like the simulator's (same fields, owner references, statuses),
 * named `app-<owner>-<i>` in `load-<n>` namespaces, deterministic for a given count. For the
 * memory benchmark: a 100,000-pod cluster without simulating its history.
 */
export function* syntheticPods(count: number, options: SyntheticPodOptions = {}): Generator<KubeJson, void, undefined> {
  const template = templatePod() as Record<string, unknown> & { metadata: Json; spec: Json; status: Json };
  const namespaces = options.namespaces ?? 16;
  const perNode = options.podsPerNode ?? 90;
  const perOwner = options.podsPerOwner ?? 10;
  const { resourceVersion: _rv, ...templateMeta } = template.metadata;
  for (let i = 0; i < count; i++) {
    // Shallow copies: nested parts (containers, conditions …) are shared between pods, which is
    // safe because objects are read-only once fed and the store keeps its own JSON text.
    const owner = Math.floor(i / perOwner);
    const podIP = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
    yield {
      ...template,
      metadata: {
        ...templateMeta,
        name: `app-${owner}-${i.toString(36).padStart(5, '0')}`,
        generateName: `app-${owner}-`,
        namespace: `load-${owner % namespaces}`,
        uid: uid(`pod/${i}`),
        labels: { app: `app-${owner}`, 'pod-template-hash': 'synthetic' },
        ownerReferences: [
          {
            apiVersion: 'apps/v1',
            kind: 'ReplicaSet',
            name: `app-${owner}`,
            uid: uid(`rs/${owner}`),
            controller: true,
            blockOwnerDeletion: true,
          },
        ],
      },
      spec: { ...template.spec, nodeName: `node-${Math.floor(i / perNode) + 1}` },
      status: { ...template.status, podIP, podIPs: [{ ip: podIP }] },
    };
  }
}
