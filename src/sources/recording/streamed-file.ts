import { join } from 'node:path';
import { isObject } from '../../model/kube-json.js';
import type { IngestRecord, ObjectRecord } from '../../model/records.js';
import { parseOne, parses } from '../json-values.js';
import { redactObject } from '../redact.js';
import { LineReader } from './line-reader.js';
import { estimateWriteTimeMs } from './object-time.js';
import type { OrderKey, RankedRecord } from './record-order.js';
import { type ValueReader, redactedRecord, valueReaderFor } from './recording-values.js';
import { ReorderWindow } from './reorder-window.js';

/** A line of a streamed file that could not be used (the file is the stream's). */
export interface LineProblem {
  readonly line: number;
  readonly reason: string;
}

/** Why a file is read whole instead of streamed (see StreamedFile.open). */
export type WholeFileReason = 'pretty-printed' | 'starts without ts';

/**
 * A record read ahead. The object record of a watch-event line is held as its ordering key
 * (`keyOnly`: kind, resourceVersion, time, type) and the line, and parsed again when taken: full
 * objects (~7 KB each) lived in the window long enough to reach V8's old generation, so every
 * record became old garbage; a line is one flat string. Replaying 200 Deployments through synth:
 * 9.6 → 8.2 s CPU, 343 → 270 MB peak RSS, for a second JSON.parse of each object line.
 */
interface Held extends RankedRecord {
  readonly line: number;
  readonly keyOnly: boolean;
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
  readonly #count: ((chars: number) => void) | undefined;
  #floorMs = -Infinity;
  #estimated = 0;

  private constructor(file: string, lines: LineReader, windowRecords: number, count?: (chars: number) => void) {
    this.file = file;
    this.#lines = lines;
    this.#window = new ReorderWindow<Held>(windowRecords);
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
    const held = this.#window.take();
    if (held === undefined || !held.keyOnly) return held;
    return { record: this.#parsedAgain(held), raw: held.raw };
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
    // Unredacted: a key-only record's object is dropped here, and redacted when parsed again.
    const got = this.#read(v.value, { file: this.file, line: at }, { redact: false });
    for (const reason of got.problems) this.problems.push({ line: at, reason });
    // Watch events of one object only: their object is all that parsing again must give back.
    const keyOnly = got.records.length === 1 && isObject(v.value) && isObject(v.value['object']);
    for (const record of got.records) {
      // An estimated time is read from the redacted object (without managedFields), as readRecording does.
      const held = keyOnly && record.source === 'object' && !record.timeEstimated ? record : redactedRecord(record);
      const timed = this.#timed(held);
      if (keyOnly && timed.source === 'object')
        this.#window.push({ record: orderingKey(timed), raw, line: at, keyOnly });
      else this.#window.push({ record: timed, raw, line: at, keyOnly: false });
    }
  }

  // The line was checked when read; parsed again, it gives the same object, redacted the same way.
  #parsedAgain(held: Held): IngestRecord {
    const v = parseOne(held.raw, held.line);
    const object = v.ok && isObject(v.value) ? v.value['object'] : undefined;
    if (held.record.source !== 'object' || !isObject(object)) return held.record;
    return { ...held.record, object: redactObject(object) };
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

/** What compareRecords reads of an object record: its kind and resourceVersion, not the object. */
function orderingKey(record: ObjectRecord): ObjectRecord {
  const object = record.object;
  const metadata = object['metadata'];
  const rv = isObject(metadata) ? metadata['resourceVersion'] : undefined;
  return { ...record, object: { kind: object['kind'] ?? null, metadata: { resourceVersion: rv ?? null } } };
}
