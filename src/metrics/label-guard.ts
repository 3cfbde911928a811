/**
 * Bounded label values (issue 9): an allow-list of globs decides which values may appear as
 * themselves; everything else is folded into one value. A hard cap on distinct admitted values is
 * the safety net for allow-lists that match too much (`payments/*` in a namespace with 10 000
 * Deployments). Folds are counted so an operator sees that the cap was hit.
 */

/** The value every folded label gets. */
export const FOLD_VALUE = 'other';

/** Why a value was folded: not on the allow-list, or the distinct-value cap was reached. */
export type FoldReason = 'not-allowed' | 'cap';

/** Called once per folded observation (drives `kubestitch_metrics_label_folds_total`). */
export type FoldCounter = (label: string, reason: FoldReason) => void;

export interface LabelGuardOptions {
  /** Label name, for the fold counter. */
  readonly label: string;
  /** Globs the guarded key must match (`*` any run of characters, `?` one); undefined: all allowed. */
  readonly allow?: readonly string[];
  /** Most distinct keys admitted; later new keys fold. */
  readonly maxValues: number;
  /** Values that always pass and never count against the cap (e.g. `none`). */
  readonly passThrough?: readonly string[];
  readonly onFold?: FoldCounter;
}

/**
 * Compiles shell-style globs into one anchored regular expression: `*` matches any run of
 * characters (including `/`, so `payments/*` covers every owner in `payments`), `?` one character;
 * everything else is literal. An empty list matches nothing.
 */
export function compileGlobs(globs: readonly string[]): RegExp {
  if (globs.length === 0) return /^(?!)/;
  const parts = globs.map((g) =>
    g
      .split('')
      .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
      .join(''),
  );
  return new RegExp(`^(?:${parts.join('|')})$`, 's');
}

/**
 * Admits label values under an allow-list and a distinct-value cap. `admit(key, value)` returns
 * `value` when `key` is allowed and either already admitted or under the cap, else FOLD_VALUE
 * (counted through `onFold`). The key is what the allow-list matches (`namespace/name` for owners),
 * the value what the label shows. Never throws.
 */
export class LabelGuard {
  readonly #label: string;
  readonly #allow: RegExp | undefined;
  readonly #max: number;
  readonly #passThrough: ReadonlySet<string>;
  readonly #admitted = new Set<string>();
  readonly #onFold: FoldCounter | undefined;

  constructor(options: LabelGuardOptions) {
    this.#label = options.label;
    this.#allow = options.allow === undefined ? undefined : compileGlobs(options.allow);
    this.#max = Math.max(0, Math.floor(options.maxValues));
    this.#passThrough = new Set([FOLD_VALUE, ...(options.passThrough ?? [])]);
    this.#onFold = options.onFold;
  }

  /** The label this guard protects. */
  get label(): string {
    return this.#label;
  }

  /** How many distinct keys have been admitted (at most maxValues). */
  get admittedCount(): number {
    return this.#admitted.size;
  }

  /** `value` when `key` may appear as itself, FOLD_VALUE otherwise. */
  admit(key: string, value: string = key): string {
    if (this.#passThrough.has(value)) return value;
    if (this.#admitted.has(key)) return value;
    if (this.#allow !== undefined && !this.#allow.test(key)) return this.#fold('not-allowed');
    if (this.#admitted.size >= this.#max) return this.#fold('cap');
    this.#admitted.add(key);
    return value;
  }

  #fold(reason: FoldReason): string {
    this.#onFold?.(this.#label, reason);
    return FOLD_VALUE;
  }
}
