/** One JSON value found in a text file, or why the text at `line` is not one. */
export type JsonValueResult =
  | { readonly ok: true; readonly value: unknown; readonly line: number; readonly raw: string }
  | { readonly ok: false; readonly reason: string; readonly line: number };

/**
 * Splits a file into JSON values. Accepts both JSON lines (one compact value per line, the
 * Collector / audit-log shape) and a stream of pretty-printed values (what `kubectl get --watch
 * -o json` prints). Malformed input is reported per value with its 1-based start line and the
 * scan goes on; this function never throws.
 */
export function* splitJsonValues(input: string): Generator<JsonValueResult> {
  // Editors on Windows save UTF-8 with a byte-order mark; it is not part of the first value.
  const text = input.startsWith('\uFEFF') ? input.slice(1) : input;
  const lines = text.split('\n');
  const firstLine = lines.find((l) => l.trim() !== '');
  if (firstLine === undefined) return;
  if (parses(firstLine)) {
    yield* perLine(lines);
  } else {
    yield* concatenated(text);
  }
}

/** True when the line is one JSON value (how a file is told to be JSON lines). */
export function parses(line: string): boolean {
  try {
    JSON.parse(line);
    return true;
  } catch {
    return false;
  }
}

function* perLine(lines: readonly string[]): Generator<JsonValueResult> {
  for (let i = 0; i < lines.length; i++) {
    const raw = (lines[i] ?? '').trim();
    if (raw === '') continue;
    yield parseOne(raw, i + 1);
  }
}

/** One JSON value parsed, or why not (the reason never quotes the input). Never throws. */
export function parseOne(raw: string, line: number): JsonValueResult {
  try {
    return { ok: true, value: JSON.parse(raw) as unknown, line, raw };
  } catch (err: unknown) {
    return { ok: false, reason: `invalid JSON: ${describeParseError(err)}`, line };
  }
}

// V8 quotes a slice of the input in its "… is not valid JSON" messages. That slice may be Secret
// data, and these reasons are printed (DESIGN §3.5 invariant 5), so keep only the kind of error.
function describeParseError(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return /is not valid JSON$/.test(message) ? 'unexpected token' : message;
}

// Scans for balanced {…}/[…] values, honouring strings and escapes, so multi-line values work.
function* concatenated(text: string): Generator<JsonValueResult> {
  const closes = new CloseFinder(text);
  let i = 0;
  let line = 1;
  const n = text.length;
  while (i < n) {
    const c = text[i];
    if (c === '\n') {
      line++;
      i++;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r') {
      i++;
      continue;
    }
    if (c !== '{' && c !== '[') {
      const eol = text.indexOf('\n', i);
      yield { ok: false, reason: 'not a JSON object or array', line };
      i = eol < 0 ? n : eol;
      continue;
    }
    const startLine = line;
    const end = closes.closeOf(i);
    if (end < 0) {
      yield { ok: false, reason: 'unterminated JSON value (file truncated?)', line: startLine };
      // A cut-off value must not swallow the rest of the file: resume at the next line that starts
      // a value (top-level values begin in column 0, in JSON lines and in kubectl's pretty output).
      const next = nextLineStartingValue(text, i);
      if (next < 0) return;
      line += countNewlines(text, i, next);
      i = next;
      continue;
    }
    yield parseOne(text.slice(i, end + 1), startLine);
    line += countNewlines(text, i, end + 1);
    i = end + 1;
  }
}

function nextLineStartingValue(text: string, from: number): number {
  const re = /\n[{[]/g;
  re.lastIndex = from;
  const m = re.exec(text);
  return m === null ? -1 : m.index + 1;
}

function countNewlines(text: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) if (text[i] === '\n') n++;
  return n;
}

/**
 * Finds where the value opening at an index closes, in linear time overall. A cut-off value is
 * scanned to its end once; without memory, each of 20,000 cut values rescanned the rest of the
 * file (1.3 MB: 120 s). So a failed scan remembers, for every bracket inside it where a later
 * value may start (at a line start or right after a closing bracket), where that one closes: its
 * scan would repeat this one's from there on. A raw newline inside a string ends a scan as cut
 * (JSON strings cannot hold one), so a string left open does not run to the end of the file.
 */
class CloseFinder {
  readonly #text: string;
  /** Results of failed scans: start index → close index, or -1 for cut off. */
  readonly #known = new Map<number, number>();

  constructor(text: string) {
    this.#text = text;
  }

  closeOf(start: number): number {
    const known = this.#known.get(start);
    if (known !== undefined) return known;
    const text = this.#text;
    const starts: { readonly index: number; readonly depth: number }[] = [];
    // Kept only if this scan fails: after a success the caller moves past all of them.
    const closed: [number, number][] = [];
    let depth = 0;
    for (let i = start; i < text.length; i++) {
      const c = text[i];
      if (c === '"') {
        const end = stringEnd(text, i);
        if (end < 0) break;
        i = end;
      } else if (c === '{' || c === '[') {
        if (i !== start && mayStartValue(text, i)) starts.push({ index: i, depth });
        depth++;
      } else if (c === '}' || c === ']') {
        depth--;
        if (depth === 0) return i;
        for (let top = starts.at(-1); top !== undefined && top.depth === depth; top = starts.at(-1)) {
          closed.push([top.index, i]);
          starts.pop();
        }
      }
    }
    this.#rememberFailure(closed, starts);
    return -1;
  }

  // The values that closed inside a cut-off one keep their closes; those still open are cut too.
  #rememberFailure(closed: readonly [number, number][], open: readonly { readonly index: number }[]): void {
    for (const [index, end] of closed) this.#known.set(index, end);
    for (const s of open) this.#known.set(s.index, -1);
  }
}

/**
 * The index of the quote closing the string that opens at `open`, or -1 when a raw newline (which
 * JSON strings cannot hold) or the end of the text comes first: the value is cut off there.
 */
function stringEnd(text: string, open: number): number {
  for (let i = open + 1; i < text.length; i++) {
    const c = text[i];
    if (c === '\\') i++;
    else if (c === '"') return i;
    else if (c === '\n') return -1;
  }
  return -1;
}

// True when only blanks separate `index` from a line start or from a closing bracket.
function mayStartValue(text: string, index: number): boolean {
  let j = index - 1;
  while (j >= 0 && (text[j] === ' ' || text[j] === '\t' || text[j] === '\r')) j--;
  return j < 0 || text[j] === '\n' || text[j] === '}' || text[j] === ']';
}
