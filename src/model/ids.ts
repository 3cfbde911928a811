import { hash } from 'node:crypto';

// Bump only with an ADR: every ID ever exported changes with it.
const ID_SCHEME = 'kubestitch/v1/';

// crypto.hash, one call: a Hash object per id (createHash → update → digest) cost ~5× as much.
function digestHex(cluster: string, key: string): string {
  return hash('sha256', `${ID_SCHEME}${cluster}/${key}`, 'hex');
}

/**
 * Deterministic 16-byte trace id (32 hex chars) for `key` in `cluster` (DESIGN §3.1): the same
 * input on any replica, replay or restart gives the same id, so duplicates collapse downstream.
 */
export function traceIdFor(cluster: string, key: string): string {
  return digestHex(cluster, key).slice(0, 32);
}

/** Deterministic 8-byte span id (16 hex chars) for `key` in `cluster`. */
export function spanIdFor(cluster: string, key: string): string {
  return digestHex(cluster, key).slice(0, 16);
}

/** Both ids of the span keyed `key`, from one hash (traceIdFor and spanIdFor hash it each). */
export function spanIdsFor(cluster: string, key: string): { readonly traceId: string; readonly spanId: string } {
  const hex = digestHex(cluster, key);
  return { traceId: hex.slice(0, 32), spanId: hex.slice(0, 16) };
}
