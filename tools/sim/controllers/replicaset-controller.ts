import { omitEmpty } from '../engine/json-order.js';
import type { Pod, ReplicaSet } from '../engine/k8s-types.js';
import { controllerRef, referenceTo } from '../engine/object-ref.js';
import type { SimContext } from '../engine/sim-context.js';
import { admitPod, podFromTemplate } from '../objects/pod-builder.js';
import { deletionOrder, isActive, isReady } from './pod-util.js';
import { type PodOwnerWiring, wirePodOwner } from './pod-owner-wiring.js';

const NAME = 'replicaset-controller';

/**
 * pkg/controller/replicaset: keeps the number of active pods at spec.replicas (creating in slow-start
 * batches, deleting the most deletable first) and writes status computed from the pods it saw at the
 * start of the sync, as the real controller does.
 */
export class ReplicaSetController {
  readonly #c: SimContext;
  readonly #w: PodOwnerWiring;

  constructor(c: SimContext) {
    this.#c = c;
    this.#w = wirePodOwner(c, NAME, 'ReplicaSet', (key) => this.#sync(key));
  }

  #sync(key: string): void {
    const [namespace = '', name = ''] = key.split('/');
    const rs = this.#c.api.get<ReplicaSet>({ apiVersion: 'apps/v1', kind: 'ReplicaSet', namespace, name });
    if (rs === undefined || rs.metadata.deletionTimestamp !== undefined) return;
    const pods = this.#c.api.table.controlledBy<Pod>(rs.metadata.uid, 'Pod');
    const active = pods.filter(isActive);
    const diff = active.length - rs.spec.replicas;
    if (diff < 0) this.#create(rs, -diff);
    if (diff > 0) this.#delete(rs, [...active].sort(deletionOrder).slice(0, diff));
    this.#writeStatus(rs, active);
  }

  #create(rs: ReplicaSet, count: number): void {
    // slowStartBatch: 1, 2, 4, … concurrent creates; here sequential requests in the same burst.
    for (let i = 0; i < Math.min(count, 500); i++) {
      const body = podFromTemplate(rs.spec.template, {
        generateName: `${rs.metadata.name ?? ''}-`,
        namespace: rs.metadata.namespace ?? '',
        ownerReferences: [controllerRef(rs)],
      });
      const pod = this.#c.api.create(body, this.#w.ctx, (req) => admitPod(req, this.#w.rng));
      this.#w.events.record(referenceTo(rs), 'Normal', 'SuccessfulCreate', `Created pod: ${pod.metadata.name ?? ''}`);
    }
  }

  #delete(rs: ReplicaSet, victims: Pod[]): void {
    for (const p of victims) {
      const id = { apiVersion: 'v1', kind: 'Pod', namespace: p.metadata.namespace ?? '', name: p.metadata.name ?? '' };
      if (this.#c.api.delete(id, this.#w.ctx) === undefined) continue;
      this.#w.events.record(referenceTo(rs), 'Normal', 'SuccessfulDelete', `Deleted pod: ${p.metadata.name ?? ''}`);
    }
  }

  #writeStatus(rs: ReplicaSet, active: Pod[]): void {
    const labels = rs.spec.template.metadata.labels ?? {};
    const fullyLabeled = active.filter((p) => Object.entries(labels).every(([k, v]) => p.metadata.labels?.[k] === v));
    const ready = active.filter(isReady).length;
    const status: ReplicaSet['status'] = {
      replicas: active.length,
      ...omitEmpty({
        fullyLabeledReplicas: fullyLabeled.length,
        readyReplicas: ready,
        availableReplicas: ready,
        observedGeneration: rs.metadata.generation ?? 1,
      }),
    };
    this.#c.api.updateStatus(rs, status, this.#w.ctx);
  }
}
