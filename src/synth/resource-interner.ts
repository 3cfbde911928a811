import type { Attributes } from '../model/span.js';

// Bounds the interned resources: actors are a few per controller and one per node, but the node
// set has no fixed size; a full table starts over, which costs sharing, not correctness.
const MAX_INTERNED_RESOURCES = 4096;

/**
 * The span's resource (its actor plus the cluster) as one object per distinct actor, so the
 * encoders group a batch's spans by object identity instead of keying a fresh object per span.
 * Keyed by the actor's content: equal content gives an equal merged object, so sharing one
 * changes no output. Attributes are readonly; a tracker that changes a span's actor replaces
 * the object (pod-tracker, deletion-tracker spread a new one), so sharing is safe.
 */
export class ResourceInterner {
  readonly #byContent = new Map<string, Attributes>();

  merged(actor: Attributes, cluster: Attributes): Attributes {
    // JSON names strings exactly; a number could be NaN and Infinity alike (both null).
    if (!allStrings(actor)) return { ...actor, ...cluster };
    const key = JSON.stringify(actor);
    let merged = this.#byContent.get(key);
    if (merged === undefined) {
      if (this.#byContent.size >= MAX_INTERNED_RESOURCES) this.#byContent.clear();
      merged = { ...actor, ...cluster };
      this.#byContent.set(key, merged);
    }
    return merged;
  }
}

function allStrings(attributes: Attributes): boolean {
  for (const key in attributes) {
    if (Object.hasOwn(attributes, key) && typeof attributes[key] !== 'string') return false;
  }
  return true;
}
