/** The slice of a pino logger a drop reporter uses. */
export interface DropLogger {
  warn(context: object, message: string): void;
  error(context: object, message: string): void;
}

export interface DropReporterOptions {
  readonly logger?: DropLogger;
  /** What is dropping, first in every message, e.g. `export spool`. */
  readonly what: string;
  /** Plural noun of what `items` count, e.g. `spans`. */
  readonly noun: string;
  /** Most one summary per this many ms while drops continue. Default 60 000. */
  readonly summaryIntervalMs?: number;
  /** Clock for the summary window. Default `Date.now`. */
  readonly nowMs?: () => number;
}

interface Pending {
  items: number;
  units: number;
  readonly byReason: Record<string, number>;
}

/**
 * Logs drops the way an operator can read during an outage: the first drop of each reason at once
 * (error, with its context), later ones summed into at most one summary per interval ("dropped N
 * spans in the last 60 s", warn, broken down by reason). After a whole interval without drops the
 * next drop starts a new episode and is logged at once again. Counting for /metrics is the owner's job;
 * this only decides what reaches the log.
 *
 * The summary timer is unref()ed and owned: `close()` cancels it and logs what is still pending.
 * Never throws (a throwing logger is the logger's problem, not the drop path's).
 */
export class DropReporter {
  readonly #logger: DropLogger | undefined;
  readonly #what: string;
  readonly #noun: string;
  readonly #intervalMs: number;
  readonly #nowMs: () => number;
  readonly #firstLogged = new Set<string>();
  #pending: Pending = { items: 0, units: 0, byReason: {} };
  #lastLogMs = -Infinity;
  #lastDropMs = -Infinity;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: DropReporterOptions) {
    this.#logger = options.logger;
    this.#what = options.what;
    this.#noun = options.noun;
    this.#intervalMs = Math.max(1, options.summaryIntervalMs ?? 60_000);
    this.#nowMs = options.nowMs ?? Date.now;
  }

  /**
   * Records `items` dropped (e.g. spans) in `units` (e.g. batches) for `reason`. `message` and
   * `context` go into the first log line of that reason only.
   */
  record(reason: string, items: number, units: number, message: string, context: object = {}): void {
    const now = this.#nowMs();
    // A whole quiet interval (and its summary out) ends an episode: the next drop is news again,
    // so an alert on error lines sees every new outage, not only the first since start.
    const idle = this.#pending.units === 0 && this.#pending.items === 0;
    if (idle && now - this.#lastDropMs >= this.#intervalMs) this.#firstLogged.clear();
    this.#lastDropMs = now;
    if (!this.#firstLogged.has(reason) && !this.#closed) {
      this.#firstLogged.add(reason);
      this.#lastLogMs = now;
      this.#safely(() =>
        this.#logger?.error({ ...context, reason, dropped: items, units }, `${this.#what}: ${message}`),
      );
      return;
    }
    this.#pending.items += items;
    this.#pending.units += units;
    this.#pending.byReason[reason] = (this.#pending.byReason[reason] ?? 0) + items;
    this.#schedule();
  }

  /** Cancels the timer and logs a last summary if drops are pending. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#summarize();
  }

  #schedule(): void {
    if (this.#timer !== undefined || this.#closed) return;
    const waitMs = Math.max(0, this.#lastLogMs + this.#intervalMs - this.#nowMs());
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#summarize();
    }, waitMs);
    this.#timer.unref();
  }

  #summarize(): void {
    const pending = this.#pending;
    if (pending.units === 0 && pending.items === 0) return;
    const now = this.#nowMs();
    const windowMs = Number.isFinite(this.#lastLogMs) ? now - this.#lastLogMs : 0;
    this.#pending = { items: 0, units: 0, byReason: {} };
    this.#lastLogMs = now;
    const seconds = Math.max(1, Math.round(windowMs / 1000));
    this.#safely(() =>
      this.#logger?.warn(
        { dropped: pending.items, units: pending.units, byReason: pending.byReason, windowMs },
        `${this.#what}: dropped ${pending.items} ${this.#noun} in the last ${seconds} s`,
      ),
    );
  }

  #safely(log: () => void): void {
    try {
      log();
    } catch {
      // A broken logger must not break the drop path; the counts are still in the owner's stats.
    }
  }
}
