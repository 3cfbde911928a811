import { join } from 'node:path';
import type { IngestRecord } from '../../model/records.js';
import { ArraySource, mergeRecords } from './merge-records.js';
import {
  type RecordingListing,
  type RecordingProblem,
  RecordingError,
  SPANS_FILE,
  byteCounter,
  errMessage,
  listRecording,
  readFilesInMemory,
  readLines,
} from './read-recording.js';
import type { RecordSource, WholeFileReason } from './streamed-file.js';
import { StreamedFile } from './streamed-file.js';

/**
 * Records of one file read ahead at most (its reorder window). A file out of processing order by
 * fewer records than this comes out exactly as a full sort would give it; a record later than
 * that is processed when it is read and counted (RecordingSummary.lateRecords). A window holds
 * a watch line as its text (~2 KB; parsed when next in order) and other records parsed: 4,096
 * records ≈ 10 MB per file. The
 * bench's generated cluster (Deployments written one after another, 20 alive at a time) needs
 * between 1,024 (6,743 records late of 61,800) and 2,048 (none late); a recorder's own file is
 * out of order by a handful of records.
 */
export const DEFAULT_WINDOW_RECORDS = 4_096;

export interface StreamRecordingOptions {
  /** Progress: characters read so far and the files' total size (the CLI's progress line). */
  readonly onBytes?: (done: number, total: number) => void;
  /** Each file's reorder window, in records; default DEFAULT_WINDOW_RECORDS. */
  readonly windowRecords?: number;
}

/** What a streamed read found, complete once its records have all been taken. */
export interface RecordingSummary extends Omit<RecordingListing, 'usable' | 'hasSpans'> {
  /** How many records were handed on; the records themselves are not kept. */
  readonly records: { readonly length: number };
  readonly problems: readonly RecordingProblem[];
  /** Records that came more than their file's reorder window late, processed out of order. */
  readonly lateRecords: number;
  /** Objects without `ts` in a time-stamped file, timed by their own timestamps in file order. */
  readonly estimatedInStream: number;
  /** Files read whole instead of streamed, with why. */
  readonly wholeFiles: readonly { readonly file: string; readonly reason: WholeFileReason }[];
}

/** A recording opened for streaming. */
export interface RecordingStream {
  /** Lines of `spans.jsonl` (read whole: the stitch stage orders its requests by end time). */
  readonly spanLines: readonly string[];
  /** The records in processing order, in batches; once only. Rejects with RecordingError on I/O errors. */
  readonly batches: AsyncGenerator<IngestRecord[]>;
  summary(): RecordingSummary;
}

/**
 * Opens a recording directory (DESIGN §2) for a streamed replay: every JSON-lines file is read
 * incrementally and the files are merged in processing order (compareRecords), so memory follows
 * the reorder windows, not the recording's size. Files that must be read whole (kubectl's
 * pretty-printed output, snapshots without `ts`) are read whole together, timed as readRecording
 * times them, and merged in. For a recording whose files are each in order within their windows,
 * the records are exactly readRecording's. Throws RecordingError when the directory is unusable.
 */
export async function openRecording(dir: string, options: StreamRecordingOptions = {}): Promise<RecordingStream> {
  const listing = await listRecording(dir);
  const spanLines = listing.hasSpans ? await readLines(join(dir, SPANS_FILE)) : [];
  const count = options.onBytes && (await byteCounter(dir, listing.usable, options.onBytes));
  const windowRecords = options.windowRecords ?? DEFAULT_WINDOW_RECORDS;
  const streamed: StreamedFile[] = [];
  const wholeFiles: { file: string; reason: WholeFileReason }[] = [];
  for (const file of listing.usable) {
    const opened = await guarded(file, dir, () => StreamedFile.open(dir, file, windowRecords, count));
    if (typeof opened === 'string') wholeFiles.push({ file, reason: opened });
    else streamed.push(opened);
  }
  const wholeProblems: RecordingProblem[] = [];
  const whole = wholeFiles.map((w) => w.file);
  const sources: RecordSource[] = [...streamed];
  if (whole.length > 0) sources.unshift(new ArraySource(await readFilesInMemory(dir, whole, wholeProblems, count)));
  let taken = 0;
  async function* batches(): AsyncGenerator<IngestRecord[]> {
    try {
      for await (const batch of mergeRecords(sources)) {
        taken += batch.length;
        yield batch;
      }
    } catch (err: unknown) {
      throw err instanceof RecordingError ? err : new RecordingError(`cannot read ${dir}: ${errMessage(err)}`);
    }
  }
  const summary = (): RecordingSummary => ({
    records: { length: taken },
    problems: problemsInFileOrder(listing.usable, wholeProblems, streamed),
    skippedFiles: listing.skippedFiles,
    filesRead: listing.filesRead,
    lateRecords: streamed.reduce((n, s) => n + s.lateRecords, 0),
    estimatedInStream: streamed.reduce((n, s) => n + s.estimatedRecords, 0),
    wholeFiles,
  });
  return { spanLines, batches: batches(), summary };
}

async function guarded<T>(file: string, dir: string, open: () => Promise<T>): Promise<T> {
  try {
    return await open();
  } catch (err: unknown) {
    throw new RecordingError(`cannot read ${join(dir, file)}: ${errMessage(err)}`);
  }
}

// As readRecording lists them: file by file in reading order, each file's by line.
function problemsInFileOrder(
  files: readonly string[],
  whole: readonly RecordingProblem[],
  streamed: readonly StreamedFile[],
): RecordingProblem[] {
  const out: RecordingProblem[] = [];
  for (const file of files) {
    for (const p of whole) if (p.file === file) out.push(p);
    // A line held by its key is checked when it is next in order: its problems come in that order.
    const own = streamed.filter((s) => s.file === file).flatMap((s) => s.problems);
    for (const p of own.sort((a, b) => a.line - b.line)) out.push({ file, ...p });
  }
  return out;
}
