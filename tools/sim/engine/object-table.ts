import type { KObject } from './k8s-types.js';
import { kindOf, storeKey, type KindInfo } from './resources.js';
import type { Rng } from './rng.js';

export interface ObjectId {
  readonly apiVersion: string;
  readonly kind: string;
  readonly namespace?: string;
  readonly name: string;
}

/**
 * etcd's part of the apiserver: the current objects by kind, and the one global revision counter
 * that becomes every object's resourceVersion. Stored objects are never mutated in place.
 */
export class ObjectTable {
  readonly #rng: Rng;
  readonly #byType = new Map<string, Map<string, KObject>>();
  readonly #byUid = new Map<string, KObject>();
  readonly #dependents = new Map<string, Set<string>>();
  readonly #podsByNode = new Map<string, Set<string>>();
  #rv: number;

  constructor(rng: Rng, firstRv: number) {
    this.#rng = rng;
    this.#rv = firstRv;
  }

  get<T extends KObject>(id: ObjectId): T | undefined {
    const k = kindOf(id.apiVersion, id.kind);
    return this.#table(k).get(storeKey(k, id.namespace, id.name)) as T | undefined;
  }

  has(k: KindInfo, namespace: string | undefined, name: string): boolean {
    return this.#table(k).has(storeKey(k, namespace, name));
  }

  /** Objects of one kind (optionally one namespace) in creation order. */
  list<T extends KObject>(apiVersion: string, kind: string, namespace?: string): T[] {
    const out: T[] = [];
    for (const o of this.#table(kindOf(apiVersion, kind)).values()) {
      if (namespace === undefined || o.metadata.namespace === namespace) out.push(o as T);
    }
    return out;
  }

  all(): KObject[] {
    return [...this.#byType.values()].flatMap((t) => [...t.values()]);
  }

  byUid(uid: string): KObject | undefined {
    return this.#byUid.get(uid);
  }

  /** Objects with an owner reference to `uid`, in creation order (indexed). */
  dependentsOf(uid: string): KObject[] {
    const out: KObject[] = [];
    for (const child of this.#dependents.get(uid) ?? []) {
      const o = this.#byUid.get(child);
      if (o !== undefined) out.push(o);
    }
    return out;
  }

  /** Objects of `kind` whose controller reference is `ownerUid` (indexed). */
  controlledBy<T extends KObject>(ownerUid: string | undefined, kind: string): T[] {
    if (ownerUid === undefined) return [];
    return this.dependentsOf(ownerUid).filter(
      (o): o is T =>
        o.kind === kind &&
        (o.metadata.ownerReferences?.some((r) => r.controller === true && r.uid === ownerUid) ?? false),
    );
  }

  /** Pods bound to `node` (indexed). */
  podsOnNode(node: string): KObject[] {
    const out: KObject[] = [];
    for (const uid of this.#podsByNode.get(node) ?? []) {
      const o = this.#byUid.get(uid);
      if (o !== undefined) out.push(o);
    }
    return out;
  }

  put(o: KObject): void {
    const k = kindOf(o.apiVersion, o.kind);
    const uid = o.metadata.uid ?? '';
    this.#table(k).set(storeKey(k, o.metadata.namespace, o.metadata.name ?? ''), o);
    this.#byUid.set(uid, o);
    for (const r of o.metadata.ownerReferences ?? []) addTo(this.#dependents, r.uid, uid);
    const node = (o['spec'] as { nodeName?: string } | undefined)?.nodeName;
    if (o.kind === 'Pod' && node !== undefined) addTo(this.#podsByNode, node, uid);
  }

  /** Removes an object; returns it as a DELETED watch event shows it, with the deletion revision. */
  remove(o: KObject): KObject {
    const k = kindOf(o.apiVersion, o.kind);
    const uid = o.metadata.uid ?? '';
    this.#table(k).delete(storeKey(k, o.metadata.namespace, o.metadata.name ?? ''));
    this.#byUid.delete(uid);
    for (const r of o.metadata.ownerReferences ?? []) removeFrom(this.#dependents, r.uid, uid);
    const node = (o['spec'] as { nodeName?: string } | undefined)?.nodeName;
    if (node !== undefined) removeFrom(this.#podsByNode, node, uid);
    return { ...o, metadata: { ...o.metadata, resourceVersion: this.nextRv() } };
  }

  /** The next etcd revision. Gaps stand for writes to kinds nobody here watches (leases, endpoints). */
  nextRv(): string {
    this.#rv += 1 + (this.#rng.chance(0.4) ? this.#rng.int(1, 7) : 0);
    return String(this.#rv);
  }

  #table(k: KindInfo): Map<string, KObject> {
    const key = `${k.apiVersion}/${k.kind}`;
    let t = this.#byType.get(key);
    if (t === undefined) {
      t = new Map();
      this.#byType.set(key, t);
    }
    return t;
  }
}

/** The id of a stored object. */
export function idOf(o: KObject): ObjectId {
  return {
    apiVersion: o.apiVersion,
    kind: o.kind,
    ...(o.metadata.namespace === undefined ? {} : { namespace: o.metadata.namespace }),
    name: o.metadata.name ?? '',
  };
}

function addTo(index: Map<string, Set<string>>, key: string, value: string): void {
  let set = index.get(key);
  if (set === undefined) {
    set = new Set();
    index.set(key, set);
  }
  set.add(value);
}

function removeFrom(index: Map<string, Set<string>>, key: string, value: string): void {
  const set = index.get(key);
  if (set === undefined) return;
  set.delete(value);
  if (set.size === 0) index.delete(key);
}
