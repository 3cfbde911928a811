import { createHash } from 'node:crypto';
import type { ServerContext } from './context.js';
import type { ResourceInfo } from './resources.js';
import type { ChangeType, StoredObject } from './store.js';
import { rfc3339 } from './writes.js';

type Json = Record<string, unknown>;

/**
 * How `apply` picks the resourceVersion of a fed object:
 * - `assign`: the next store resourceVersion, whatever the object carried;
 * - `recorded`: keep the object's own resourceVersion when it is newer than the store (so audit
 *   events of the same recording still join by resourceVersion); an initial-list object older
 *   than the store, fed while no watch is open, is stored as pre-existing with its own version
 *   (history is compacted to now, so earlier listers relist); otherwise a new one is assigned
 *   (counted in stats.reassignedVersions). Feeding a recording's out-of-order initial list while
 *   watches are open therefore shifts every later version; preload it first (splitInitialList).
 */
export type ResourceVersionPolicy = 'assign' | 'recorded';

export interface ApplyOptions {
  readonly resourceVersion?: ResourceVersionPolicy;
}

export interface FeedStats {
  applied: number;
  /** DELETED for an object the store does not have: nothing to delete. */
  skippedDeletes: number;
  /** `recorded` policy could not keep the object's resourceVersion. */
  reassignedVersions: number;
  namespacesCreated: number;
}

const rec = (v: unknown): Json => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {});

/** A stable uid for an auto-created namespace, so replays stay deterministic. */
function namespaceUid(name: string): string {
  const h = createHash('sha256').update(`kubestitch/fake-apiserver/namespace/${name}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Feeds objects straight into the store, as they appear in a recording (the test-side write path). */
export class Feeder {
  readonly stats: FeedStats = { applied: 0, skippedDeletes: 0, reassignedVersions: 0, namespacesCreated: 0 };
  readonly #ctx: ServerContext;
  readonly #autoNamespaces: boolean;

  constructor(ctx: ServerContext, autoNamespaces: boolean) {
    this.#ctx = ctx;
    this.#autoNamespaces = autoNamespaces;
  }

  /**
   * Stores `object` as a watch event of `type` would leave it, emitting the event to open watches.
   * ADDED of an existing object becomes MODIFIED, MODIFIED of a missing one ADDED; DELETED of a
   * missing one changes nothing (counted) and returns undefined. Throws for an apiVersion/kind
   * that is not registered or an object without metadata.name.
   */
  apply(type: ChangeType, object: Json, options: ApplyOptions = {}): StoredObject | undefined {
    const store = this.#ctx.store;
    const r = this.#resourceOf(object);
    const meta = rec(object.metadata);
    const name = meta.name;
    if (typeof name !== 'string' || name === '') throw new Error(`apply: ${r.kind} without metadata.name`);
    const ns = r.namespaced
      ? typeof meta.namespace === 'string' && meta.namespace !== ''
        ? meta.namespace
        : 'default'
      : '';
    const copy: Json = { ...object, metadata: { ...meta, ...(r.namespaced ? { namespace: ns } : {}) } };
    const exists = store.get(r, ns, name) !== undefined;
    if (type === 'DELETED' && !exists) {
      this.stats.skippedDeletes++;
      return undefined;
    }
    const effective: ChangeType = type === 'DELETED' ? 'DELETED' : exists ? 'MODIFIED' : 'ADDED';
    const recorded = options.resourceVersion === 'recorded' ? Number(meta.resourceVersion) : NaN;
    const keep = Number.isSafeInteger(recorded) && recorded > 0;
    if (r.namespaced) this.#ensureNamespace(ns, meta.creationTimestamp, keep ? recorded : undefined);
    this.stats.applied++;
    if (keep && recorded > store.rv) return store.commit(r, effective, copy, recorded).object;
    if (keep && effective === 'ADDED' && this.#ctx.watches.count === 0) return store.insertExisting(r, copy, recorded);
    if (keep) this.stats.reassignedVersions++;
    return store.commit(r, effective, copy).object;
  }

  /**
   * Stores objects as state that existed before the history starts (an initial list), each with its
   * own resourceVersion when it has one: the store's resourceVersion first moves up to the newest
   * of them, then history is compacted to now. Open watches get an in-stream 410 so their clients
   * relist and see the objects, as after an apiserver's watch cache restart. Throws like apply,
   * before storing anything, for an unknown kind or a missing name.
   */
  preload(objects: readonly Json[]): number {
    const store = this.#ctx.store;
    const items = objects.map((o) => {
      const meta = rec(o.metadata);
      if (typeof meta.name !== 'string' || meta.name === '')
        throw new Error(`preload: ${String(o.kind)} without metadata.name`);
      const rv = Number(meta.resourceVersion);
      return { r: this.#resourceOf(o), o, meta, rv: Number.isSafeInteger(rv) && rv > 0 ? rv : undefined };
    });
    store.advanceTo(Math.max(0, ...items.map((i) => i.rv ?? 0)));
    for (const { r, o, meta, rv } of items) {
      const ns = r.namespaced
        ? typeof meta.namespace === 'string' && meta.namespace !== ''
          ? meta.namespace
          : 'default'
        : '';
      if (r.namespaced) this.#ensureNamespace(ns, meta.creationTimestamp, store.rv, true);
      store.insertExisting(
        r,
        { ...o, metadata: { ...meta, ...(r.namespaced ? { namespace: ns } : {}) } },
        rv ?? store.rv,
      );
      this.stats.applied++;
    }
    store.compact();
    if (this.#ctx.watches.count > 0) this.#ctx.watches.expireAll(store.horizon);
    return items.length;
  }

  /**
   * Creates the Namespace a fed object lives in when it does not exist yet, with a deterministic
   * uid. Under the `recorded` policy it takes a version just below the object's, when free.
   */
  #ensureNamespace(name: string, createdAt: unknown, objectRv: number | undefined, existing = false): void {
    const store = this.#ctx.store;
    const nsr = this.#ctx.registry.byPath('', 'v1', 'namespaces');
    if (!this.#autoNamespaces || nsr === undefined || store.get(nsr, '', name) !== undefined) return;
    const object = namespaceObject(name, typeof createdAt === 'string' ? createdAt : rfc3339(this.#ctx.now()));
    this.stats.namespacesCreated++;
    if (existing) store.insertExisting(nsr, object, store.rv);
    else if (objectRv !== undefined && objectRv - 1 > store.rv) store.commit(nsr, 'ADDED', object, objectRv - 1);
    else if (objectRv !== undefined && objectRv <= store.rv && this.#ctx.watches.count === 0)
      store.insertExisting(nsr, object, store.rv);
    else store.commit(nsr, 'ADDED', object);
  }

  #resourceOf(object: Json): ResourceInfo {
    const apiVersion = object.apiVersion;
    const kind = object.kind;
    const r =
      typeof apiVersion === 'string' && typeof kind === 'string'
        ? this.#ctx.registry.byKind(apiVersion, kind)
        : undefined;
    if (r === undefined)
      throw new Error(`apply: ${String(apiVersion)} ${String(kind)} is not served; registerResource it first`);
    return r;
  }
}

/** A Namespace object as a real cluster has it. */
export function namespaceObject(name: string, creationTimestamp: string): Json {
  return {
    kind: 'Namespace',
    apiVersion: 'v1',
    metadata: { name, uid: namespaceUid(name), creationTimestamp, labels: { 'kubernetes.io/metadata.name': name } },
    spec: { finalizers: ['kubernetes'] },
    status: { phase: 'Active' },
  };
}
