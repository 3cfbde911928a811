import type { JsonObject } from '../model/kube-json.js';
import type { WatchType } from '../model/records.js';
import { isOlderResourceVersion } from '../model/resource-version.js';
import { type SlimObject, slimOf } from './slim.js';
import { SlimParts } from './slim-parts.js';

/** What one watch record changed in the graph. */
export interface GraphChange {
  /** The slim object before this record; undefined on first sight. */
  readonly prev: SlimObject | undefined;
  /** The slim object after this record (on DELETED, the final state). */
  readonly next: SlimObject;
  readonly deleted: boolean;
  /** True when a different uid held this name before (delete + recreate). */
  readonly replacedUid: string | undefined;
  /** Children seen before this owner, now linked to it (pending links resolved). */
  readonly adopted: readonly SlimObject[];
  /**
   * The same version was applied before (an audit responseObject and the watch event of one write,
   * or a repeated DELETED), or an older one arrived after a newer (an audit batch delivered after
   * the watch moved on): nothing changed, and trackers must not act on it again.
   */
  readonly duplicate: boolean;
}

export interface OwnerGraphOptions {
  /** How long a deleted object stays resolvable (late Events, late children). */
  readonly tombstoneTtlMs: number;
}

interface Tombstone {
  readonly slim: SlimObject;
  readonly expiresMs: number;
}

/**
 * The owner-reference graph over slim projections (pure: no I/O, time passed in). Objects are
 * keyed by uid; a name index resolves Events that carry no uid. Children whose controller has not
 * been seen yet wait in a pending set and are handed back when it arrives.
 */
export class OwnerGraph {
  readonly #live = new Map<string, SlimObject>();
  readonly #byName = new NameIndex();
  readonly #tombstones = new Map<string, Tombstone>();
  readonly #pendingChildren = new Map<string, Set<string>>();
  readonly #parts = new SlimParts();
  readonly #tombstoneTtlMs: number;

  constructor(options: OwnerGraphOptions) {
    this.#tombstoneTtlMs = options.tombstoneTtlMs;
  }

  /** Number of live objects. */
  get size(): number {
    return this.#live.size;
  }

  /**
   * Applies one watch record. Objects without a uid are keyed by their name (recordings made by
   * hand may lack uids). `identityOnly`: a DELETED that carries only the object's identity (a
   * relist found it gone) keeps the last known state as the final one. Never throws.
   */
  apply(type: WatchType, object: JsonObject, nowMs: number, identityOnly = false): GraphChange {
    const slim = this.#subjectOf(type, object, identityOnly);
    const duplicate = this.#duplicateOf(type, slim);
    if (duplicate !== undefined) return duplicate;
    const prev = this.get(slim.uid);
    const holder = this.#byName.get(slim.kind, slim.namespace, slim.name);
    const replacedUid = holder !== undefined && holder !== slim.uid ? holder : undefined;
    // A new object taking the name retires the old one; a late DELETED of an old uid does not.
    if (replacedUid !== undefined && type !== 'DELETED') this.#bury(replacedUid, nowMs);
    if (type === 'DELETED') {
      this.#live.set(slim.uid, slim);
      this.#bury(slim.uid, nowMs);
      return { prev, next: slim, deleted: true, replacedUid, adopted: [], duplicate: false };
    }
    this.#tombstones.delete(slim.uid);
    this.#live.set(slim.uid, slim);
    this.#byName.set(slim, slim.uid);
    this.#trackPending(slim);
    return { prev, next: slim, deleted: false, replacedUid, adopted: this.#adopt(slim.uid), duplicate: false };
  }

  // The object a record is about; an identity-only DELETED stands for the last state known.
  #subjectOf(type: WatchType, object: JsonObject, identityOnly: boolean): SlimObject {
    const given = withUid(slimOf(object, this.#parts));
    const known = identityOnly && type === 'DELETED' ? this.#live.get(given.uid) : undefined;
    return known ?? given;
  }

  /**
   * The no-change answer for a record already applied: any record of a buried uid (a late copy
   * must not resurrect it), or a non-DELETED at a version not newer than the one kept.
   */
  #duplicateOf(type: WatchType, slim: SlimObject): GraphChange | undefined {
    const prev = this.get(slim.uid);
    if (prev === undefined) return undefined;
    const buried = this.#tombstones.has(slim.uid);
    if (!buried && (type === 'DELETED' || !isStaleVersion(slim, prev))) return undefined;
    return { prev, next: prev, deleted: buried, replacedUid: undefined, adopted: [], duplicate: true };
  }

  /** Live (not deleted) objects of one kind, for a relist diff. */
  *liveOfKind(kind: string): IterableIterator<SlimObject> {
    for (const slim of this.#live.values()) if (slim.kind === kind) yield slim;
  }

  /** A live object or a tombstone by uid. */
  get(uid: string): SlimObject | undefined {
    return this.#live.get(uid) ?? this.#tombstones.get(uid)?.slim;
  }

  /** Resolves kind/namespace/name to the current (or most recently deleted) object. */
  findByName(kind: string, namespace: string, name: string): SlimObject | undefined {
    const uid = this.#byName.get(kind, namespace, name);
    return uid === undefined ? undefined : this.get(uid);
  }

  /** The controller chain above `slim`, nearest first (ReplicaSet, then Deployment). Cycle-safe. */
  ownerChain(slim: SlimObject): SlimObject[] {
    const out: SlimObject[] = [];
    const seen = new Set<string>([slim.uid]);
    let link = slim.controller;
    while (link !== undefined && !seen.has(link.uid)) {
      seen.add(link.uid);
      const owner = this.get(link.uid);
      if (owner === undefined) break;
      out.push(owner);
      link = owner.controller;
    }
    return out;
  }

  /** Forgets tombstones past their TTL; returns how many were dropped. */
  sweep(nowMs: number): number {
    let dropped = 0;
    // Tombstones are inserted with a constant TTL on a clock that never runs back, so the Map's
    // insertion order is expiry order: stop at the first one still alive (O(expired), not O(all)).
    for (const [uid, t] of this.#tombstones) {
      if (t.expiresMs > nowMs) break;
      this.#tombstones.delete(uid);
      this.#pendingChildren.delete(uid);
      this.#byName.deleteIf(t.slim, uid);
      const owner = t.slim.controller;
      if (owner !== undefined) this.#pendingChildren.get(owner.uid)?.delete(uid);
      dropped++;
    }
    return dropped;
  }

  #bury(uid: string, nowMs: number): void {
    const slim = this.#live.get(uid);
    if (slim === undefined) return;
    this.#live.delete(uid);
    // Keep the name resolvable to the tombstone until something reuses it.
    if (this.#byName.get(slim.kind, slim.namespace, slim.name) === undefined) this.#byName.set(slim, uid);
    this.#tombstones.delete(uid); // re-insert at the end: the Map order is the expiry order
    this.#tombstones.set(uid, { slim, expiresMs: nowMs + this.#tombstoneTtlMs });
  }

  #trackPending(slim: SlimObject): void {
    const owner = slim.controller;
    if (owner === undefined || this.get(owner.uid) !== undefined) return;
    let set = this.#pendingChildren.get(owner.uid);
    if (set === undefined) this.#pendingChildren.set(owner.uid, (set = new Set()));
    set.add(slim.uid);
  }

  #adopt(uid: string): SlimObject[] {
    const pending = this.#pendingChildren.get(uid);
    if (pending === undefined) return [];
    this.#pendingChildren.delete(uid);
    const out: SlimObject[] = [];
    for (const child of [...pending].sort()) {
      const slim = this.get(child);
      if (slim !== undefined) out.push(slim);
    }
    return out;
  }
}

/**
 * A version already seen (or older than the one kept) is a duplicate: informers replay on relist
 * and recordings overlap. An empty kept version (hand-made recording) never makes one stale.
 */
function isStaleVersion(slim: SlimObject, prev: SlimObject): boolean {
  if (prev.resourceVersion === '') return false;
  return (
    prev.resourceVersion === slim.resourceVersion || isOlderResourceVersion(slim.resourceVersion, prev.resourceVersion)
  );
}

function nameKeyOf(kind: string, namespace: string, name: string): string {
  return `${kind}/${namespace}/${name}`;
}

/**
 * kind/namespace/name → uid, as one map per kind and namespace keyed by the object's own name
 * string (held by its slim object anyway): a joined `kind/ns/name` key per object cost ~110
 * retained bytes each (issue 16).
 */
class NameIndex {
  readonly #scopes = new Map<string, Map<string, string>>();

  get(kind: string, namespace: string, name: string): string | undefined {
    return this.#scopes.get(scopeKeyOf(kind, namespace))?.get(name);
  }

  set(slim: SlimObject, uid: string): void {
    const key = scopeKeyOf(slim.kind, slim.namespace);
    let names = this.#scopes.get(key);
    if (names === undefined) this.#scopes.set(key, (names = new Map()));
    names.set(slim.name, uid);
  }

  /** Forgets `slim`'s name when it still resolves to `uid`. */
  deleteIf(slim: SlimObject, uid: string): void {
    const key = scopeKeyOf(slim.kind, slim.namespace);
    const names = this.#scopes.get(key);
    if (names?.get(slim.name) !== uid) return;
    names.delete(slim.name);
    if (names.size === 0) this.#scopes.delete(key);
  }
}

function scopeKeyOf(kind: string, namespace: string): string {
  return `${kind}/${namespace}`;
}

function withUid(slim: SlimObject): SlimObject {
  return slim.uid !== '' ? slim : { ...slim, uid: `name:${nameKeyOf(slim.kind, slim.namespace, slim.name)}` };
}
