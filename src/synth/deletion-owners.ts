/**
 * Owners the garbage collector follows: controllers of a kind outside the cascading kinds (CRDs
 * such as an Argo Rollout, a Tekton TaskRun) seen owning something, whose deletion is then an
 * operation (deletion-tracker). Bounded by count (issue 16): kept while they exist and are seen
 * acting, least recently seen first out. A forgotten owner's deletion, when it comes, is no
 * operation — its dependents' terminations are roots of their own, as before deletions were
 * operations — and is counted in `forgotten`.
 */
export class DeletionOwners {
  // Insertion order is recency order: a sighting moves an owner to the end.
  readonly #uids = new Set<string>();
  readonly #max: number;
  #forgotten = 0;

  constructor(max: number) {
    this.#max = Math.max(1, max);
  }

  /** Owners dropped because more than the bound were remembered. */
  get forgotten(): number {
    return this.#forgotten;
  }

  get size(): number {
    return this.#uids.size;
  }

  has(uid: string): boolean {
    return this.#uids.has(uid);
  }

  /** `uid` was seen owning something now. */
  saw(uid: string): void {
    if (this.#uids.delete(uid)) {
      this.#uids.add(uid);
      return;
    }
    this.#uids.add(uid);
    if (this.#uids.size <= this.#max) return;
    const oldest = this.#uids.values().next();
    if (oldest.done === true) return;
    this.#uids.delete(oldest.value);
    this.#forgotten++;
  }

  /** The owner is gone (its deletion ended, or it was deleted without one). */
  forget(uid: string): void {
    this.#uids.delete(uid);
  }
}

/**
 * Default bound: far above the CRD owners a cluster keeps acting at once. Each entry is one uid
 * string the graph usually shares, so the bound holds at most a few MB.
 */
export const MAX_DELETION_OWNERS = 20_000;
