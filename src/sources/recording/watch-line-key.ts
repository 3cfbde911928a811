/** What a streamed file orders a watch line by, read from its text without parsing it. */
export interface WatchLineKey {
  /** The line's `type`. */
  readonly type: string;
  /** The line's `ts`. */
  readonly ts: string;
  /** `object.kind`. */
  readonly kind: string;
  /** `object.metadata.resourceVersion`, undefined when absent or not a string. */
  readonly rv: string | undefined;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;

// What the value after a key read is.
type At = 'other' | 'type' | 'ts' | 'object' | 'kind' | 'metadata';

/**
 * Reads the order key of a watch line (`{"type":…,"ts":…,"object":{"kind":…,"metadata":{…}}}`)
 * from its text: the reorder window holds a line by its key and parses it once, when it is next
 * in order, instead of parsing it once more to order it (a JSON.parse per record, and a whole
 * object per record becoming garbage). Strings are skipped with indexOf, so this costs a
 * fraction of JSON.parse. Duplicate keys take the last value, as JSON.parse does; for text that
 * is not JSON the key may be anything (the parse when the line is taken rejects it). Undefined
 * when the line is not a plain watch line: a field missing or not a string, or an escape in a
 * key or value read (the caller parses such lines whole).
 */
export function scanWatchLineKey(line: string): WatchLineKey | undefined {
  const scan = new KeyScan(line, tsAtEnd(line));
  let depth = 0;
  for (let i = 0; i < line.length && !scan.complete(); i++) {
    const c = line.charCodeAt(i);
    if (c === OPEN_OBJECT || c === OPEN_ARRAY) scan.open(++depth, c === OPEN_OBJECT);
    else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) depth--;
    else if (c === QUOTE) {
      const end = stringEnd(line, i);
      if (end < 0 || !scan.string(depth, i + 1, end)) return undefined;
      i = end;
    }
  }
  return scan.key();
}

/** The fields read so far, and where the scan is. */
class KeyScan {
  readonly #line: string;
  // Keys are compared as written: a line with escapes has them checked where it matters.
  readonly #escapes: boolean;
  #type: string | undefined;
  #ts: string | undefined;
  #kind: string | undefined;
  #rv: string | undefined;
  #isObject = false;
  // What the value after the last key at depth 1 and at depth 2 (in object) is.
  #top: At = 'other';
  #inner: At = 'other';

  // The ts read from the line's end (tsAtEnd): its last member, which no other "ts" can replace.
  readonly #tsAtEnd: string | undefined;

  constructor(line: string, tsAtEnd: string | undefined) {
    this.#line = line;
    this.#escapes = line.includes('\\');
    this.#tsAtEnd = tsAtEnd;
    this.#ts = tsAtEnd;
  }

  /**
   * True once every field is read and ts came from the end: the rest of the line (the object's
   * spec and status, most of it) is not scanned. A key repeated in that rest would change what
   * JSON.parse gives; the parse when the line is next in order finds that (see StreamedFile).
   */
  complete(): boolean {
    return (
      this.#tsAtEnd !== undefined && this.#type !== undefined && this.#kind !== undefined && this.#rv !== undefined
    );
  }

  open(depth: number, isObject: boolean): void {
    if (depth === 2 && this.#top === 'object') this.#isObject = isObject;
  }

  /** The string between the quotes at start-1 and end, at `depth`; false when the line is not plain. */
  string(depth: number, start: number, end: number): boolean {
    if (depth > 3 || (depth === 3 && this.#inner !== 'metadata') || (depth > 1 && this.#top !== 'object')) return true;
    const line = this.#line;
    if (this.#escapes && hasEscape(line, start, end)) return false;
    const isKey = line.charCodeAt(skipSpace(line, end + 1)) === COLON;
    if (depth === 1) this.#atTop(isKey, start, end);
    else if (!this.#isObject) return true;
    else if (depth === 2) this.#inObject(isKey, start, end);
    else if (isKey && isWord(line, start, end, 'resourceVersion')) this.#rv = this.#stringAfter(end + 1);
    return true;
  }

  key(): WatchLineKey | undefined {
    const type = this.#type;
    const ts = this.#ts;
    const kind = this.#kind;
    if (type === undefined || ts === undefined || kind === undefined || !this.#isObject) return undefined;
    return { type, ts, kind, rv: this.#rv };
  }

  // A key (which sets the value it names aside until its value comes) or a value at depth 1.
  #atTop(isKey: boolean, start: number, end: number): void {
    const line = this.#line;
    if (!isKey) {
      if (this.#top === 'type') this.#type = line.slice(start, end);
      else if (this.#top === 'ts') this.#ts = this.#tsAtEnd ?? line.slice(start, end);
      return;
    }
    this.#top = topKey(line, start, end);
    if (this.#top === 'type') this.#type = undefined;
    else if (this.#top === 'ts') this.#ts = this.#tsAtEnd;
    else if (this.#top === 'object') {
      // A repeated "object" replaces the earlier one, as JSON.parse does.
      this.#isObject = false;
      this.#kind = this.#rv = undefined;
    }
  }

  #inObject(isKey: boolean, start: number, end: number): void {
    const line = this.#line;
    if (!isKey) {
      if (this.#inner === 'kind') this.#kind = line.slice(start, end);
      return;
    }
    this.#inner = objectKey(line, start, end);
    if (this.#inner === 'kind') this.#kind = undefined;
    else if (this.#inner === 'metadata') this.#rv = undefined;
  }

  // The string value after the colon that follows `from`, or undefined when the value is no string.
  #stringAfter(from: number): string | undefined {
    const line = this.#line;
    const open = skipSpace(line, line.indexOf(':', from) + 1);
    if (line.charCodeAt(open) !== QUOTE) return undefined;
    const end = stringEnd(line, open);
    return end < 0 || (this.#escapes && hasEscape(line, open + 1, end)) ? undefined : line.slice(open + 1, end);
  }
}

const TS_MEMBER = ',"ts":"';

/**
 * The value of a line ending in `,"ts":"…"}` (how recorders write it), undefined otherwise. Its
 * quotes are not escaped, so they are the JSON's own, and the last `}` closes the top-level
 * object: this is its last member, the ts JSON.parse keeps.
 */
function tsAtEnd(line: string): string | undefined {
  const n = line.length;
  if (line.charCodeAt(n - 1) !== CLOSE_OBJECT || line.charCodeAt(n - 2) !== QUOTE) return undefined;
  const open = line.lastIndexOf('"', n - 3);
  const member = open - TS_MEMBER.length + 1;
  if (member < 0 || !line.startsWith(TS_MEMBER, member)) return undefined;
  const ts = line.slice(open + 1, n - 2);
  return ts.includes('\\') ? undefined : ts;
}

// The index of the quote closing the string opened at `open`, or -1 when it is not closed.
function stringEnd(line: string, open: number): number {
  let end = line.indexOf('"', open + 1);
  while (end > 0) {
    let slashes = 0;
    while (line.charCodeAt(end - 1 - slashes) === BACKSLASH) slashes++;
    if (slashes % 2 === 0) return end;
    end = line.indexOf('"', end + 1);
  }
  return -1;
}

// The index of the first character at or after `from` that is not JSON whitespace.
function skipSpace(line: string, from: number): number {
  let i = from;
  for (let c = line.charCodeAt(i); c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d; c = line.charCodeAt(i)) i++;
  return i;
}

function hasEscape(line: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (line.charCodeAt(i) === BACKSLASH) return true;
  return false;
}

function topKey(line: string, start: number, end: number): At {
  if (isWord(line, start, end, 'type')) return 'type';
  if (isWord(line, start, end, 'ts')) return 'ts';
  if (isWord(line, start, end, 'object')) return 'object';
  return 'other';
}

function objectKey(line: string, start: number, end: number): At {
  if (isWord(line, start, end, 'kind')) return 'kind';
  if (isWord(line, start, end, 'metadata')) return 'metadata';
  return 'other';
}

function isWord(line: string, start: number, end: number, word: string): boolean {
  return end - start === word.length && line.startsWith(word, start);
}
