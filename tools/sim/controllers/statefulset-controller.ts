import type { Pod, StatefulSet } from '../engine/k8s-types.js';
import { controllerRef, referenceTo } from '../engine/object-ref.js';
import { idOf } from '../engine/object-table.js';
import type { SimContext } from '../engine/sim-context.js';
import { admitPod, podFromTemplate } from '../objects/pod-builder.js';
import { isRunningAndReady } from './pod-util.js';
import { ensureRevision } from './revisions.js';
import { type PodOwnerWiring, wirePodOwner } from './pod-owner-wiring.js';

const NAME = 'statefulset-controller';
const REV_LABEL = 'controller-revision-hash';

/**
 * pkg/controller/statefulset with OrderedReady pods and RollingUpdate (partition 0): creates
 * ordinals in order, each once the previous is Running and Ready; rolls a new revision by
 * deleting the highest-ordinal outdated pod, recreating it, and waiting for it to be ready.
 */
export class StatefulSetController {
  readonly #c: SimContext;
  readonly #w: PodOwnerWiring;

  constructor(c: SimContext) {
    this.#c = c;
    this.#w = wirePodOwner(c, NAME, 'StatefulSet', (key) => this.#sync(key));
  }

  #sync(key: string): void {
    const [namespace = '', name = ''] = key.split('/');
    const ss = this.#c.api.get<StatefulSet>({ apiVersion: 'apps/v1', kind: 'StatefulSet', namespace, name });
    if (ss === undefined || ss.metadata.deletionTimestamp !== undefined) return;
    const update = ensureRevision(this.#c.api, this.#w.ctx, ss);
    const current = ss.status.currentRevision ?? update.name;
    const pods = this.#c.api.table.controlledBy<Pod>(ss.metadata.uid, 'Pod');
    const byOrdinal = (i: number): Pod | undefined => pods.find((p) => p.metadata.name === `${name}-${i}`);
    this.#step(ss, update.name, byOrdinal);
    const after = this.#c.api.table.controlledBy<Pod>(ss.metadata.uid, 'Pod');
    this.#writeStatus(ss, after, current, update.name);
  }

  /** One monotonic step: create the first missing ordinal, or delete the highest outdated one. */
  #step(ss: StatefulSet, updateRevision: string, byOrdinal: (i: number) => Pod | undefined): void {
    for (let i = 0; i < ss.spec.replicas; i++) {
      const pod = byOrdinal(i);
      if (pod === undefined) {
        this.#createPod(ss, i, updateRevision);
        return;
      }
      if (pod.metadata.deletionTimestamp !== undefined || !isRunningAndReady(pod)) return;
    }
    for (let i = ss.spec.replicas - 1; i >= 0; i--) {
      const pod = byOrdinal(i);
      if (pod === undefined || pod.metadata.labels?.[REV_LABEL] === updateRevision) continue;
      if (this.#c.api.delete(idOf(pod), this.#w.ctx) !== undefined) {
        this.#w.events.record(
          referenceTo(ss),
          'Normal',
          'SuccessfulDelete',
          `delete Pod ${pod.metadata.name ?? ''} in StatefulSet ${ss.metadata.name ?? ''} successful`,
        );
      }
      return;
    }
  }

  #createPod(ss: StatefulSet, ordinal: number, revision: string): void {
    const podName = `${ss.metadata.name ?? ''}-${ordinal}`;
    const body = podFromTemplate(ss.spec.template, {
      name: podName,
      namespace: ss.metadata.namespace ?? '',
      labels: {
        'apps.kubernetes.io/pod-index': String(ordinal),
        [REV_LABEL]: revision,
        'statefulset.kubernetes.io/pod-name': podName,
      },
      ownerReferences: [controllerRef(ss)],
    });
    const claims = (ss.spec.volumeClaimTemplates ?? []).map((t) => {
      const claim = String((t['metadata'] as { name?: string } | undefined)?.name ?? 'data');
      return { name: claim, persistentVolumeClaim: { claimName: `${claim}-${podName}` } };
    });
    body.spec = {
      ...body.spec,
      volumes: [...claims, ...(body.spec.volumes ?? [])],
      hostname: podName,
      subdomain: ss.spec.serviceName,
    };
    this.#c.api.create(body, this.#w.ctx, (req) => admitPod(req, this.#w.rng));
    this.#w.events.record(
      referenceTo(ss),
      'Normal',
      'SuccessfulCreate',
      `create Pod ${podName} in StatefulSet ${ss.metadata.name ?? ''} successful`,
    );
  }

  #writeStatus(ss: StatefulSet, pods: Pod[], currentIn: string, update: string): void {
    let ready = 0;
    let currentReplicas = 0;
    let updated = 0;
    for (const p of pods) {
      if (isRunningAndReady(p)) ready++;
      if (p.metadata.deletionTimestamp !== undefined) continue;
      if (p.metadata.labels?.[REV_LABEL] === currentIn) currentReplicas++;
      if (p.metadata.labels?.[REV_LABEL] === update) updated++;
    }
    let current = currentIn;
    const n = ss.spec.replicas;
    // completeRollingUpdate: once every replica is updated and ready, the update becomes current.
    if (updated === n && ready === n && pods.length === n) {
      current = update;
      currentReplicas = updated;
    }
    const status: StatefulSet['status'] = {
      observedGeneration: ss.metadata.generation ?? 1,
      replicas: pods.length,
      ...(ready > 0 ? { readyReplicas: ready } : {}),
      ...(currentReplicas > 0 ? { currentReplicas } : {}),
      ...(updated > 0 ? { updatedReplicas: updated } : {}),
      currentRevision: current,
      updateRevision: update,
      collisionCount: 0,
      availableReplicas: ready,
    };
    this.#c.api.updateStatus(ss, status, this.#w.ctx);
  }
}
