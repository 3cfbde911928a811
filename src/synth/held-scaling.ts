import type { ScalingStep } from './event-evidence-parse.js';
import { TIMESTAMP_SLACK_MS } from './operation-index.js';

/** A ScalingReplicaSet Event held before it is applied (event-evidence), with what it says. */
export interface HeldStep<H> {
  readonly held: H;
  readonly step: ScalingStep;
  /** When it happened (its second-precision time refined by its receive time). */
  readonly atMs: number;
}

// Bounds the index like the Event queue it mirrors: an Event is applied within seconds.
const MAX_HELD = 10_000;

/**
 * The scale-ups Events announced and event-evidence still holds, by ReplicaSet: a pod created
 * after one belongs to the step it announces, and its startup must not open in the ReplicaSet's
 * operation of before because the Event happened to be applied later than the pod was seen
 * (event-evidence applies them early, in their Deployment's order).
 */
export class HeldScaleUps<H> {
  readonly #byReplicaSet = new Map<string, HeldStep<H>[]>();
  #size = 0;

  /** Notes a held scale-up of `namespace`/`step.rs`. */
  add(namespace: string, entry: HeldStep<H>): void {
    if (!entry.step.up || this.#size >= MAX_HELD) return;
    const key = `${namespace}/${entry.step.rs}`;
    const list = this.#byReplicaSet.get(key);
    if (list === undefined) this.#byReplicaSet.set(key, [entry]);
    else list.push(entry);
    this.#size++;
  }

  /** Forgets a held Event once applied. */
  forget(namespace: string, step: ScalingStep, held: H): void {
    const key = `${namespace}/${step.rs}`;
    const list = this.#byReplicaSet.get(key);
    const i = list?.findIndex((e) => e.held === held) ?? -1;
    if (list === undefined || i < 0) return;
    list.splice(i, 1);
    this.#size--;
    if (list.length === 0) this.#byReplicaSet.delete(key);
  }

  /**
   * The latest held scale-up of ReplicaSet `namespace`/`name` that happened by `createdMs` (a
   * pod's creation, within the slack of second-precision times) and that `isOpen` does not find
   * open already; undefined when there is none.
   */
  before(
    namespace: string,
    name: string,
    createdMs: number,
    isOpen: (e: HeldStep<H>) => boolean,
  ): HeldStep<H> | undefined {
    const list = this.#byReplicaSet.get(`${namespace}/${name}`) ?? [];
    const by = list.filter((e) => e.atMs <= createdMs + TIMESTAMP_SLACK_MS);
    const last = by[by.length - 1];
    return last === undefined || isOpen(last) ? undefined : last;
  }
}
