import type { JsonObject } from '../model/kube-json.js';
import type { OwnerLink, SlimContainer } from './slim.js';

const MAX_TEMPLATES = 1_024;
const MAX_TEXT = 256;

/**
 * Shares the equal, immutable parts of slim objects that every pod of one ReplicaSet repeats —
 * its controller link and its container list — so a large cluster holds one copy of each instead
 * of one per pod (with slim.ts's shared empties: 1,775 → 1,358 retained bytes per settled pod,
 * `npm run bench`). Shared parts are frozen. Bounded: past `maxEntries` per table it starts over; sharing only saves memory and is
 * never needed for correctness. Never throws.
 */
export class SlimParts {
  readonly #maxEntries: number;
  readonly #links = new Map<string, OwnerLink>();
  readonly #containers = new Map<string, readonly SlimContainer[]>();
  // Pod template (as JSON.stringify writes it) → its hash. Every status update of a Deployment or
  // ReplicaSet repeats its template, and hashing it canonically was 3-4 % of a replay; a template
  // written the same way hashes the same. Fewer entries: a key is a whole template (~1.5 KB).
  readonly #templateHashes = new Map<string, string>();
  // Short texts every pod repeats — condition reasons and messages ('containers with unready
  // status: [app]'), namespace, node name, phase — each its own string as JSON.parse made it:
  // ~130 bytes a settled pod of the real deploy recording (issue 16).
  readonly #texts = new Map<string, string>();

  constructor(maxEntries = 10_000) {
    this.#maxEntries = Math.max(1, maxEntries);
  }

  /** The shared link equal to `link`. */
  link(link: OwnerLink): OwnerLink {
    return this.#share(this.#links, `${link.uid}\n${link.kind}\n${link.name}`, link);
  }

  /** The shared container list equal to `containers`. */
  containers(containers: readonly SlimContainer[]): readonly SlimContainer[] {
    const key = containers.map((c) => `${c.init ? 'i' : 'c'}${c.name}\n${c.image}`).join('\n');
    return this.#share(this.#containers, key, containers);
  }

  /** The shared string equal to `text`; a long one (a unique message, likely) is kept as it is. */
  text(text: string): string {
    if (text.length === 0 || text.length > MAX_TEXT) return text;
    const known = this.#texts.get(text);
    if (known !== undefined) return known;
    if (this.#texts.size >= this.#maxEntries) this.#texts.clear();
    this.#texts.set(text, text);
    return text;
  }

  /** The hash of `template`: remembered by its JSON text, else `hash(template)`. */
  templateHash(template: JsonObject, hash: (template: JsonObject) => string): string {
    const key = JSON.stringify(template);
    const known = this.#templateHashes.get(key);
    if (known !== undefined) return known;
    if (this.#templateHashes.size >= Math.min(this.#maxEntries, MAX_TEMPLATES)) this.#templateHashes.clear();
    const value = hash(template);
    this.#templateHashes.set(key, value);
    return value;
  }

  #share<T extends object>(table: Map<string, T>, key: string, value: T): T {
    const known = table.get(key);
    if (known !== undefined) return known;
    if (table.size >= this.#maxEntries) table.clear();
    table.set(key, deepFreeze(value));
    return value;
  }
}

function deepFreeze<T extends object>(value: T): T {
  if (Array.isArray(value))
    for (const item of value as unknown[]) if (typeof item === 'object' && item !== null) Object.freeze(item);
  return Object.freeze(value);
}
