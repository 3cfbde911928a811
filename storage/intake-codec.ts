import type { IntakeEntry, IntakeRecord } from './intake-types.js';

/*
 * On-store format of the intake log. Everything lives in the log's one store view (one view, so a
 * write spanning kinds stays one atomic batch):
 *   e/<seq>         an entry: one-line JSON header {id, atMs}, a newline, then the body verbatim
 *   d/<seq>         a dedupe record: "<atMs> <id>"
 *   m/last-seq      the last sequence ever assigned (survives compaction)
 *   m/checkpoint    the last committed sequence
 * <seq> is zero-padded to 16 digits (Number.MAX_SAFE_INTEGER has 16), so key order = append order.
 */
export const ENTRY = 'e/';
export const DEDUPE = 'd/';
export const LAST_SEQ = 'm/last-seq';
export const CHECKPOINT = 'm/checkpoint';
// First sequence kept by a retaining log (everything below was truncated).
export const BASE_SEQ = 'm/base-seq';
/** Sorts after every `<prefix><digits>` key: the exclusive upper bound of a prefix's range. */
export const PREFIX_END = '~';
const SEQ_DIGITS = 16;
const LONE_SURROGATE = /\p{Surrogate}/u;

export const seqKey = (prefix: string, seq: number): string => prefix + String(seq).padStart(SEQ_DIGITS, '0');

/** What a stored key and value count against the byte bound (UTF-8). */
export const byteSize = (key: string, value: string): number => Buffer.byteLength(key) + Buffer.byteLength(value);

/** The body goes verbatim after the header line: no re-escaping of (JSON) bodies. Never throws. */
export function encodeEntry(record: IntakeRecord): string {
  return `${JSON.stringify({ id: record.id, atMs: record.appendedAtMs })}\n${record.body}`;
}

/** Throws `Error` naming the key for a record this log did not write. */
export function decodeEntry(key: string, value: unknown): IntakeRecord {
  const text = typeof value === 'string' ? value : '';
  const cut = text.indexOf('\n');
  const header: unknown = cut < 0 ? undefined : safeParse(text.slice(0, cut));
  const seq = Number(key.slice(ENTRY.length));
  if (typeof header !== 'object' || header === null || !('id' in header) || typeof header.id !== 'string') {
    throw new Error(`intake log: record ${JSON.stringify(key)} is corrupt or not an intake log entry`);
  }
  const atMs = 'atMs' in header && typeof header.atMs === 'number' ? header.atMs : 0;
  return { seq, id: header.id, body: text.slice(cut + 1), appendedAtMs: atMs };
}

/** Never throws. */
export function encodeDedupe(id: string, atMs: number): string {
  return `${atMs} ${id}`;
}

/** Throws `Error` naming the key for a corrupt dedupe record. */
export function decodeDedupe(key: string, value: unknown): { id: string; seq: number; atMs: number } {
  const text = typeof value === 'string' ? value : '';
  const cut = text.indexOf(' ');
  const atMs = Number(text.slice(0, cut));
  if (cut < 0 || !Number.isFinite(atMs)) throw new Error(`intake log: dedupe record ${JSON.stringify(key)} is corrupt`);
  return { id: text.slice(cut + 1), seq: Number(key.slice(DEDUPE.length)), atMs };
}

/** 0 when absent; throws `Error` naming the key when it holds something else. */
export function parseSeq(value: unknown, key: string): number {
  if (value === undefined) return 0;
  const seq = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(seq)) throw new Error(`intake log: ${key} holds ${JSON.stringify(value)}, not a sequence`);
  return seq;
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Throws `TypeError` for an empty or ill-formed id or a non-string or ill-formed body. */
export function assertEntry(entry: IntakeEntry): void {
  if (typeof entry.id !== 'string' || entry.id === '' || LONE_SURROGATE.test(entry.id)) {
    throw new TypeError(`intake log: entry id must be a non-empty well-formed string, got ${JSON.stringify(entry.id)}`);
  }
  if (typeof entry.body !== 'string' || LONE_SURROGATE.test(entry.body)) {
    throw new TypeError(`intake log: body of ${entry.id} must be a well-formed string`);
  }
}
