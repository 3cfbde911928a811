import type { WriteCtx } from '../engine/api-server.js';
import { CoreEventRecorder } from '../engine/core-event-recorder.js';
import { type ControllerName, controllerActor } from '../engine/identities.js';
import { queueOwnAndOwned } from '../engine/informer.js';
import type { Rng } from '../engine/rng.js';
import { streamOf, type SimContext } from '../engine/sim-context.js';
import { WorkQueue } from '../engine/work-queue.js';

/** What a simulated pod-owning controller (ReplicaSet, StatefulSet, DaemonSet, Job) works with. */
export interface PodOwnerWiring {
  /** The controller's own random stream (one per controller keeps runs deterministic). */
  readonly rng: Rng;
  /** Its identity on writes: the controller's service account. */
  readonly ctx: WriteCtx;
  readonly events: CoreEventRecorder;
  readonly queue: WorkQueue;
}

/**
 * The wiring kube-controller-manager gives each of these controllers: a service-account
 * identity, an Event recorder, a work queue calling `sync`, fed when an object of `kind` or a pod
 * it controls changes. The draws from the random stream happen in one fixed order, so recordings
 * stay byte-identical. Never throws.
 */
export function wirePodOwner(
  c: SimContext,
  name: ControllerName,
  kind: string,
  sync: (key: string) => void,
): PodOwnerWiring {
  const rng = streamOf(c, name);
  const ctx = { actor: controllerActor(name, rng) };
  const events = new CoreEventRecorder(c.api, c.loop, rng, ctx, { component: name });
  const queue = new WorkQueue(c.loop, rng, sync);
  queueOwnAndOwned(c.hub, queue, kind, 'Pod');
  return { rng, ctx, events, queue };
}
