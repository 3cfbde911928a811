import { ATTR, OPERATION } from '../model/attributes.js';
import type { KubeEvent } from '../model/records.js';
import type { AttrValue, Attributes, SpanEventData } from '../model/span.js';
import { MAX_OPEN_REASON } from './operation-index.js';
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
 * Activity windows open at once, by default: past it the oldest open one closes at its last
 * evidence with close_reason `max-open` (issue 16: a storm of objects each with activity must be
 * held by count, not only until the window ends).
 */
export const MAX_OPEN_WINDOWS = 50_000;

type FifoEntry = { key: string; endMs: number; span: PendingSpan };

/**
 * The catch-all (DESIGN §3.2): activity on an object that no operation covers lands in a span
 * per object per fixed window (default 30 min), from the first activity to the last (ADR 0006), so
 * no Event or change is ever dropped. Windows are aligned to the epoch, so the same activity
 * gives the same span on any replica.
 */
export class ActivityWindows {
  readonly #tree: SpanTree;
  readonly #windowMs: number;
  readonly #open = new Map<string, PendingSpan>();
  // Windows open in time order and all have the same length, so a FIFO is ordered by end. Slots
  // before the head are cleared as their windows close: #compact splices them out only past 1,024,
  // and until then they held up to that many ended windows' spans and events (~2 KB each, #16).
  readonly #fifo: (FifoEntry | undefined)[] = [];
  #fifoHead = 0;
  /**
   * Windows closed during the last window length: the span while late evidence can still join
   * it, null once it was exported (its key must not be opened again). Map order = closing order.
   */
  readonly #closed = new Map<string, { span: PendingSpan | null; forgetMs: number }>();
  #nowMs = -Infinity;
  readonly #maxOpen: number;
  #evicted = 0;

  constructor(tree: SpanTree, windowMs: number, maxOpen = MAX_OPEN_WINDOWS) {
    this.#tree = tree;
    this.#windowMs = windowMs;
    this.#maxOpen = Math.max(1, maxOpen);
  }

  get openCount(): number {
    return this.#open.size;
  }

  /** Windows closed early (close_reason `max-open`) because more than the bound were open. */
  get evicted(): number {
    return this.#evicted;
  }

  /** The window span of `subject` at `atMs`, opened on first use with `actor` as its resource. */
  windowFor(subject: WindowSubject, atMs: number, actor: Attributes): PendingSpan {
    const index = Math.floor(atMs / this.#windowMs);
    let key = `${subject.id}/activity/${index}`;
    let endMs = (index + 1) * this.#windowMs;
    const open = this.#open.get(key);
    if (open !== undefined) return open;
    const closed = this.#closed.get(key);
    if (closed?.span != null && closed.span.state !== 'emitted') return closed.span;
    if (closed !== undefined) {
      // The window was closed and exported; reopening it would export its span id twice (#17).
      // Late evidence goes to a window of its own that ends with the current one.
      const nowIndex = Math.floor(this.#nowMs / this.#windowMs);
      key = `${key}/late/${nowIndex}`;
      endMs = (nowIndex + 1) * this.#windowMs;
      const late = this.#open.get(key);
      if (late !== undefined) return late;
    }
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
    this.#insertByEnd({ key, endMs, span });
    if (this.#open.size > this.#maxOpen) this.#evictOldest(span);
    return span;
  }

  // The window that ends first (the FIFO head, oldest activity) closes at its last evidence; never
  // the one just opened, which its caller is about to add to.
  #evictOldest(keep: PendingSpan): void {
    const head = this.#fifo[this.#fifoHead];
    if (head === undefined || head.span === keep) return;
    head.span.attributes['kubestitch.close_reason'] = MAX_OPEN_REASON;
    this.#closeEntry(head);
    this.#evicted++;
    // No #compact here: it walks the exported windows still remembered, O(n) per eviction in a
    // storm; the next advance (every tick) compacts.
  }

  // Windows open in time order, so pushing keeps the FIFO ordered by end — except a late window,
  // which ends with the current period and may precede windows opened for earlier evidence.
  #insertByEnd(entry: FifoEntry): void {
    let i = this.#fifo.length;
    while (i > this.#fifoHead && (this.#fifo[i - 1]?.endMs ?? -Infinity) > entry.endMs) i--;
    this.#fifo.splice(i, 0, entry);
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
    if (nowMs > this.#nowMs) this.#nowMs = nowMs;
    while (this.#fifoHead < this.#fifo.length) {
      const head = this.#fifo[this.#fifoHead];
      if (head === undefined || head.endMs > nowMs) break;
      this.#closeEntry(head);
    }
    this.#compact();
  }

  /** Closes every window (the end of a replay), each at its last evidence as always (ADR 0006). */
  closeAll(): void {
    while (this.#fifoHead < this.#fifo.length) {
      const head = this.#fifo[this.#fifoHead];
      if (head === undefined) break;
      this.#closeEntry(head);
    }
    this.#compact();
  }

  // A window ends at its last evidence, whether its period passed or the input stopped inside it
  // (ADR 0006): live `run` sees the quiet rest of a period that a replay of its recording does not,
  // and drawing the quiet would make the two trees differ.
  #closeEntry(entry: FifoEntry): void {
    const endMs = this.#tree.lastEvidenceMs(entry.span, entry.endMs);
    this.#fifo[this.#fifoHead] = undefined;
    this.#fifoHead++;
    this.#open.delete(entry.key);
    this.#closed.set(entry.key, { span: entry.span, forgetMs: this.#nowMs + this.#windowMs });
    this.#tree.close(entry.span, endMs, { outcome: 'ok', coversUntilMs: entry.endMs });
  }

  #compact(): void {
    // Exported windows keep only their key, for one window length (Map order is closing order,
    // and exports follow it): evidence later than that may reuse an id, but no longer lingers.
    for (const [key, entry] of this.#closed) {
      if (entry.forgetMs <= this.#nowMs) this.#closed.delete(key);
      else if (entry.span?.state === 'emitted') entry.span = null;
      else if (entry.span !== null) break;
    }
    if (this.#fifoHead > 1024 && this.#fifoHead * 2 > this.#fifo.length) {
      this.#fifo.splice(0, this.#fifoHead);
      this.#fifoHead = 0;
    }
  }
}
