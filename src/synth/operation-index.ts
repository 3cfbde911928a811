import type { PendingSpan } from './pending-span.js';

/**
 * Which operation spans are open for an object, so children (pods under a ReplicaSet scale) and
 * Events find their parent. The most recently opened, still open span wins.
 */
export class OperationIndex {
  readonly #byUid = new Map<string, PendingSpan[]>();

  register(uid: string, span: PendingSpan): void {
    const list = this.#byUid.get(uid);
    if (list === undefined) this.#byUid.set(uid, [span]);
    else list.push(span);
  }

  /** The current open operation of `uid`, or undefined. Drops closed entries as it goes. */
  current(uid: string): PendingSpan | undefined {
    const list = this.#byUid.get(uid);
    if (list === undefined) return undefined;
    while (list.length > 0) {
      const last = list[list.length - 1];
      if (last !== undefined && last.isOpen) return last;
      list.pop();
    }
    this.#byUid.delete(uid);
    return undefined;
  }

  /** Number of objects with an open operation (a gauge for memory and metrics). */
  get size(): number {
    return this.#byUid.size;
  }
}
