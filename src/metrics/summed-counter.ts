import { Counter, type OpenMetricsContentType, type Registry } from 'prom-client';

/** One label set and its value, as a getter reports it. */
export interface Sample<L extends string> {
  readonly labels: Readonly<Record<L, string>>;
  readonly value: number;
}

/**
 * A counter whose value is computed at scrape time: the sum of what `read()` reports now (totals
 * kept by components) plus what was added with `add()` (events without a stats object). Values
 * that are not finite non-negative numbers are skipped, so a broken getter cannot break a scrape.
 */
export class SummedCounter<L extends string> {
  readonly #added = new Map<string, Sample<L>>();

  constructor(
    registry: Registry<OpenMetricsContentType>,
    spec: { name: string; help: string; labelNames: readonly L[] },
    read: () => Iterable<Sample<L>>,
  ) {
    const added = this.#added;
    new Counter<L>({
      name: spec.name,
      help: spec.help,
      labelNames: spec.labelNames,
      registers: [registry],
      collect(this: Counter<L>) {
        this.reset();
        for (const s of [...read(), ...added.values()]) {
          if (Number.isFinite(s.value) && s.value >= 0) this.inc(s.labels as Partial<Record<L, string>>, s.value);
        }
      },
    });
  }

  /** Adds `by` (default 1) to the label set; ignores non-finite or negative amounts. */
  add(labels: Readonly<Record<L, string>>, by = 1): void {
    if (!Number.isFinite(by) || by < 0) return;
    const key = JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1)));
    const prev = this.#added.get(key);
    this.#added.set(key, { labels, value: (prev?.value ?? 0) + by });
  }
}
