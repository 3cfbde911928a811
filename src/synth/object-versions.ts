import { LRUCache } from 'lru-cache';
import { str, withoutManagedFields } from '../model/kube-json.js';
import type { JsonObject } from '../model/kube-json.js';
import type { SpanEventData } from '../model/span.js';
import { diffObjects } from './object-diff.js';

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
    const idle: string[] = [];
    for (const uid of this.#cache.rkeys()) {
      if ((this.#cache.peek(uid)?.atMs ?? -Infinity) > cutoff) break;
      idle.push(uid);
    }
    for (const uid of idle) this.#cache.delete(uid);
  }

  /**
   * Remembers `object` as the current version of `uid` and returns the `diff` span event
   * against the previous version, or undefined when there is none or nothing meaningful changed.
   */
  update(uid: string, object: JsonObject, atMs: number, deleted: boolean): SpanEventData | undefined {
    const before = this.#cache.get(uid)?.object;
    if (deleted) this.#cache.delete(uid);
    else this.#cache.set(uid, { object: withoutManagedFields(object), atMs });
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
