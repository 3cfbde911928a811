/**
 * The progress line of a long replay on stderr: `kubestitch: reading 45% of 50.1 MB` while the
 * files are parsed, then `kubestitch: replaying 45% of 2,700,000 records,
 * 310,000 records/s`, rewritten in place (\r) at most every `everyMs`, and only once the replay
 * has run `afterMs` — a short replay prints nothing. The caller turns it on only when stderr is a
 * terminal (a \r line in a log file or a pipe is noise).
 */
export interface ProgressOptions {
  readonly write: (text: string) => void;
  /** Start showing after this long (default 2000 ms). */
  readonly afterMs?: number;
  /** Redraw at most this often (default 250 ms). */
  readonly everyMs?: number;
  readonly nowMs?: () => number;
}

export class ProgressLine {
  readonly #write: (text: string) => void;
  readonly #afterMs: number;
  readonly #everyMs: number;
  readonly #now: () => number;
  readonly #startMs: number;
  #lastDrawMs = -Infinity;
  /** When the first record was processed: the rate excludes reading the files before it. */
  #firstMs: number | undefined;
  #shown = false;

  constructor(options: ProgressOptions) {
    this.#write = options.write;
    this.#afterMs = options.afterMs ?? 2000;
    this.#everyMs = options.everyMs ?? 250;
    this.#now = options.nowMs ?? Date.now;
    this.#startMs = this.#now();
  }

  /** After each record; cheap when nothing is drawn (one clock read per 1,024 records). */
  readonly onRecord = (done: number, total: number): void => {
    if (done === 1) this.#firstMs = this.#now();
    if ((done & 1023) !== 0 && done !== total) return;
    const now = this.#now();
    const elapsed = now - this.#startMs;
    if (elapsed < this.#afterMs || now - this.#lastDrawMs < this.#everyMs) return;
    this.#lastDrawMs = now;
    this.#shown = true;
    const pct = total > 0 ? Math.floor((done / total) * 100) : 100;
    const rate = Math.round(done / Math.max((now - (this.#firstMs ?? this.#startMs)) / 1000, 0.001));
    const fmt = (n: number): string => n.toLocaleString('en-US');
    this.#write(`\rkubestitch: replaying ${pct}% of ${fmt(total)} records, ${fmt(rate)} records/s\u001b[K`);
  };

  #bytesCalls = 0;

  /** While the files are parsed: `reading 45% of 50.1 MB`. Reads the clock once per 256 values. */
  readonly onBytes = (done: number, total: number): void => {
    if ((++this.#bytesCalls & 255) !== 0 && done !== total) return;
    const now = this.#now();
    if (now - this.#startMs < this.#afterMs || now - this.#lastDrawMs < this.#everyMs) return;
    this.#lastDrawMs = now;
    this.#shown = true;
    const pct = total > 0 ? Math.floor((done / total) * 100) : 100;
    this.#write(`\rkubestitch: reading ${pct}% of ${(total / 1e6).toFixed(1)} MB\u001b[K`);
  };

  /** Clears the line (if one was drawn) before the summary is printed. */
  done(): void {
    if (this.#shown) this.#write('\r\u001b[K');
    this.#shown = false;
  }
}
