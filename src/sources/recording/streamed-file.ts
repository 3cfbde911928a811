import { join } from 'node:path';
import type { IngestRecord, ObjectRecord, RecordOrigin } from '../../model/records.js';
import { parseOne, parses } from '../json-values.js';
import { LineReader } from './line-reader.js';
import { estimateWriteTimeMs } from './object-time.js';
import { type OrderKey, type RankedRecord, compareOrderKeys, orderKeyOf } from './record-order.js';
import { type ValueReader, receiveTimeMs, valueReaderFor, watchValue } from './recording-values.js';
import { ReorderWindow } from './reorder-window.js';
import { scanWatchLineKey } from './watch-line-key.js';

/** A line of a streamed file that could not be used (the file is the stream's). */
export interface LineProblem {
  readonly line: number;
  readonly reason: string;
}

/** Why a file is read whole instead of streamed (see StreamedFile.open). */
export type WholeFileReason = 'pretty-printed' | 'starts without ts';

/**
 * A record read ahead. A watch line of one object (not an Event) is held as its line and an
 * ordering record (kind, resourceVersion, time, type) read from the line's text (`unparsed`), and
 * parsed, checked and redacted once, when it is next in order (settled): full objects (~7 KB each)
 * lived in the window long enough to reach V8's old generation, so every record became old
 * garbage; a line is one flat string. Other lines are parsed when read and held whole.
 */
interface Held extends RankedRecord {
  readonly line: number;
  readonly unparsed: boolean;
}

/** The records of one source, least first: what the merge takes from. */
export interface RecordSource {
  peek(): RankedRecord | undefined;
  /** The order key of peek()'s record (orderKeyOf), kept so the merge does not compute it per comparison. */
  peekKey(): OrderKey | undefined;
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
  readonly #window: ReorderWindow<Held>;
  readonly #read: ValueReader;
  /** Watch lines, which may be held by the key read from their text (not audit.log). */
  readonly #keyed: boolean;
  readonly #count: ((chars: number) => void) | undefined;
  #floorMs = -Infinity;
  #estimated = 0;
  /**
   * The parsed record of the held line #settledFor (the head when it was settled). Kept here, not
   * written on the held entry: that entry has lived long enough to be in V8's old generation, and
   * a young object it points to survives every young-generation GC until a full one — the whole
   * parsed object became old garbage (GC time doubled when streaming the bench's 200 × 4 cluster).
   */
  #settledFor: Held | undefined;
  #settled: IngestRecord | undefined;

  private constructor(file: string, lines: LineReader, windowRecords: number, count?: (chars: number) => void) {
    this.file = file;
    this.#lines = lines;
    this.#window = new ReorderWindow<Held>(windowRecords);
    this.#read = valueReaderFor(file);
    this.#keyed = this.#read === watchValue;
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
    if (verdict !== undefined) await lines.close();
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

  peekKey(): OrderKey | undefined {
    return this.#window.peekKey();
  }

  take(): RankedRecord | undefined {
    // ready() settled the head; this only matters for a caller that did not call it.
    while (!this.#settleHead());
    const held = this.#window.take();
    const record = held !== undefined && this.#settledFor === held ? this.#settled : undefined;
    this.#settledFor = this.#settled = undefined;
    return record === undefined ? held : { record, raw: held?.raw ?? '' };
  }

  ready(): Promise<void> | undefined {
    return this.#advance() ? this.#refill() : undefined;
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
    while (this.#advance());
  }

  /** Tops the window up and settles its head; true when that needs the next chunk first. */
  #advance(): boolean {
    for (;;) {
      if (this.#topUp()) return true;
      if (this.#settleHead()) return false;
    }
  }

  /**
   * Parses the head when it is held by its key. False when that took it out of its place: its line
   * was rejected (a problem counted), or it has another key than its text was read to have (it is
   * pushed again by that key).
   */
  #settleHead(): boolean {
    const head = this.#window.peek();
    const key = this.#window.peekKey();
    if (head === undefined || key === undefined || !head.unparsed || this.#settledFor === head) return true;
    const record = this.#parsed(head.raw, head.line);
    if (record !== undefined && compareOrderKeys(orderKeyOf({ record, raw: head.raw }), key) === 0) {
      this.#settledFor = head;
      this.#settled = record;
      return true;
    }
    this.#window.discard();
    if (record !== undefined) this.#window.push({ record, raw: head.raw, line: head.line, unparsed: false });
    return false;
  }

  // The one record of a line held by its key, checked and redacted; undefined (counted) when rejected.
  #parsed(raw: string, at: number): IngestRecord | undefined {
    const records = this.#records(raw, at);
    return records?.length === 1 ? records[0] : undefined;
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
    const keyed = this.#keyed ? keyRecord(raw, { file: this.file, line: at }) : undefined;
    if (keyed !== undefined) {
      this.#window.push({ record: keyed, raw, line: at, unparsed: true });
      return;
    }
    for (const record of this.#records(raw, at) ?? []) this.#window.push({ record, raw, line: at, unparsed: false });
  }

  /** The line's records, timed and redacted, its problems counted; undefined when it is no JSON. */
  #records(raw: string, at: number): IngestRecord[] | undefined {
    const v = parseOne(raw, at);
    if (!v.ok) {
      this.problems.push({ line: at, reason: v.reason });
      return undefined;
    }
    const got = this.#read(v.value, { file: this.file, line: at });
    for (const reason of got.problems) this.problems.push({ line: at, reason });
    return got.records.map((r) => this.#timed(r));
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

/**
 * What compareRecords reads of a watch line's object record — its time, type, kind and
 * resourceVersion, not the object — read from the line's text (scanWatchLineKey); undefined for
 * a line that must be parsed to be ordered (an Event, a time without ts, or not a plain watch line).
 */
function keyRecord(raw: string, origin: RecordOrigin): ObjectRecord | undefined {
  const key = scanWatchLineKey(raw);
  if (key === undefined || key.kind === '' || key.kind === 'Event') return undefined;
  const type = key.type;
  if (type !== 'ADDED' && type !== 'MODIFIED' && type !== 'DELETED') return undefined;
  const timeMs = receiveTimeMs(key.ts, Date.now());
  if (typeof timeMs !== 'number') return undefined;
  const object = { kind: key.kind, metadata: { resourceVersion: key.rv ?? null } };
  return { source: 'object', type, object, timeMs, timeEstimated: false, origin };
}
