/**
 * Keys by due time (record time), earliest first; a pop means "check this key now". A key is
 * queued once at its earliest due time (a later one is dropped: the check reschedules). Insertion
 * is a binary search; due times mostly arrive in order, so it is usually an append.
 */
export class TimerQueue {
  readonly #items: { key: string; atMs: number }[] = [];
  readonly #due = new Map<string, number>();

  get size(): number {
    return this.#items.length;
  }

  push(key: string, atMs: number): void {
    const queued = this.#due.get(key);
    if (queued !== undefined && queued <= atMs) return;
    this.#due.set(key, atMs);
    let lo = 0;
    let hi = this.#items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.#items[mid]?.atMs ?? Infinity) <= atMs) lo = mid + 1;
      else hi = mid;
    }
    this.#items.splice(lo, 0, { key, atMs });
  }

  /** Removes and returns the keys due at or before `nowMs`, earliest first. */
  popDue(nowMs: number): string[] {
    let n = 0;
    while (n < this.#items.length && (this.#items[n]?.atMs ?? Infinity) <= nowMs) n++;
    if (n === 0) return [];
    const out: string[] = [];
    for (const { key, atMs } of this.#items.splice(0, n)) {
      if (this.#due.get(key) !== atMs) continue; // superseded by an earlier entry, popped before
      this.#due.delete(key);
      out.push(key);
    }
    return out;
  }
}
