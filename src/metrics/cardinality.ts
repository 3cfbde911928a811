import { FOLD_VALUE, type FoldCounter, LabelGuard } from './label-guard.js';

/**
 * How many label values the span-derived metrics may create (issue 9). The `run` flags
 * `metrics-namespace-allow` and `metrics-owner-allow` map onto `namespaceAllow` / `ownerAllow`.
 */
export interface CardinalityOptions {
  /** Namespace globs shown as themselves; default `['*']` (every namespace, up to the cap). */
  readonly namespaceAllow?: readonly string[];
  /**
   * Owner globs over `namespace/name` (`shop/web`, `payments/*`); default none: every owner name
   * is folded into `other` unless configured, so 10 000 Deployments never make 10 000 series.
   */
  readonly ownerAllow?: readonly string[];
  /** Node globs; default `['*']` (up to the cap). */
  readonly nodeAllow?: readonly string[];
  /** Apiserver client actor globs (`kubectl`, `helm`, …); default `['*']` (up to the cap). */
  readonly actorAllow?: readonly string[];
  /** Hard cap on distinct values of any one guarded label; default 100. */
  readonly maxValuesPerLabel?: number;
  /**
   * Hard cap on label sets per metric; a new label set beyond it has its guarded labels folded
   * (the product of several capped labels can still be large). Default 2 000.
   */
  readonly maxSeriesPerMetric?: number;
}

export const DEFAULT_MAX_VALUES_PER_LABEL = 100;
export const DEFAULT_MAX_SERIES_PER_METRIC = 2_000;

/** The shared guards: one per guarded label, so the cap bounds the label across every metric. */
export class LabelGuards {
  readonly namespace: LabelGuard;
  readonly owner: LabelGuard;
  readonly node: LabelGuard;
  readonly actor: LabelGuard;
  readonly resource: LabelGuard;
  readonly maxSeriesPerMetric: number;
  readonly #onFold: FoldCounter;

  constructor(options: CardinalityOptions, onFold: FoldCounter) {
    const maxValues = options.maxValuesPerLabel ?? DEFAULT_MAX_VALUES_PER_LABEL;
    const common = { maxValues, onFold, passThrough: ['none'] };
    this.namespace = new LabelGuard({ ...common, label: 'namespace', allow: options.namespaceAllow ?? ['*'] });
    this.owner = new LabelGuard({ ...common, label: 'owner', allow: options.ownerAllow ?? [] });
    this.node = new LabelGuard({ ...common, label: 'node', allow: options.nodeAllow ?? ['*'] });
    this.actor = new LabelGuard({ ...common, label: 'actor', allow: options.actorAllow ?? ['*'] });
    // API resources are bounded by the API surface, but CRDs make that open-ended: cap only.
    this.resource = new LabelGuard({ ...common, label: 'resource' });
    this.maxSeriesPerMetric = options.maxSeriesPerMetric ?? DEFAULT_MAX_SERIES_PER_METRIC;
    this.#onFold = onFold;
  }

  /** Every guard, for the `kubestitch_metrics_label_values` gauge. */
  all(): readonly LabelGuard[] {
    return [this.namespace, this.owner, this.node, this.actor, this.resource];
  }

  /** A per-metric series limiter folding `foldable` labels once the metric is full. */
  seriesLimiter(foldable: readonly string[]): SeriesLimiter {
    return new SeriesLimiter(this.maxSeriesPerMetric, foldable, this.#onFold);
  }
}

/**
 * Bounds the label sets of one metric. Existing label sets always pass; a new one beyond the cap
 * gets its foldable labels set to `other` (one overflow series per remaining combination of the
 * fixed labels such as `outcome`), counted as a fold of label `series`.
 */
export class SeriesLimiter {
  readonly #max: number;
  readonly #foldable: readonly string[];
  readonly #onFold: FoldCounter;
  readonly #seen = new Set<string>();

  constructor(max: number, foldable: readonly string[], onFold: FoldCounter) {
    this.#max = max;
    this.#foldable = foldable;
    this.#onFold = onFold;
  }

  /** The labels to record under: `labels` itself, or its folded form once the metric is full. */
  limit<L extends Record<string, string>>(labels: L): L {
    const key = seriesKey(labels);
    if (this.#seen.has(key)) return labels;
    if (this.#seen.size < this.#max) {
      this.#seen.add(key);
      return labels;
    }
    this.#onFold('series', 'cap');
    const folded: Record<string, string> = { ...labels };
    for (const k of this.#foldable) if (k in folded) folded[k] = FOLD_VALUE;
    // Folded sets are admitted beyond the cap: there are few of them (fixed labels only vary).
    this.#seen.add(seriesKey(folded));
    return folded as L;
  }
}

function seriesKey(labels: Record<string, string>): string {
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}\u0000${labels[k] ?? ''}`)
    .join('\u0001');
}
