import { LRUCache } from 'lru-cache';
import { isObject, str, withoutManagedFields } from '../model/kube-json.js';
import type { JsonObject } from '../model/kube-json.js';
import type { SpanEventData } from '../model/span.js';
import { diffObjects } from './object-diff.js';
import { keepEqualParts, shareWith } from './shared-version.js';

// Owners (and kinds) whose last stored version new versions share their equal parts with. Few are
// needed at once (a watch list or rollout brings one owner's pods together); an evicted exemplar
// only means the next version shares with its kind's instead. Swept with the versions, so an
// exemplar never keeps a version alive past the idle bound.
const MAX_EXEMPLARS = 1024;

interface Version {
  readonly object: JsonObject;
  /** Record time of the update that stored it. */
  readonly atMs: number;
}

/**
 * The last version of recently changed objects, so each update yields a field diff (DESIGN
 * §3.4). Bounded (LRU by object count) because full objects are large: an object evicted, or
 * seen for the first time, gets no diff on its next update. Objects arrive already redacted.
 * With `maxIdleMs`, `sweep` also forgets versions not updated for that long (record time): a
 * settled object's full version (~4.4 KB for a pod) is not kept for a change that may never come.
 */
export class ObjectVersions {
  readonly #cache: LRUCache<string, Version>;
  readonly #maxIdleMs: number;
  readonly #exemplars = new LRUCache<string, Version>({ max: MAX_EXEMPLARS });

  constructor(maxObjects: number, maxIdleMs = Infinity) {
    this.#cache = new LRUCache({ max: Math.max(1, maxObjects) });
    this.#maxIdleMs = maxIdleMs;
  }

  /** The last version remembered for `uid` (managedFields left out), if it is still cached. */
  latest(uid: string): JsonObject | undefined {
    return this.#cache.peek(uid)?.object;
  }

  /**
   * Forgets versions last updated `maxIdleMs` or longer before `nowMs`. Updates move a version
   * to the recent end, so the idle ones are the least recent: O(forgotten).
   */
  sweep(nowMs: number): void {
    const cutoff = nowMs - this.#maxIdleMs;
    if (!Number.isFinite(cutoff)) return;
    forgetBefore(this.#cache, cutoff);
    forgetBefore(this.#exemplars, cutoff);
  }

  // The version as stored: its parts equal to its owner's (else its kind's) exemplar are the
  // exemplar's, so pods of one ReplicaSet keep one copy of their common spec and strings.
  #shared(object: JsonObject, atMs: number): JsonObject {
    const owner = controllerUid(object);
    const kindKey = `${str(object, 'apiVersion') ?? ''}/${str(object, 'kind') ?? ''}`;
    const exemplar = (owner === undefined ? undefined : this.#exemplars.peek(owner)) ?? this.#exemplars.peek(kindKey);
    const stored = exemplar === undefined ? object : (shareWith(object, exemplar.object) as JsonObject);
    if (owner !== undefined) this.#exemplars.set(owner, { object: stored, atMs });
    else this.#exemplars.set(kindKey, { object: stored, atMs });
    if (!this.#exemplars.has(kindKey)) this.#exemplars.set(kindKey, { object: stored, atMs });
    return stored;
  }

  /**
   * Remembers `object` as the current version of `uid` and returns the `diff` span event
   * against the previous version, or undefined when there is none or nothing meaningful changed.
   */
  update(uid: string, object: JsonObject, atMs: number, deleted: boolean): SpanEventData | undefined {
    const before = this.#cache.get(uid)?.object;
    if (deleted) this.#cache.delete(uid);
    else {
      const stored = withoutManagedFields(object);
      this.#cache.set(uid, {
        object: before === undefined ? this.#shared(stored, atMs) : keepEqualParts(stored, before),
        atMs,
      });
    }
    if (before === undefined || deleted) return undefined;
    const { changes, total } = diffObjects(before, object);
    if (total === 0) return undefined;
    return {
      name: 'diff',
      timeMs: atMs,
      attributes: {
        'kubestitch.diff.changes': changes.map((c) => `${c.path}: ${c.old} → ${c.new}`),
        'kubestitch.diff.total': total,
        'kubestitch.diff.resource_version': str(object, 'metadata', 'resourceVersion') ?? '',
      },
    };
  }
}

function controllerUid(object: JsonObject): string | undefined {
  const meta = object['metadata'];
  const refs = isObject(meta) ? meta['ownerReferences'] : undefined;
  if (!Array.isArray(refs)) return undefined;
  for (const ref of refs) if (isObject(ref) && ref['controller'] === true) return str(ref, 'uid');
  return undefined;
}

// Entries set `cutoff` or earlier (record time). Every set moves an entry to the recent end, so
// they are the least recent ones: O(forgotten).
function forgetBefore(cache: LRUCache<string, Version>, cutoff: number): void {
  const idle: string[] = [];
  for (const key of cache.rkeys()) {
    if ((cache.peek(key)?.atMs ?? -Infinity) > cutoff) break;
    idle.push(key);
  }
  for (const key of idle) cache.delete(key);
}
