import type { KvOp, KvValue } from './kv-store.js';
import type { RawKv, RawRange } from './key-space.js';
import { KeySpaceView, compareKeys } from './key-space.js';
import { StoreClosedError } from './errors.js';

/**
 * The `KvStore` contract in memory, for tests and `--no-durable` mode: same ordering (UTF-8 byte
 * order), same value round-trip, same namespaces, same snapshot iteration as the LevelDB store.
 * Nothing survives the process. Writes never fail except for validation (`TypeError`) or use
 * after `close()` (`StoreClosedError`).
 */
export class MemoryStore extends KeySpaceView {
  constructor() {
    super(new MemoryBackend(), true);
  }
}

/** Sorted key array for ranges plus a map for point reads; values are private copies. */
class MemoryBackend implements RawKv {
  readonly #keys: string[] = [];
  readonly #values = new Map<string, KvValue>();
  #closed = false;

  async get(key: string): Promise<KvValue | undefined> {
    this.#assertOpen();
    const value = this.#values.get(key);
    return value === undefined ? undefined : copyOut(value);
  }

  async batch(ops: readonly KvOp[]): Promise<void> {
    this.#assertOpen();
    // Ops are validated by the view before we get here, so applying them cannot fail halfway.
    for (const op of ops) {
      if (op.type === 'put') this.#put(op.key, op.value);
      else this.#del(op.key);
    }
  }

  iterate(range: RawRange): AsyncIterable<readonly [string, KvValue]> {
    return this.#walk(range);
  }

  async close(): Promise<void> {
    this.#closed = true;
  }

  async *#walk(range: RawRange): AsyncGenerator<readonly [string, KvValue]> {
    this.#assertOpen();
    // Copy the matching entries now: the snapshot LevelDB would give an iterator.
    const snapshot = this.#select(range);
    for (const [key, value] of snapshot) {
      this.#assertOpen();
      yield [key, copyOut(value)];
    }
  }

  #select(range: RawRange): Array<readonly [string, KvValue]> {
    const start = this.#lowerBound(range.gte);
    const end = Math.max(start, this.#lowerBound(range.lt));
    const count = Math.min(end - start, range.limit);
    const keys = range.reverse ? this.#keys.slice(end - count, end).reverse() : this.#keys.slice(start, start + count);
    return keys.flatMap((key) => {
      const value = this.#values.get(key);
      return value === undefined ? [] : [[key, value] as const];
    });
  }

  #put(key: string, value: KvValue): void {
    if (!this.#values.has(key)) this.#keys.splice(this.#lowerBound(key), 0, key);
    this.#values.set(key, typeof value === 'string' ? value : new Uint8Array(value));
  }

  #del(key: string): void {
    if (!this.#values.delete(key)) return;
    this.#keys.splice(this.#lowerBound(key), 1);
  }

  /** Index of the first key ≥ `key`. */
  #lowerBound(key: string): number {
    let lo = 0;
    let hi = this.#keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const probe = this.#keys[mid];
      if (probe !== undefined && compareKeys(probe, key) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  #assertOpen(): void {
    if (this.#closed) throw new StoreClosedError();
  }
}

// A caller may mutate what it gets back; the stored bytes must not change with it.
function copyOut(value: KvValue): KvValue {
  return typeof value === 'string' ? value : new Uint8Array(value);
}
