import { isAscii } from 'node:buffer';
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';

/** Bytes read at a time: the buffer a streamed recording file holds besides its reorder window. */
export const LINE_CHUNK_BYTES = 1 << 20;

const NEWLINE = 0x0a;
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/**
 * The UTF-8 text of `bytes` [start, end). Bytes that are all ASCII (recordings, audit logs and
 * watch lines nearly always are) are the same characters read as Latin-1, which V8 copies as they
 * are; its UTF-8 decoder took ~10× as long on a whole file (90 MB of audit log: 260–400 ms against
 * 16–36 ms, isAscii's scan included). Lines of a few KB (LineReader) decode fast either way.
 */
export function utf8Text(bytes: Buffer, start = 0, end = bytes.length): string {
  return isAscii(bytes.subarray(start, end))
    ? bytes.toString('latin1', start, end)
    : bytes.toString('utf8', start, end);
}

/**
 * Reads a UTF-8 text file line by line through one reused buffer (one chunk, grown only for a line
 * longer than it), never holding the whole file. Each line is decoded on its own, so a line kept
 * by the caller does not pin the chunk it came from (a sliced string would), and no buffer is
 * allocated per read. Lines are handed out synchronously while the chunk lasts (next), so a caller
 * awaits only once per chunk (fill). Line numbers are 1-based, as `text.split('\n')` of the whole
 * file would number them; a leading byte-order mark is dropped.
 */
export class LineReader {
  readonly #path: string;
  #file: FileHandle | undefined;
  #buf: Buffer;
  /** Bytes [#at, #end) of #buf are read and not handed out yet. */
  #at = 0;
  #end = 0;
  #eof = false;
  #started = false;
  #lineNumber = 0;

  constructor(path: string, chunkBytes = LINE_CHUNK_BYTES) {
    this.#path = path;
    this.#buf = Buffer.allocUnsafe(Math.max(16, chunkBytes));
  }

  /** The 1-based number of the line next() returned last. */
  get lineNumber(): number {
    return this.#lineNumber;
  }

  /** True once every line has been handed out. */
  get done(): boolean {
    return this.#eof && this.#at >= this.#end;
  }

  /** The next line (without its newline), or undefined when the buffer is used up: fill(), unless done. */
  next(): string | undefined {
    if (this.#at >= this.#end) return undefined;
    const nl = this.#buf.indexOf(NEWLINE, this.#at);
    if (nl < 0 || nl >= this.#end) {
      if (!this.#eof) return undefined;
      // The last line, without a newline after it.
      return this.#take(this.#end, this.#end);
    }
    return this.#take(nl, nl + 1);
  }

  /** Reads the next chunk after what is left of the current one. Rejects on I/O errors. */
  async fill(): Promise<void> {
    if (this.#eof) return;
    this.#file ??= await open(this.#path, 'r');
    this.#compact();
    const { bytesRead } = await this.#file.read(this.#buf, this.#end, this.#buf.length - this.#end, null);
    this.#end += bytesRead;
    if (!this.#started) {
      this.#started = true;
      if (this.#end >= 3 && this.#buf.subarray(0, 3).equals(BOM)) this.#at = 3;
    }
    if (bytesRead === 0) {
      this.#eof = true;
      await this.close();
    }
  }

  /** Closes the file (early, when it is abandoned; fill closes it at its end). Idempotent. */
  async close(): Promise<void> {
    const file = this.#file;
    this.#file = undefined;
    await file?.close();
  }

  #take(endOfLine: number, next: number): string {
    const line = this.#buf.toString('utf8', this.#at, endOfLine);
    this.#at = next;
    this.#lineNumber++;
    return line;
  }

  // Moves the unfinished line to the front; doubles the buffer when that line fills it.
  #compact(): void {
    const rest = this.#end - this.#at;
    if (rest === this.#buf.length) {
      const bigger = Buffer.allocUnsafe(this.#buf.length * 2);
      this.#buf.copy(bigger, 0, this.#at, this.#end);
      this.#buf = bigger;
    } else if (this.#at > 0) {
      this.#buf.copy(this.#buf, 0, this.#at, this.#end);
    }
    this.#at = 0;
    this.#end = rest;
  }
}
