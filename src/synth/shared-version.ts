import { isObject } from '../model/kube-json.js';
import type { JsonObject } from '../model/kube-json.js';

/**
 * `value` with every part equal to the same part of `exemplar` (same keys in the same order, same
 * strings) replaced by the exemplar's: pods of one ReplicaSet (or nodes of one cluster) differ in a
 * few fields, and each version the diff cache holds would otherwise keep its own copy of the rest
 * (10,000 bench pods: 46 MB). The result is JSON-equal to `value` with the same key order, so
 * diffs and `latest` readers see no difference; neither input is modified (versions are never
 * written to once stored, so sharing their parts is safe).
 */
export function shareWith(value: unknown, exemplar: unknown): unknown {
  if (typeof value !== 'object') return typeof value === 'string' && value === exemplar ? exemplar : value;
  if (value === exemplar || value === null) return value;
  if (Array.isArray(value)) return Array.isArray(exemplar) ? shareArray(value, exemplar) : value;
  return isObject(exemplar) ? shareObject(value as JsonObject, exemplar) : value;
}

function shareArray(value: readonly unknown[], exemplar: readonly unknown[]): readonly unknown[] {
  let copy: unknown[] | undefined;
  let same = value.length === exemplar.length;
  for (let i = 0; i < value.length; i++) {
    const v = value[i];
    const s = shareWith(v, exemplar[i]);
    if (s !== exemplar[i]) same = false;
    if (s !== v && copy === undefined) copy = value.slice(0, i);
    copy?.push(s);
  }
  return same ? exemplar : (copy ?? value);
}

function shareObject(value: JsonObject, exemplar: JsonObject): JsonObject {
  const keys = Object.keys(value);
  let exKeys: string[] | undefined = Object.keys(exemplar);
  if (keys.length !== exKeys.length) exKeys = undefined;
  let same = exKeys !== undefined;
  let copy: Record<string, unknown> | undefined;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i] as string;
    const v = value[k];
    const s = Object.hasOwn(exemplar, k) ? shareWith(v, exemplar[k]) : v;
    if (same && (exKeys?.[i] !== k || s !== exemplar[k])) same = false;
    if (s !== v && copy === undefined) {
      copy = {};
      for (let j = 0; j < i; j++) setOwn(copy, keys[j] as string, value[keys[j] as string]);
    }
    if (copy !== undefined) setOwn(copy, k, s);
  }
  return same ? exemplar : (copy ?? value);
}

// A JSON key `__proto__` is an own property of a parsed object; plain assignment would set the
// copy's prototype instead.
function setOwn(o: Record<string, unknown>, k: string, v: unknown): void {
  if (k === '__proto__')
    Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  else o[k] = v;
}

/**
 * `next` with each top-level part equal to `previous`'s (same keys in the same order) replaced by
 * it: an update of an object changes a few parts (a pod's status), and the others keep what its
 * first version shared, for a check of the parts only instead of a walk of the whole object.
 */
export function keepEqualParts(next: JsonObject, previous: JsonObject): JsonObject {
  let copy: Record<string, unknown> | undefined;
  const keys = Object.keys(next);
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i] as string;
    const v = next[k];
    const p = previous[k];
    if (v === p || typeof v !== 'object' || v === null || !Object.hasOwn(previous, k) || !sameOrdered(v, p)) continue;
    if (copy === undefined) {
      copy = {};
      for (let j = 0; j < i; j++) setOwn(copy, keys[j] as string, next[keys[j] as string]);
    }
    setOwn(copy, k, p);
  }
  if (copy === undefined) return next;
  // Keys after the last shared part were not copied yet.
  for (const k of keys) if (!Object.hasOwn(copy, k)) setOwn(copy, k, next[k]);
  return copy;
}

// Equal JSON with keys in the same order (unlike the diff's sameJson), so a shared part reads as
// the part it replaces, key order included.
function sameOrdered(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) return Array.isArray(a) && Array.isArray(b) && sameOrderedArray(a, b);
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  for (let i = 0; i < ka.length; i++) {
    const k = ka[i] as string;
    if (k !== kb[i] || !sameOrdered((a as JsonObject)[k], (b as JsonObject)[k])) return false;
  }
  return true;
}

function sameOrderedArray(a: readonly unknown[], b: readonly unknown[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!sameOrdered(a[i], b[i])) return false;
  return true;
}
