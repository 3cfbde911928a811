import type { KvIterateOptions, KvOp, KvStore, KvValue } from './kv-store.js';
import { StoreClosedError } from './errors.js';

/*
 * Key-space layout shared by every backend. A view's prefix is one `U+0000 name` per namespace
 * level; its own keys follow as `prefix U+0001 key`. So a view's own keys all lie in
 * [prefix U+0001, prefix U+0002) — child namespaces (prefix U+0000 …) and siblings fall outside,
 * and iteration never walks over them. Keys starting with U+0002 are reserved for store metadata
 * (schema version) and unreachable through any view.
 */
const NAMESPACE_MARK = '\u0000';
const KEY_MARK = '\u0001';
const KEY_END = '\u0002';

/** Prefix of backend-private metadata keys, outside every view's key space. */
export const META_PREFIX = '\u0002';

/** A fully resolved range over encoded keys. `limit` is `Infinity` for no limit. */
export interface RawRange {
  readonly gte: string;
  readonly lt: string;
  readonly reverse: boolean;
  readonly limit: number;
}

/**
 * What a backend implements: a flat, validated, encoded key space. Views do validation, prefixing
 * and view-level closing; backends do storage, snapshots and `StoreClosedError` once closed.
 */
export interface RawKv {
  get(key: string): Promise<KvValue | undefined>;
  batch(ops: readonly KvOp[]): Promise<void>;
  iterate(range: RawRange): AsyncIterable<readonly [string, KvValue]>;
  close(): Promise<void>;
}

/** A `KvStore` over a `RawKv`: the root view (owns the backend) or a namespace view. */
export class KeySpaceView implements KvStore {
  readonly #raw: RawKv;
  readonly #prefix: string;
  readonly #ownsRaw: boolean;
  #closing: Promise<void> | undefined;

  constructor(raw: RawKv, ownsRaw: boolean, prefix = '') {
    this.#raw = raw;
    this.#ownsRaw = ownsRaw;
    this.#prefix = prefix;
  }

  async get(key: string): Promise<KvValue | undefined> {
    this.#assertOpen();
    assertKey(key, 'key');
    return this.#raw.get(this.#encode(key));
  }

  async batch(ops: readonly KvOp[]): Promise<void> {
    this.#assertOpen();
    const encoded = ops.map((op) => this.#encodeOp(op));
    if (encoded.length === 0) return;
    await this.#raw.batch(encoded);
  }

  iterate(options: KvIterateOptions = {}): AsyncIterable<readonly [string, KvValue]> {
    const range = this.#range(options);
    return this.#walk(range);
  }

  namespace(name: string): KvStore {
    assertNamespaceName(name);
    return new KeySpaceView(this.#raw, false, this.#prefix + NAMESPACE_MARK + name);
  }

  close(): Promise<void> {
    this.#closing ??= this.#ownsRaw ? this.#raw.close() : Promise.resolve();
    return this.#closing;
  }

  async *#walk(range: RawRange): AsyncGenerator<readonly [string, KvValue]> {
    this.#assertOpen();
    if (range.limit === 0) return;
    const cut = this.#prefix.length + KEY_MARK.length;
    for await (const [key, value] of this.#raw.iterate(range)) {
      yield [key.slice(cut), value];
    }
  }

  #range(options: KvIterateOptions): RawRange {
    const { gte, lt, reverse = false, limit } = options;
    if (gte !== undefined) assertKey(gte, 'gte');
    if (lt !== undefined) assertKey(lt, 'lt');
    if (limit !== undefined && !(Number.isSafeInteger(limit) && limit >= 0)) {
      throw new TypeError(`storage: limit must be a non-negative integer, got ${String(limit)}`);
    }
    return {
      gte: gte === undefined ? this.#prefix + KEY_MARK : this.#encode(gte),
      lt: lt === undefined ? this.#prefix + KEY_END : this.#encode(lt),
      reverse,
      limit: limit ?? Infinity,
    };
  }

  #encode(key: string): string {
    return this.#prefix + KEY_MARK + key;
  }

  #encodeOp(op: KvOp): KvOp {
    assertKvOp(op);
    return op.type === 'put'
      ? { type: 'put', key: this.#encode(op.key), value: op.value }
      : { type: 'del', key: this.#encode(op.key) };
  }

  #assertOpen(): void {
    if (this.#closing !== undefined) throw new StoreClosedError(this.#ownsRaw ? 'store' : 'view');
  }
}

/**
 * Orders strings by their UTF-8 bytes, as LevelDB does, so the memory store sorts like disk.
 * UTF-16 order differs from code point order only where a surrogate meets U+E000–U+FFFF; shifting
 * those two ranges at the first difference fixes it (the ICU "code point order" trick).
 */
export function compareKeys(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length;
}

function codePointRank(unit: number): number {
  if (unit < 0xd800) return unit;
  return unit >= 0xe000 ? unit - 0x800 : unit + 0x2000;
}

// In `u` mode a surrogate pair is one code point, so this matches lone surrogates only.
const LONE_SURROGATE = /\p{Surrogate}/u;

function assertKey(key: unknown, what: string): asserts key is string {
  if (typeof key !== 'string') throw new TypeError(`storage: ${what} must be a string`);
  if (LONE_SURROGATE.test(key)) {
    throw new TypeError(`storage: ${what} ${JSON.stringify(key)} contains a lone surrogate`);
  }
}

/**
 * Throws `TypeError` unless `op` is a well-formed put or del (string key without lone surrogates,
 * string or `Uint8Array` value). Exposed so a batching writer can reject one bad write alone
 * instead of failing the whole batch it would have joined.
 */
export function assertKvOp(op: KvOp): void {
  assertKey(op.key, 'key');
  if (op.type === 'put') assertValue(op.value);
  else if (op.type !== 'del') throw new TypeError('storage: batch op type must be put or del');
}

function assertValue(value: unknown): void {
  if (value instanceof Uint8Array) return;
  if (typeof value !== 'string') throw new TypeError('storage: value must be a string or Uint8Array');
  if (LONE_SURROGATE.test(value)) throw new TypeError('storage: value contains a lone surrogate');
}

function assertNamespaceName(name: unknown): void {
  // U+0000/U+0001 are the namespace separators themselves, so they are exactly what to look for.
  // eslint-disable-next-line no-control-regex
  if (typeof name !== 'string' || name === '' || /[\u0000\u0001]/.test(name)) {
    throw new TypeError(
      'storage: namespace name must be a non-empty string without U+0000/U+0001, got ' + JSON.stringify(name),
    );
  }
  assertKey(name, 'namespace name');
}
