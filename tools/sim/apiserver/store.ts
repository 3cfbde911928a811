import type { ResourceInfo } from './resources.js';
import { apiVersionOf } from './resources.js';

/**
 * One stored object. The object is kept as its JSON text without kind/apiVersion (those come
 * from the resource), so 100,000 pods cost their JSON and nothing more.
 */
export interface StoredObject {
  /** '' for cluster-scoped objects. */
  readonly namespace: string;
  readonly name: string;
  readonly rv: number;
  /** JSON of the object without kind and apiVersion, metadata.resourceVersion = rv. */
  readonly body: string;
}

export type ChangeType = 'ADDED' | 'MODIFIED' | 'DELETED';

/** One committed write, as the watch cache keeps it. */
export interface Change {
  readonly rv: number;
  readonly type: ChangeType;
  readonly resource: ResourceInfo;
  /** The new state; for DELETED the last state, carrying the deletion's resourceVersion. */
  readonly object: StoredObject;
  /** The state before the write; undefined for ADDED. */
  readonly previous: StoredObject | undefined;
}

/** A consistent view of one resource at one resourceVersion, in etcd key order. */
export interface Snapshot {
  readonly rv: number;
  /** Objects whose key sorts strictly after `afterKey` (all when undefined), in key order. */
  from(afterKey: string | undefined): IterableIterator<[string, StoredObject]>;
  /** How many objects sort after `afterKey`. */
  countAfter(afterKey: string | undefined): number;
}

type Json = Record<string, unknown>;

/** `ns/name` (`/name` when cluster-scoped): sorts like the etcd key `/registry/<resource>/ns/name`. */
export function objectKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

/** The object's JSON with kind and apiVersion first, as every single-object response carries it. */
export function withTypeMeta(r: ResourceInfo, body: string): string {
  const head = `{"kind":${JSON.stringify(r.kind)},"apiVersion":${JSON.stringify(apiVersionOf(r))}`;
  return body.length <= 2 ? `${head}}` : `${head},${body.slice(1)}`;
}

class ResourceTable {
  readonly objects = new Map<string, StoredObject>();
  #sorted: string[] | undefined;

  set(key: string, o: StoredObject): void {
    if (!this.objects.has(key)) this.#sorted = undefined;
    this.objects.set(key, o);
  }

  delete(key: string): void {
    if (this.objects.delete(key)) this.#sorted = undefined;
  }

  /** Keys in order; cached until a key is added or removed (updates keep the order). */
  sortedKeys(): readonly string[] {
    this.#sorted ??= [...this.objects.keys()].sort(compareKeys);
    return this.#sorted;
  }
}

function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** First index in sorted `keys` whose key is > `after`. */
function upperBound(keys: readonly string[], after: string | undefined): number {
  if (after === undefined) return 0;
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((keys[mid] ?? '') <= after) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export interface ObjectStoreOptions {
  /** The store's resourceVersion before the first write. Default 1. */
  readonly initialResourceVersion?: number;
  /** How many changes the watch history keeps; older ones roll off and become 410. Default 50,000. */
  readonly historyCapacity?: number;
}

/**
 * The in-memory etcd plus watch cache: objects per resource, one cluster-wide resourceVersion that
 * only grows, and the history of changes after the compaction horizon (watches and exact reads at
 * an older resourceVersion get 410). Listeners hear every commit synchronously, in order.
 */
export class ObjectStore {
  #rv: number;
  #horizon: number;
  readonly #capacity: number;
  readonly #tables = new Map<ResourceInfo, ResourceTable>();
  #log: Change[] = [];
  #head = 0;
  readonly #listeners = new Set<(c: Change) => void>();
  #waiters: { rv: number; resolve: () => void }[] = [];

  constructor(options: ObjectStoreOptions = {}) {
    this.#rv = options.initialResourceVersion ?? 1;
    this.#horizon = this.#rv;
    this.#capacity = Math.max(1, options.historyCapacity ?? 50_000);
  }

  /** The current cluster-wide resourceVersion. */
  get rv(): number {
    return this.#rv;
  }

  /** History holds every change with rv > horizon; older resourceVersions are gone (410). */
  get horizon(): number {
    return this.#horizon;
  }

  get(r: ResourceInfo, namespace: string, name: string): StoredObject | undefined {
    return this.#tables.get(r)?.objects.get(objectKey(namespace, name));
  }

  count(r: ResourceInfo): number {
    return this.#tables.get(r)?.objects.size ?? 0;
  }

  /** Calls `listener` for every later commit, synchronously; returns the unsubscribe function. */
  subscribe(listener: (c: Change) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Writes one change at `rv` (default: the next resourceVersion), stamping
   * metadata.resourceVersion into `object` (mutated). Throws when `rv` is not above the current
   * resourceVersion or the object has no metadata.name — callers validate first.
   */
  commit(r: ResourceInfo, type: ChangeType, object: Json, rv: number = this.#rv + 1): Change {
    if (!Number.isSafeInteger(rv) || rv <= this.#rv) throw new Error(`resourceVersion ${rv} is not after ${this.#rv}`);
    const meta = metadataOf(object);
    const name = meta.name;
    if (typeof name !== 'string' || name === '') throw new Error('object without metadata.name');
    const namespace = r.namespaced && typeof meta.namespace === 'string' ? meta.namespace : '';
    meta.resourceVersion = String(rv);
    const stored: StoredObject = { namespace, name, rv, body: bodyJson(object) };
    const table = this.#table(r);
    const key = objectKey(namespace, name);
    const previous = table.objects.get(key);
    if (type === 'DELETED') table.delete(key);
    else table.set(key, stored);
    this.#rv = rv;
    const change: Change = { rv, type, resource: r, object: stored, previous };
    this.#append(change);
    for (const l of [...this.#listeners]) l(change);
    this.#wake();
    return change;
  }

  /**
   * Puts an object that existed before the history starts (an initial-list item of a recording)
   * with its own older resourceVersion. No watch event is possible for it, so the history is
   * compacted to now: whoever listed before must relist to see it.
   */
  insertExisting(r: ResourceInfo, object: Json, rv: number): StoredObject {
    if (rv > this.#rv) throw new Error(`insertExisting: ${rv} is newer than the store (${this.#rv})`);
    const meta = metadataOf(object);
    const name = String(meta.name ?? '');
    const namespace = r.namespaced && typeof meta.namespace === 'string' ? meta.namespace : '';
    meta.resourceVersion = String(rv);
    const stored: StoredObject = { namespace, name, rv, body: bodyJson(object) };
    this.#table(r).set(objectKey(namespace, name), stored);
    this.compact(this.#rv);
    return stored;
  }

  /**
   * Moves the resourceVersion forward without a change to any served resource, as writes to
   * resources nobody watches do in etcd. No-op when `rv` is not ahead.
   */
  advanceTo(rv: number): void {
    if (!Number.isSafeInteger(rv) || rv <= this.#rv) return;
    this.#rv = rv;
    this.#wake();
  }

  /** Forgets history up to `upTo` (default: now); watches and exact reads at or below it get 410. */
  compact(upTo: number = this.#rv): void {
    this.#horizon = Math.max(this.#horizon, Math.min(upTo, this.#rv));
    while (this.#head < this.#log.length && (this.#log[this.#head]?.rv ?? 0) <= this.#horizon) this.#head++;
    this.#trim();
  }

  /** Changes with rv > `after`, oldest first. Caller checks `after >= horizon` first. */
  *changesAfter(after: number): IterableIterator<Change> {
    let lo = this.#head;
    let hi = this.#log.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.#log[mid]?.rv ?? 0) <= after) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < this.#log.length; i++) {
      const c = this.#log[i];
      if (c !== undefined) yield c;
    }
  }

  /**
   * The state of `r` at `rv` (current state when rv ≥ now), rebuilt by undoing later changes.
   * Caller checks `rv >= horizon` first.
   */
  snapshot(r: ResourceInfo, rv: number): Snapshot {
    const table = this.#table(r);
    const overlay = new Map<string, StoredObject | null>();
    for (let i = this.#log.length - 1; i >= this.#head; i--) {
      const c = this.#log[i];
      if (c === undefined || c.rv <= rv) break;
      if (c.resource !== r) continue;
      overlay.set(objectKey(c.object.namespace, c.object.name), c.previous ?? null);
    }
    const at = Math.min(rv, this.#rv);
    if (overlay.size === 0) return currentSnapshot(table, at);
    return overlaySnapshot(table, overlay, at);
  }

  /** Resolves true once the store reaches `rv`, false after `timeoutMs`. */
  waitFor(rv: number, timeoutMs: number): Promise<boolean> {
    if (this.#rv >= rv) return Promise.resolve(true);
    return new Promise((resolve) => {
      const waiter = { rv, resolve: () => resolve(true) };
      this.#waiters.push(waiter);
      setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        resolve(this.#rv >= rv);
      }, timeoutMs).unref();
    });
  }

  #table(r: ResourceInfo): ResourceTable {
    let t = this.#tables.get(r);
    if (t === undefined) {
      t = new ResourceTable();
      this.#tables.set(r, t);
    }
    return t;
  }

  #append(c: Change): void {
    this.#log.push(c);
    while (this.#log.length - this.#head > this.#capacity) {
      const dropped = this.#log[this.#head];
      this.#head++;
      if (dropped !== undefined) this.#horizon = Math.max(this.#horizon, dropped.rv);
    }
    this.#trim();
  }

  /** Drops the consumed head of the log once it is large, so memory follows the capacity. */
  #trim(): void {
    if (this.#head > 4096 && this.#head * 2 > this.#log.length) {
      this.#log = this.#log.slice(this.#head);
      this.#head = 0;
    }
  }

  #wake(): void {
    if (this.#waiters.length === 0) return;
    const ready = this.#waiters.filter((w) => w.rv <= this.#rv);
    this.#waiters = this.#waiters.filter((w) => w.rv > this.#rv);
    for (const w of ready) w.resolve();
  }
}

function metadataOf(object: Json): Record<string, unknown> {
  const meta = object.metadata;
  if (typeof meta === 'object' && meta !== null && !Array.isArray(meta)) return meta as Record<string, unknown>;
  const fresh: Record<string, unknown> = {};
  object.metadata = fresh;
  return fresh;
}

/** JSON without kind/apiVersion, keeping every other key in its order. */
function bodyJson(object: Json): string {
  const { kind: _kind, apiVersion: _apiVersion, ...rest } = object;
  return JSON.stringify(rest);
}

function currentSnapshot(table: ResourceTable, rv: number): Snapshot {
  const keys = table.sortedKeys();
  return {
    rv,
    *from(afterKey) {
      for (let i = upperBound(keys, afterKey); i < keys.length; i++) {
        const key = keys[i];
        const o = key === undefined ? undefined : table.objects.get(key);
        if (key !== undefined && o !== undefined) yield [key, o];
      }
    },
    countAfter: (afterKey) => keys.length - upperBound(keys, afterKey),
  };
}

function overlaySnapshot(table: ResourceTable, overlay: Map<string, StoredObject | null>, rv: number): Snapshot {
  const merged = new Set(table.sortedKeys());
  for (const k of overlay.keys()) merged.add(k);
  const keys: string[] = [];
  for (const k of [...merged].sort(compareKeys)) {
    const o = overlay.has(k) ? overlay.get(k) : table.objects.get(k);
    if (o !== null && o !== undefined) keys.push(k);
  }
  const lookup = (k: string): StoredObject | undefined => {
    const o = overlay.has(k) ? overlay.get(k) : table.objects.get(k);
    return o ?? undefined;
  };
  return {
    rv,
    *from(afterKey) {
      for (let i = upperBound(keys, afterKey); i < keys.length; i++) {
        const key = keys[i];
        const o = key === undefined ? undefined : lookup(key);
        if (key !== undefined && o !== undefined) yield [key, o];
      }
    },
    countAfter: (afterKey) => keys.length - upperBound(keys, afterKey),
  };
}
