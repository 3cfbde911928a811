import type { PendingSpan } from './pending-span.js';

/** Spans by deadline; pushes come in deadline order (now + a constant window). */
export class DeadlineQueue {
  #items: { span: PendingSpan; atMs: number }[] = [];
  #head = 0;

  get size(): number {
    return this.#items.length - this.#head;
  }

  push(span: PendingSpan, atMs: number): void {
    this.#items.push({ span, atMs });
  }

  /** The next span whose deadline is before `nowMs` (strictly), or undefined. */
  popDue(nowMs: number): PendingSpan | undefined {
    const head = this.#items[this.#head];
    if (head === undefined || !(head.atMs < nowMs)) return undefined;
    this.#head++;
    if (this.#head === this.#items.length) {
      this.#items = [];
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items.splice(0, this.#head);
      this.#head = 0;
    }
    return head.span;
  }
}
