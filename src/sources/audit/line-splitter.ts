/** A complete line of a followed file, or a line skipped because it was too long. */
export type SplitItem =
  | { readonly kind: 'line'; readonly text: string; readonly startOffset: number; readonly endOffset: number }
  | { readonly kind: 'too-long'; readonly startOffset: number; readonly endOffset: number };

const NEWLINE = 0x0a;

/**
 * Cuts a byte stream (read from a file in order) into newline-terminated lines, keeping the
 * unterminated rest until its newline arrives. A line longer than `maxLineBytes` is not buffered:
 * it is dropped and reported as `too-long` once its newline shows up. Offsets are file byte
 * offsets; `settledOffset` is where the first byte not yet part of a complete line sits — the
 * position a checkpoint may record. Never throws.
 */
export class LineSplitter {
  readonly #maxLineBytes: number;
  #parts: Buffer[] = [];
  #partBytes = 0;
  #settledOffset = 0;
  #skip: 'no' | 'resume' | 'too-long' = 'no';

  constructor(maxLineBytes: number) {
    this.#maxLineBytes = maxLineBytes;
  }

  /** Where the next `push` continues; `skipFirstLine` drops bytes up to the next newline unreported. */
  reset(offset: number, skipFirstLine = false): void {
    this.#parts = [];
    this.#partBytes = 0;
    this.#settledOffset = offset;
    this.#skip = skipFirstLine ? 'resume' : 'no';
  }

  get settledOffset(): number {
    return this.#settledOffset;
  }

  /** Bytes held for an unterminated line. */
  get pendingBytes(): number {
    return this.#partBytes;
  }

  push(chunk: Buffer): SplitItem[] {
    const items: SplitItem[] = [];
    let from = 0;
    for (let nl = chunk.indexOf(NEWLINE, from); nl >= 0; nl = chunk.indexOf(NEWLINE, from)) {
      const item = this.#finishLine(chunk.subarray(from, nl));
      if (item !== undefined) items.push(item);
      from = nl + 1;
    }
    this.#hold(chunk.subarray(from));
    return items;
  }

  /** Takes the unterminated rest (a file that ended without a newline), or `undefined`. */
  takeRest(): { readonly text: string; readonly startOffset: number } | undefined {
    if (this.#skip !== 'no' || this.#partBytes === 0) return undefined;
    const text = Buffer.concat(this.#parts, this.#partBytes).toString('utf8');
    const startOffset = this.#settledOffset;
    this.reset(startOffset + this.#partBytes);
    return { text, startOffset };
  }

  #finishLine(tail: Buffer): SplitItem | undefined {
    const startOffset = this.#settledOffset;
    const endOffset = startOffset + this.#partBytes + tail.length + 1;
    const skipped = this.#skip;
    let text = '';
    if (skipped === 'no') {
      this.#parts.push(tail);
      text = Buffer.concat(this.#parts).toString('utf8');
    }
    this.#parts = [];
    this.#partBytes = 0;
    this.#settledOffset = endOffset;
    this.#skip = 'no';
    if (skipped === 'resume') return undefined;
    if (skipped === 'too-long' || endOffset - startOffset - 1 > this.#maxLineBytes) {
      return { kind: 'too-long', startOffset, endOffset };
    }
    return { kind: 'line', text: text.endsWith('\r') ? text.slice(0, -1) : text, startOffset, endOffset };
  }

  #hold(rest: Buffer): void {
    if (rest.length === 0) return;
    this.#partBytes += rest.length;
    if (this.#skip !== 'no') return;
    if (this.#partBytes > this.#maxLineBytes) {
      this.#parts = [];
      this.#skip = 'too-long';
      return;
    }
    // Copy: the caller reuses its read buffer.
    this.#parts.push(Buffer.from(rest));
  }
}
