/**
 * The key-value contract every persistence feature (graph state, checkpoints, intake log, export
 * spool, embedded trace store) is built on. Two implementations: LevelDB (`openLevelStore`) and
 * memory (`MemoryStore`, for tests and `--no-durable`); both pass the same behaviour suite.
 *
 * Encoding model:
 * - Keys are strings, ordered by their UTF-8 bytes (= Unicode code point order, which differs from
 *   JS `<` only for characters above U+FFFF). Keys must be well-formed UTF-16: a lone surrogate
 *   would silently turn into U+FFFD on disk, so it is rejected with a `TypeError` instead.
 * - Values are strings or bytes and come back as the type they were written: a string as a string,
 *   a `Uint8Array` as a plain `Uint8Array` (a copy — mutating it never changes the store). Strings
 *   carry the same well-formedness rule as keys. JSON records are strings; protobuf payloads bytes.
 * - `namespace(name)` is a view whose keys live in their own key space: it never sees, and
 *   iteration never walks over, keys of the parent, of siblings or of its own child namespaces.
 */
export type KvValue = string | Uint8Array;

/** One write of an atomic batch. */
export type KvOp =
  | { readonly type: 'put'; readonly key: string; readonly value: KvValue }
  | { readonly type: 'del'; readonly key: string };

/** A key range and walk order. Bounds are keys of the same view; omitted bounds are open. */
export interface KvIterateOptions {
  /** Inclusive lower bound. */
  readonly gte?: string;
  /** Exclusive upper bound. */
  readonly lt?: string;
  /** Walk from the highest key down. Default false. */
  readonly reverse?: boolean;
  /** At most this many entries (a non-negative integer). Default: no limit. */
  readonly limit?: number;
}

/** A key-value store, or a namespace view of one. */
export interface KvStore {
  /**
   * Reads one key. Resolves `undefined` when absent.
   * Rejects with `StoreClosedError` after `close()`, `TypeError` for a malformed key, or the
   * backend's read error.
   */
  get(key: string): Promise<KvValue | undefined>;

  /**
   * Applies all ops atomically, in order (a later op on the same key wins): after a crash either
   * all of them are visible or none. Resolves once the backend has accepted the whole batch (see
   * the backend's durability notes). Every op is validated before anything is written, so a
   * `TypeError` leaves the store untouched. Rejects with `StoreClosedError` after `close()`, or
   * the backend's write error — in which case nothing of the batch was applied.
   * An empty batch resolves without touching the backend.
   */
  batch(ops: readonly KvOp[]): Promise<void>;

  /**
   * Walks `[gte, lt)` in key order (or reverse). Reads a consistent snapshot taken when iteration
   * starts (the first `next()`): writes made meanwhile are not seen. Breaking out of `for await`
   * releases the backend iterator.
   * Throws `TypeError` synchronously for malformed options; the iteration rejects with
   * `StoreClosedError` if the store is (or becomes) closed.
   */
  iterate(options?: KvIterateOptions): AsyncIterable<readonly [string, KvValue]>;

  /**
   * A view whose keys are kept apart from every other key space (see the module comment).
   * Nesting is allowed. `name` must be non-empty and free of U+0000 and U+0001 (`TypeError`).
   * The view shares the store's lifetime: closing the store closes its views.
   */
  namespace(name: string): KvStore;

  /**
   * On the root store: waits for in-flight operations, then releases the backend (files, lock).
   * On a namespace view: only that view stops accepting calls. Idempotent: later calls return the
   * same promise. Rejects only if the backend fails to close.
   */
  close(): Promise<void>;
}
