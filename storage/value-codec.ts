import type { KvValue } from './kv-store.js';

/*
 * On disk every value is one tag byte plus its payload, so a value comes back as the type it was
 * written (see kv-store.ts): 0x00 = UTF-8 string, 0x01 = raw bytes.
 */
const TAG_STRING = 0x00;
const TAG_BYTES = 0x01;

const utf8 = new TextEncoder();
const utf8Strict = new TextDecoder('utf-8', { fatal: true });

/** Encodes a validated value for LevelDB. Never throws for a `KvValue`. */
export function encodeValue(value: KvValue): Uint8Array {
  if (typeof value === 'string') {
    const text = utf8.encode(value);
    const out = new Uint8Array(text.byteLength + 1);
    out[0] = TAG_STRING;
    out.set(text, 1);
    return out;
  }
  const out = new Uint8Array(value.byteLength + 1);
  out[0] = TAG_BYTES;
  out.set(value, 1);
  return out;
}

/**
 * Decodes a stored value into a fresh string or plain `Uint8Array` (never a view of the backend's
 * buffer). Throws when the bytes were not written by `encodeValue` — a corrupt or foreign store.
 */
export function decodeValue(stored: Uint8Array, key: string): KvValue {
  const tag = stored[0];
  if (tag === TAG_STRING) return utf8Strict.decode(stored.subarray(1));
  if (tag === TAG_BYTES) return new Uint8Array(stored.subarray(1));
  throw new Error(
    `storage: value of key ${JSON.stringify(key)} has unknown encoding tag ${String(tag)}; ` +
      'the store is corrupt or was not written by kubestitch',
  );
}
