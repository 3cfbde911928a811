import type { EventLoop } from './event-loop.js';
import type { Rng } from './rng.js';

/**
 * A controller work queue (client-go workqueue): keys are deduplicated while waiting, so a burst
 * of informer events becomes one sync. Each sync starts after a small processing delay.
 */
export class WorkQueue {
  readonly #loop: EventLoop;
  readonly #rng: Rng;
  readonly #sync: (key: string) => void;
  readonly #dueUs = new Map<string, number>();
  readonly #delayUs: readonly [number, number];

  constructor(
    loop: EventLoop,
    rng: Rng,
    sync: (key: string) => void,
    delayUs: readonly [number, number] = [300, 2500],
  ) {
    this.#loop = loop;
    this.#rng = rng;
    this.#sync = sync;
    this.#delayUs = delayUs;
  }

  /** Queues `key` to sync at `atUs` (default: now) plus the processing delay. */
  add(key: string, atUs = this.#loop.nowUs): void {
    const due = atUs + this.#rng.int(this.#delayUs[0], this.#delayUs[1]);
    const pending = this.#dueUs.get(key);
    if (pending !== undefined && pending <= due) return;
    this.#dueUs.set(key, due);
    this.#loop.at(due, () => {
      if (this.#dueUs.get(key) !== due) return;
      this.#dueUs.delete(key);
      this.#sync(key);
    });
  }

  addAfter(key: string, delayUs: number): void {
    this.add(key, this.#loop.nowUs + delayUs);
  }
}
