import type { PendingSpan } from './pending-span.js';

interface Deadline {
  readonly uid: string;
  readonly span: PendingSpan;
  readonly atMs: number;
  readonly onExpire: (atMs: number) => void;
}

/**
 * Which operation spans are open for an object, so children (pods under a ReplicaSet scale) and
 * Events find their parent — the most recently opened, still open span wins — and when an open
 * operation has outlived the maximum operation age, so a stuck one (a pod in CrashLoopBackOff for
 * days) ends as unfinished instead of holding memory forever.
 */
export class OperationIndex {
  readonly #byUid = new Map<string, PendingSpan[]>();
  readonly #maxAgeMs: number;
  // Registered in record order; start times trail record times, so the head is (nearly) the oldest.
  readonly #deadlines: Deadline[] = [];
  #head = 0;

  constructor(maxAgeMs: number) {
    this.#maxAgeMs = maxAgeMs;
  }

  /**
   * Makes `span` the current operation of `uid`. `onExpire(atMs)` is called once if the span is
   * still open when the clock passes `span.startMs + maxAge`; it must end the operation at atMs.
   */
  register(uid: string, span: PendingSpan, onExpire: (atMs: number) => void): void {
    const list = this.#byUid.get(uid);
    if (list === undefined) this.#byUid.set(uid, [span]);
    else list.push(span);
    this.#deadlines.push({ uid, span, atMs: span.startMs + this.#maxAgeMs, onExpire });
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

  /** Ends, via their trackers, the open operations whose maximum age has passed by `nowMs`. */
  expire(nowMs: number): void {
    while (this.#head < this.#deadlines.length) {
      const d = this.#deadlines[this.#head];
      if (d === undefined || d.atMs > nowMs) break;
      this.#head++;
      if (d.span.isOpen) {
        d.span.attributes['kubestitch.close_reason'] = 'max-age';
        d.onExpire(Math.max(d.atMs, d.span.startMs));
      }
      // Entries of objects nobody asks about again (a deleted pod) would otherwise stay forever:
      // by their deadline at the latest, ended operations leave the index.
      this.current(d.uid);
    }
    if (this.#head > 1024 && this.#head * 2 > this.#deadlines.length) {
      this.#deadlines.splice(0, this.#head);
      this.#head = 0;
    }
  }

  /** Number of objects with an open operation (a gauge for memory and metrics). */
  get size(): number {
    return this.#byUid.size;
  }
}
