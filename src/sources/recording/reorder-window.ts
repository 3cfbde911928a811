import { type OrderKey, type RankedRecord, compareOrderKeys, orderKeyOf } from './record-order.js';

/**
 * The records of one file read ahead but not yet handed on, least first (compareRecords): a binary
 * heap of at most `capacity` records (the caller stops reading when full). A file whose disorder
 * stays within the window comes out exactly in processing order. A record that sorts before one
 * already handed on (it arrived more than `capacity` records late) still comes out, next, and is
 * counted in `late`: it is processed out of order, as a live watch delivers a late change.
 */
export class ReorderWindow<T extends RankedRecord = RankedRecord> {
  readonly capacity: number;
  // Each with its arrival number: records equal by compareRecords (a line repeated) keep file order.
  readonly #heap: Held<T>[] = [];
  #seq = 0;
  #last: OrderKey | undefined;
  #late = 0;

  constructor(capacity: number) {
    this.capacity = Math.max(1, capacity);
  }

  get size(): number {
    return this.#heap.length;
  }

  get full(): boolean {
    return this.#heap.length >= this.capacity;
  }

  /** Records handed on after one they sort after (beyond the window). */
  get late(): number {
    return this.#late;
  }

  push(record: T): void {
    const h = this.#heap;
    const r: Held<T> = { r: record, key: orderKeyOf(record), seq: this.#seq++ };
    let i = h.length;
    h.push(r);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = h[parent];
      if (p === undefined || !before(r, p)) break;
      h[i] = p;
      i = parent;
    }
    h[i] = r;
  }

  /** The least record held, or undefined when empty. */
  peek(): T | undefined {
    return this.#heap[0]?.r;
  }

  /** The order key of the least record held (computed when it was pushed). */
  peekKey(): OrderKey | undefined {
    return this.#heap[0]?.key;
  }

  /** Removes and returns the least record (undefined when empty), counting it if it is late. */
  take(): T | undefined {
    const held = this.#remove();
    if (held === undefined) return undefined;
    if (this.#last !== undefined && compareOrderKeys(held.key, this.#last) < 0) this.#late++;
    else this.#last = held.key;
    return held.r;
  }

  /** Removes the least record as if it had never been pushed (it is not handed on). */
  discard(): void {
    this.#remove();
  }

  #remove(): Held<T> | undefined {
    const h = this.#heap;
    const held = h[0];
    const end = h.pop();
    if (held === undefined || end === undefined) return undefined;
    if (h.length > 0) this.#siftDown(end);
    return held;
  }

  #siftDown(r: Held<T>): void {
    const h = this.#heap;
    const n = h.length;
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      const left = h[child];
      const right = h[child + 1];
      if (left === undefined) break;
      let least = left;
      if (right !== undefined && before(right, left)) {
        least = right;
        child++;
      }
      if (!before(least, r)) break;
      h[i] = least;
      i = child;
    }
    h[i] = r;
  }
}

interface Held<T extends RankedRecord> {
  readonly r: T;
  readonly key: OrderKey;
  readonly seq: number;
}

function before<T extends RankedRecord>(a: Held<T>, b: Held<T>): boolean {
  const c = compareOrderKeys(a.key, b.key);
  return c < 0 || (c === 0 && a.seq < b.seq);
}
