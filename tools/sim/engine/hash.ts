import { SAFE_ALPHABET } from './rng.js';

/** JSON with object keys sorted at every level: a canonical form for hashing and comparing. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** Deep equality of plain JSON values, ignoring key order; an undefined field equals a missing one. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!jsonEqual(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  let na = 0;
  for (const k in ao) {
    if (ao[k] === undefined) continue;
    na++;
    if (!jsonEqual(ao[k], bo[k])) return false;
  }
  let nb = 0;
  for (const k in bo) if (bo[k] !== undefined) nb++;
  return na === nb;
}

/** 32-bit FNV-1a, the hash Kubernetes uses for pod-template-hash and controller revisions. */
export function fnv32a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * The label-safe hash Kubernetes derives from an object (controller.ComputeHash): FNV-32a printed
 * in decimal and passed through rand.SafeEncodeString, e.g. `5d78c9869d`. Kubernetes hashes a spew
 * dump of the Go struct, which cannot be reproduced here; the shape and alphabet are the same.
 */
export function computeHash(value: unknown, collisionCount = 0): string {
  const decimal = String(fnv32a(`${canonicalJson(value)}#${collisionCount}`));
  let out = '';
  for (const ch of decimal) out += SAFE_ALPHABET[ch.charCodeAt(0) % SAFE_ALPHABET.length] ?? 'b';
  return out;
}

/** Deep copy of plain JSON data (a JSON round trip: faster than structuredClone for this shape). */
export function clone<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}
