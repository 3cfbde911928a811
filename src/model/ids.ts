import { createHash } from 'node:crypto';

// Bump only with an ADR: every ID ever exported changes with it.
const ID_SCHEME = 'kubestitch/v1/';

function digestHex(cluster: string, key: string): string {
  return createHash('sha256').update(`${ID_SCHEME}${cluster}/${key}`).digest('hex');
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
