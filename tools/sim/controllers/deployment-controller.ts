import type { WriteCtx } from '../engine/api-server.js';
import { CoreEventRecorder } from '../engine/core-event-recorder.js';
import { computeHash, jsonEqual } from '../engine/hash.js';
import { controllerActor } from '../engine/identities.js';
import type { Deployment, ReplicaSet } from '../engine/k8s-types.js';
import { controllerRef, referenceTo } from '../engine/object-ref.js';
import { streamOf, type SimContext } from '../engine/sim-context.js';
import { WorkQueue } from '../engine/work-queue.js';
import { queueOwnAndOwned } from '../engine/informer.js';
import { newCondition, rolloutStatus, calculateStatus, setCondition } from './deployment-status.js';
import {
  byCreation,
  DESIRED,
  equalIgnoreHash,
  HASH_LABEL,
  maxSurge,
  maxUnavailable,
  REVISION,
  revisionOf,
  rsAnnotations,
  sumSpec,
  sumStatus,
} from './deployment-util.js';

const NAME = 'deployment-controller';

/**
 * kube-controller-manager's deployment controller for the RollingUpdate strategy: creates the new
 * ReplicaSet, scales new up and old down within maxSurge/maxUnavailable, handles scaling events,
 * and maintains status with the Available and Progressing conditions, as pkg/controller/deployment.
 */
export class DeploymentController {
  readonly #c: SimContext;
  readonly #ctx: WriteCtx;
  readonly #events: CoreEventRecorder;
  readonly #queue: WorkQueue;

  constructor(c: SimContext) {
    this.#c = c;
    const rng = streamOf(c, NAME);
    this.#ctx = { actor: controllerActor(NAME, rng) };
    this.#events = new CoreEventRecorder(c.api, c.loop, rng, this.#ctx, { component: NAME });
    this.#queue = new WorkQueue(c.loop, rng, (key) => this.#sync(key));
    queueOwnAndOwned(c.hub, this.#queue, 'Deployment', 'ReplicaSet');
  }

  #sync(key: string): void {
    const [namespace = '', name = ''] = key.split('/');
    const d = this.#c.api.get<Deployment>({ apiVersion: 'apps/v1', kind: 'Deployment', namespace, name });
    if (d === undefined || d.metadata.deletionTimestamp !== undefined) return;
    const rsList = this.#c.api.table
      .controlledBy<ReplicaSet>(d.metadata.uid, 'ReplicaSet')
      .filter((rs) => rs.metadata.deletionTimestamp === undefined)
      .sort(byCreation);
    if (this.#isScalingEvent(d, rsList)) this.#scaleSync(d, rsList);
    else this.#rolloutRolling(d, rsList);
  }

  #isScalingEvent(d: Deployment, rsList: ReplicaSet[]): boolean {
    const newRS = rsList.find((rs) => equalIgnoreHash(rs.spec.template, d.spec.template));
    if (newRS === undefined) return false;
    return rsList.some((rs) => rs.spec.replicas > 0 && rs.metadata.annotations?.[DESIRED] !== String(d.spec.replicas));
  }

  #scaleSync(d: Deployment, rsList: ReplicaSet[]): void {
    const newRS = rsList.find((rs) => equalIgnoreHash(rs.spec.template, d.spec.template));
    const active = rsList.filter((rs) => rs.spec.replicas > 0);
    const target = active.length === 1 ? active[0] : active.length === 0 ? newRS : (newRS ?? active[active.length - 1]);
    let all = rsList;
    if (target !== undefined) {
      const scaled = this.#scaleRS(target, d.spec.replicas, d);
      all = rsList.map((rs) => (rs.metadata.uid === scaled.metadata.uid ? scaled : rs));
    }
    const fresh = all.find((rs) => equalIgnoreHash(rs.spec.template, d.spec.template));
    this.#writeStatus(d, calculateStatus(all, fresh, d, this.#c.loop.nowUs));
  }

  #rolloutRolling(dIn: Deployment, rsList: ReplicaSet[]): void {
    let d = dIn;
    const old = rsList.filter((rs) => !equalIgnoreHash(rs.spec.template, d.spec.template));
    let newRS = rsList.find((rs) => equalIgnoreHash(rs.spec.template, d.spec.template));
    if (newRS === undefined) {
      const created = this.#createNewRS(d, old);
      newRS = created.rs;
      d = created.d;
    } else {
      const promoted = this.#promote(d, newRS, old);
      newRS = promoted.rs;
      d = promoted.d;
    }
    let all = [...old, newRS];
    const scaledUp = this.#reconcileNew(all, newRS, d);
    if (scaledUp !== undefined) {
      all = [...old, scaledUp];
      this.#writeStatus(d, rolloutStatus(all, scaledUp, d, this.#c.loop.nowUs));
      return;
    }
    const afterDown = this.#reconcileOld(old, newRS, d);
    this.#writeStatus(d, rolloutStatus([...afterDown, newRS], newRS, d, this.#c.loop.nowUs));
  }

  /**
   * A rollback (the template of an older ReplicaSet again): as the real controller's
   * getNewReplicaSet does, that ReplicaSet takes the next revision first (an update of its
   * annotations), then the Deployment's revision annotation follows, before anything is scaled.
   */
  #promote(d: Deployment, rs: ReplicaSet, old: ReplicaSet[]): { rs: ReplicaSet; d: Deployment } {
    const revision = Math.max(0, ...old.map(revisionOf)) + 1;
    if (revisionOf(rs) >= revision) return { rs, d };
    const annotations = rsAnnotations(d, revision, rs.metadata.annotations);
    const stored = this.#c.api.update({ ...rs, metadata: { ...rs.metadata, annotations } }, this.#ctx) ?? rs;
    const depAnnotations = { ...d.metadata.annotations, [REVISION]: String(revision) };
    const next = { ...d, metadata: { ...d.metadata, annotations: depAnnotations } };
    return { rs: stored, d: this.#c.api.update(next, this.#ctx, 'status') ?? d };
  }

  #createNewRS(d: Deployment, old: ReplicaSet[]): { rs: ReplicaSet; d: Deployment } {
    const hash = computeHash(d.spec.template);
    const name = `${d.metadata.name ?? ''}-${hash}`;
    const revision = Math.max(0, ...old.map(revisionOf)) + 1;
    const current = sumSpec(old);
    const maxTotal = d.spec.replicas + maxSurge(d);
    const replicas = current >= maxTotal ? 0 : Math.min(maxTotal - current, d.spec.replicas);
    const labels = { ...d.spec.template.metadata.labels, [HASH_LABEL]: hash };
    const body: ReplicaSet = {
      kind: 'ReplicaSet',
      apiVersion: 'apps/v1',
      metadata: {
        name,
        namespace: d.metadata.namespace ?? '',
        creationTimestamp: null,
        labels,
        annotations: rsAnnotations(d, revision),
        ownerReferences: [controllerRef(d)],
      },
      spec: {
        replicas,
        selector: { matchLabels: { ...d.spec.selector.matchLabels, [HASH_LABEL]: hash } },
        template: { metadata: { ...d.spec.template.metadata, labels }, spec: d.spec.template.spec },
      },
      status: { replicas: 0 },
    };
    const rs = this.#c.api.create(body, this.#ctx);
    if (replicas > 0) this.#event(d, `Scaled up replica set ${name} from 0 to ${replicas}`);
    const annotations = { ...d.metadata.annotations, [REVISION]: String(revision) };
    const cond = newCondition(
      'Progressing',
      'True',
      'NewReplicaSetCreated',
      `Created new replica set "${name}"`,
      this.#c.loop.nowUs,
    );
    const next = { ...d, metadata: { ...d.metadata, annotations }, status: setCondition(d.status, cond) };
    return { rs, d: this.#c.api.update(next, this.#ctx, 'status') ?? d };
  }

  /** Returns the scaled new RS, or undefined if nothing was scaled. */
  #reconcileNew(all: ReplicaSet[], newRS: ReplicaSet, d: Deployment): ReplicaSet | undefined {
    const want = d.spec.replicas;
    if (newRS.spec.replicas === want) return undefined;
    if (newRS.spec.replicas > want) return this.#scaleRS(newRS, want, d);
    const current = sumSpec(all);
    const maxTotal = d.spec.replicas + maxSurge(d);
    if (current >= maxTotal) return undefined;
    const up = Math.min(maxTotal - current, want - newRS.spec.replicas);
    return this.#scaleRS(newRS, newRS.spec.replicas + up, d);
  }

  /** Scales old RSes down as far as availability allows; returns the old RSes as they now are. */
  #reconcileOld(oldIn: ReplicaSet[], newRS: ReplicaSet, d: Deployment): ReplicaSet[] {
    let old = [...oldIn];
    if (sumSpec(old) === 0) return old;
    const minAvailable = d.spec.replicas - maxUnavailable(d);
    const newUnavailable = newRS.spec.replicas - (newRS.status.availableReplicas ?? 0);
    let budget = sumSpec([...old, newRS]) - minAvailable - newUnavailable;
    if (budget <= 0) return old;
    // cleanupUnhealthyReplicas: old pods that are not available go first.
    old = old.map((rs) => {
      const unhealthy = rs.spec.replicas - (rs.status.availableReplicas ?? 0);
      if (budget <= 0 || unhealthy <= 0) return rs;
      const n = Math.min(budget, unhealthy);
      budget -= n;
      return this.#scaleRS(rs, rs.spec.replicas - n, d);
    });
    const available = sumStatus([...old, newRS], 'availableReplicas');
    let toScale = available - minAvailable;
    old = old.map((rs) => {
      if (toScale <= 0 || rs.spec.replicas === 0) return rs;
      const n = Math.min(rs.spec.replicas, toScale);
      toScale -= n;
      return this.#scaleRS(rs, rs.spec.replicas - n, d);
    });
    return old;
  }

  #scaleRS(rs: ReplicaSet, to: number, d: Deployment): ReplicaSet {
    const annotations = rsAnnotations(d, revisionOf(rs), rs.metadata.annotations);
    const sizeChanged = rs.spec.replicas !== to;
    if (!sizeChanged && jsonEqual(annotations, rs.metadata.annotations)) return rs;
    const next = { ...rs, metadata: { ...rs.metadata, annotations }, spec: { ...rs.spec, replicas: to } };
    const stored = this.#c.api.update(next, this.#ctx) ?? rs;
    if (sizeChanged) {
      const dir = to > rs.spec.replicas ? 'up' : 'down';
      this.#event(d, `Scaled ${dir} replica set ${rs.metadata.name ?? ''} from ${rs.spec.replicas} to ${to}`);
    }
    return stored;
  }

  #writeStatus(d: Deployment, status: Deployment['status']): void {
    this.#c.api.updateStatus(d, status, this.#ctx);
  }

  #event(d: Deployment, message: string): void {
    this.#events.record(referenceTo(d), 'Normal', 'ScalingReplicaSet', message);
  }
}
