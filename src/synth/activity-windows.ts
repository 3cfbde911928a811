import { ATTR, OPERATION } from '../model/attributes.js';
import type { KubeEvent } from '../model/records.js';
import type { AttrValue, Attributes, SpanEventData } from '../model/span.js';
import type { PendingSpan } from './pending-span.js';
import type { SpanTree } from './span-tree.js';

/** Identifies the object a window belongs to. */
export interface WindowSubject {
  /** uid, or kind/namespace/name when the uid is unknown. */
  readonly id: string;
  readonly kind: string;
  readonly attributes: Record<string, AttrValue>;
}

/**
 * The catch-all (DESIGN §3.2): activity on an object that no operation covers lands in a span
 * per object per fixed window (default 30 min), from the first activity to the window end, so
 * no Event or change is ever dropped. Windows are aligned to the epoch, so the same activity
 * gives the same span on any replica.
 */
export class ActivityWindows {
  readonly #tree: SpanTree;
  readonly #windowMs: number;
  readonly #open = new Map<string, PendingSpan>();
  // Windows open in time order and all have the same length, so a FIFO is ordered by end.
  readonly #fifo: { key: string; endMs: number; span: PendingSpan }[] = [];
  #fifoHead = 0;

  constructor(tree: SpanTree, windowMs: number) {
    this.#tree = tree;
    this.#windowMs = windowMs;
  }

  get openCount(): number {
    return this.#open.size;
  }

  /** The window span of `subject` at `atMs`, opened on first use with `actor` as its resource. */
  windowFor(subject: WindowSubject, atMs: number, actor: Attributes): PendingSpan {
    const index = Math.floor(atMs / this.#windowMs);
    const key = `${subject.id}/activity/${index}`;
    const existing = this.#open.get(key);
    if (existing !== undefined) return existing;
    const span = this.#tree.open({
      key,
      name: `${subject.kind} activity`,
      startMs: atMs,
      resource: actor,
      attributes: {
        ...subject.attributes,
        [ATTR.operation]: OPERATION.activityWindow,
        [ATTR.windowStart]: new Date(index * this.#windowMs).toISOString(),
      },
    });
    this.#open.set(key, span);
    this.#fifo.push({ key, endMs: (index + 1) * this.#windowMs, span });
    return span;
  }

  /** Ids of the window span for `subject` at `atMs`, without opening it (for span links). */
  windowKey(subjectId: string, atMs: number): string {
    return `${subjectId}/activity/${Math.floor(atMs / this.#windowMs)}`;
  }

  addKubeEvent(subject: WindowSubject, event: KubeEvent, atMs: number, actor: Attributes): void {
    this.#tree.addKubeEvent(this.windowFor(subject, atMs, actor), event);
  }

  addEvent(subject: WindowSubject, event: SpanEventData, actor: Attributes): void {
    this.#tree.addEvent(this.windowFor(subject, event.timeMs, actor), event);
  }

  /** Closes every window whose end is at or before `nowMs`. */
  advance(nowMs: number): void {
    while (this.#fifoHead < this.#fifo.length) {
      const head = this.#fifo[this.#fifoHead];
      if (head === undefined || head.endMs > nowMs) break;
      this.#closeEntry(head);
    }
    this.#compact();
  }

  /** Closes all windows at their own end (used at the end of a replay and on shutdown). */
  closeAll(): void {
    while (this.#fifoHead < this.#fifo.length) {
      const head = this.#fifo[this.#fifoHead];
      if (head === undefined) break;
      this.#closeEntry(head);
    }
    this.#compact();
  }

  #closeEntry(entry: { key: string; endMs: number; span: PendingSpan }): void {
    this.#fifoHead++;
    this.#open.delete(entry.key);
    this.#tree.close(entry.span, entry.endMs, { outcome: 'ok' });
  }

  #compact(): void {
    if (this.#fifoHead > 1024 && this.#fifoHead * 2 > this.#fifo.length) {
      this.#fifo.splice(0, this.#fifoHead);
      this.#fifoHead = 0;
    }
  }
}
