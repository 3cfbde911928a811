import { LRUCache } from 'lru-cache';
import { str, withoutManagedFields } from '../model/kube-json.js';
import type { JsonObject } from '../model/kube-json.js';
import type { SpanEventData } from '../model/span.js';
import { diffObjects } from './object-diff.js';

/**
 * The last version of recently changed objects, so each update yields a field diff (DESIGN
 * §3.4). Bounded (LRU by object count) because full objects are large: an object evicted, or
 * seen for the first time, gets no diff on its next update. Objects arrive already redacted.
 */
export class ObjectVersions {
  readonly #cache: LRUCache<string, JsonObject>;

  constructor(maxObjects: number) {
    this.#cache = new LRUCache({ max: Math.max(1, maxObjects) });
  }

  /** The last version remembered for `uid` (managedFields left out), if it is still cached. */
  latest(uid: string): JsonObject | undefined {
    return this.#cache.peek(uid);
  }

  /**
   * Remembers `object` as the current version of `uid` and returns the `diff` span event
   * against the previous version, or undefined when there is none or nothing meaningful changed.
   */
  update(uid: string, object: JsonObject, atMs: number, deleted: boolean): SpanEventData | undefined {
    const before = this.#cache.get(uid);
    if (deleted) this.#cache.delete(uid);
    else this.#cache.set(uid, withoutManagedFields(object));
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
