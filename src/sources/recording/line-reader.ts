import { createReadStream } from 'node:fs';
import type { ReadStream } from 'node:fs';

/** Bytes read at a time: the buffer a streamed recording file holds besides its reorder window. */
export const LINE_CHUNK_BYTES = 1 << 20;

/**
 * Reads a UTF-8 text file line by line through a bounded buffer (one chunk plus the line being
 * completed), never holding the whole file. Lines are handed out synchronously while the buffered
 * chunk lasts (next), so a caller awaits only once per chunk (fill). Line numbers are 1-based, as
 * `text.split('\n')` of the whole file would number them; a leading byte-order mark is dropped.
 */
export class LineReader {
  readonly #stream: ReadStream;
  readonly #chunks: AsyncIterator<unknown>;
  #lines: string[] = [];
  #at = 0;
  #rest = '';
  #eof = false;
  #started = false;
  #lineNumber = 0;

  constructor(path: string, chunkBytes = LINE_CHUNK_BYTES) {
    this.#stream = createReadStream(path, { encoding: 'utf8', highWaterMark: chunkBytes });
    this.#chunks = this.#stream[Symbol.asyncIterator]();
  }

  /** The 1-based number of the line next() returned last. */
  get lineNumber(): number {
    return this.#lineNumber;
  }

  /** True once every line has been handed out. */
  get done(): boolean {
    return this.#eof && this.#at >= this.#lines.length;
  }

  /** The next line (without its newline), or undefined when the buffer is used up: fill(), unless done. */
  next(): string | undefined {
    if (this.#at >= this.#lines.length) return undefined;
    this.#lineNumber++;
    return this.#lines[this.#at++];
  }

  /** Reads the next chunk into the buffer (the rest of the current one is kept). Rejects on I/O errors. */
  async fill(): Promise<void> {
    if (this.#eof) return;
    const got = await this.#chunks.next();
    const pending = this.#lines.slice(this.#at);
    if (got.done === true) {
      this.#eof = true;
      pending.push(this.#rest);
      this.#rest = '';
    } else {
      let text = this.#rest + String(got.value);
      if (!this.#started && text.startsWith('\uFEFF')) text = text.slice(1);
      this.#started = true;
      const lines = text.split('\n');
      this.#rest = lines.pop() ?? '';
      for (const l of lines) pending.push(l);
    }
    this.#lines = pending;
    this.#at = 0;
  }

  /** Stops reading early (the file is abandoned). Idempotent. */
  close(): void {
    this.#stream.destroy();
  }
}
