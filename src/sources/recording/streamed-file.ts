import { join } from 'node:path';
import type { IngestRecord } from '../../model/records.js';
import { parseOne, parses } from '../json-values.js';
import { LineReader } from './line-reader.js';
import { estimateWriteTimeMs } from './object-time.js';
import type { RankedRecord } from './record-order.js';
import { type ValueReader, valueReaderFor } from './recording-values.js';
import { ReorderWindow } from './reorder-window.js';

/** A line of a streamed file that could not be used (the file is the stream's). */
export interface LineProblem {
  readonly line: number;
  readonly reason: string;
}

/** Why a file is read whole instead of streamed (see StreamedFile.open). */
export type WholeFileReason = 'pretty-printed' | 'starts without ts';

/** The records of one source, least first: what the merge takes from. */
export interface RecordSource {
  peek(): RankedRecord | undefined;
  take(): RankedRecord | undefined;
  /** Reads ahead until the source's head is final; a promise when that needs I/O. Rejects on I/O errors. */
  ready(): Promise<void> | undefined;
}

/**
 * One JSON-lines file of a recording, read incrementally: lines are parsed as they are read into
 * a reorder window of `windowRecords`, whose least record is the head (the file's next record in
 * processing order). Memory is the window plus one read chunk, whatever the file's size.
 */
export class StreamedFile implements RecordSource {
  readonly file: string;
  readonly problems: LineProblem[] = [];
  readonly #lines: LineReader;
  readonly #window: ReorderWindow;
  readonly #read: ValueReader;
  readonly #count: ((chars: number) => void) | undefined;
  #floorMs = -Infinity;
  #estimated = 0;

  private constructor(file: string, lines: LineReader, windowRecords: number, count?: (chars: number) => void) {
    this.file = file;
    this.#lines = lines;
    this.#window = new ReorderWindow(windowRecords);
    this.#read = valueReaderFor(file);
    this.#count = count;
  }

  /**
   * Opens `dir/file` for streaming, or tells why it must be read whole: its first non-empty line
   * is not a JSON value (kubectl's pretty-printed output, which splitJsonValues scans as a whole),
   * or its first record is an object without `ts` (a snapshot: such records are timed together
   * across files in resourceVersion order, which needs them all). Rejects on I/O errors.
   */
  static async open(
    dir: string,
    file: string,
    windowRecords: number,
    count?: (chars: number) => void,
  ): Promise<StreamedFile | WholeFileReason> {
    const lines = new LineReader(join(dir, file));
    const source = new StreamedFile(file, lines, windowRecords, count);
    const verdict = await source.#probe();
    if (verdict !== undefined) lines.close();
    return verdict ?? source;
  }

  /** Records that came out after one they sort after (more than the window late). */
  get lateRecords(): number {
    return this.#window.late;
  }

  /** Objects without `ts` met after the first record, timed by their own timestamps in file order. */
  get estimatedRecords(): number {
    return this.#estimated;
  }

  peek(): RankedRecord | undefined {
    return this.#window.peek();
  }

  take(): RankedRecord | undefined {
    return this.#window.take();
  }

  ready(): Promise<void> | undefined {
    return this.#topUp() ? this.#refill() : undefined;
  }

  async #probe(): Promise<WholeFileReason | undefined> {
    let first: string | undefined;
    while (first === undefined && !this.#lines.done) {
      const line = this.#lines.next();
      if (line === undefined) await this.#lines.fill();
      else if (line.trim() !== '') first = line;
    }
    if (first === undefined) return undefined;
    if (!parses(first)) return 'pretty-printed';
    this.#feed(first);
    while (this.#window.size === 0 && !this.#lines.done) {
      if (this.#topUp()) await this.#lines.fill();
    }
    const head = this.#window.peek()?.record;
    return head?.source === 'object' && head.timeEstimated ? 'starts without ts' : undefined;
  }

  async #refill(): Promise<void> {
    do await this.#lines.fill();
    while (this.#topUp());
  }

  /** Feeds buffered lines until the window is full; true when it needs the next chunk for that. */
  #topUp(): boolean {
    while (!this.#window.full) {
      const line = this.#lines.next();
      if (line === undefined) return !this.#lines.done;
      this.#feed(line);
    }
    return false;
  }

  #feed(line: string): void {
    this.#count?.(line.length + 1);
    const raw = line.trim();
    if (raw === '') return;
    const at = this.#lines.lineNumber;
    const v = parseOne(raw, at);
    if (!v.ok) {
      this.problems.push({ line: at, reason: v.reason });
      return;
    }
    const got = this.#read(v.value, { file: this.file, line: at });
    for (const reason of got.problems) this.problems.push({ line: at, reason });
    for (const record of got.records) this.#window.push({ record: this.#timed(record), raw });
  }

  // An object without ts inside a time-stamped file: its own latest timestamp, never before the
  // previous such object of this file (readRecording does the same in resourceVersion order).
  #timed(record: IngestRecord): IngestRecord {
    if (record.source !== 'object' || !record.timeEstimated) return record;
    this.#estimated++;
    this.#floorMs = Math.max(estimateWriteTimeMs(record.object) ?? this.#floorMs, this.#floorMs);
    return { ...record, timeMs: this.#floorMs };
  }
}
