interface Task {
  readonly atUs: number;
  readonly seq: number;
  readonly run: () => void;
}

/**
 * The simulator's virtual clock and agenda: a min-heap of tasks ordered by (time, insertion order),
 * so equal-time tasks run in the order they were scheduled and every run is deterministic.
 * Time only moves forward; a task scheduled in the past runs "now".
 */
export class EventLoop {
  #nowUs: number;
  #seq = 0;
  readonly #heap: Task[] = [];

  constructor(startUs: number) {
    this.#nowUs = startUs;
  }

  get nowUs(): number {
    return this.#nowUs;
  }

  get pending(): number {
    return this.#heap.length;
  }

  /** Schedules `run` at `atUs` (or now, if that is in the past). */
  at(atUs: number, run: () => void): void {
    this.#push({ atUs: Math.max(Math.round(atUs), this.#nowUs), seq: this.#seq++, run });
  }

  after(delayUs: number, run: () => void): void {
    this.at(this.#nowUs + delayUs, run);
  }

  /** Moves the clock forward to `us` (used when an actor waits for an API response). */
  advanceTo(us: number): void {
    if (us > this.#nowUs) this.#nowUs = Math.round(us);
  }

  /** Time of the next task, or undefined when idle. */
  nextAtUs(): number | undefined {
    return this.#heap[0]?.atUs;
  }

  /** Runs every task due at or before `endUs`, then leaves the clock at `endUs`. */
  runUntil(endUs: number): void {
    for (;;) {
      const top = this.#heap[0];
      if (top === undefined || top.atUs > endUs) break;
      this.#pop();
      this.advanceTo(top.atUs);
      top.run();
    }
    this.advanceTo(endUs);
  }

  #push(task: Task): void {
    const h = this.#heap;
    h.push(task);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = h[p];
      if (parent === undefined || !less(task, parent)) break;
      h[i] = parent;
      i = p;
    }
    h[i] = task;
  }

  #pop(): void {
    const h = this.#heap;
    const last = h.pop();
    if (last === undefined || h.length === 0) return;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      let best: Task = last;
      const lt = h[l];
      const rt = h[r];
      if (lt !== undefined && less(lt, best)) {
        m = l;
        best = lt;
      }
      if (rt !== undefined && less(rt, best)) {
        m = r;
        best = rt;
      }
      if (m === i) break;
      h[i] = best;
      i = m;
    }
    h[i] = last;
  }
}

function less(a: Task, b: Task): boolean {
  return a.atUs < b.atUs || (a.atUs === b.atUs && a.seq < b.seq);
}
