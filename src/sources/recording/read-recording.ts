import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { IngestRecord } from '../../model/records.js';
import { splitJsonValues } from '../json-values.js';
import { utf8Text } from './line-reader.js';
import type { JsonValueResult } from '../json-values.js';
import { estimateWriteTimeMs, numericResourceVersion } from './object-time.js';
import { type RankedRecord, compareOrderKeys, orderKeyOf } from './record-order.js';
import { type ValueReader, valueReaderFor } from './recording-values.js';

export { watchValueToRecords } from './recording-values.js';

/** A line that could not be used, reported as `file:line: reason`. */
export interface RecordingProblem {
  readonly file: string;
  readonly line: number;
  readonly reason: string;
}

export interface RecordingContents {
  /** Records in processing order (see compareRecords). */
  readonly records: readonly IngestRecord[];
  readonly problems: readonly RecordingProblem[];
  /** Files present but not (yet) used, with why. */
  readonly skippedFiles: readonly { readonly file: string; readonly reason: string }[];
  readonly filesRead: readonly string[];
  /** Lines of `spans.jsonl` (OTLP/JSON, real component spans) for the stitch stage; [] if absent. */
  readonly spanLines: readonly string[];
}

/** The recording directory itself is unusable: missing, unreadable, or holding no known file. */
export class RecordingError extends Error {
  override readonly name = 'RecordingError';
}

const OBJECT_FILES = ['watch.jsonl', 'events.jsonl', 'audit.log'] as const;
export const SPANS_FILE = 'spans.jsonl';
// Files this version recognizes but does not use (none at the moment).
const LATER_FILES: Readonly<Record<string, string>> = {};

/**
 * Reads a recording directory (DESIGN §2) into records sorted in processing order. Malformed
 * lines are collected as problems and skipped. Throws RecordingError when the directory cannot be
 * read or contains none of the known files; never throws for bad content.
 */
export interface ReadRecordingOptions {
  /** Progress while parsing: characters parsed so far and the files' total size (the CLI's line). */
  readonly onBytes?: (done: number, total: number) => void;
}

export async function readRecording(dir: string, options: ReadRecordingOptions = {}): Promise<RecordingContents> {
  const listing = await listRecording(dir);
  const { usable, skippedFiles, filesRead } = listing;
  const spanLines = listing.hasSpans ? await readLines(join(dir, SPANS_FILE)) : [];
  const problems: RecordingProblem[] = [];
  const progress = options.onBytes && (await byteCounter(dir, usable, options.onBytes));
  const ranked = await readFilesInMemory(dir, usable, problems, progress);
  return { records: ranked.map((r) => r.record), problems, skippedFiles, filesRead, spanLines };
}

/** The files of a recording directory that this version reads. */
export interface RecordingListing {
  /** The watch/Event/audit files present, in reading order. */
  readonly usable: readonly string[];
  readonly hasSpans: boolean;
  readonly skippedFiles: readonly { readonly file: string; readonly reason: string }[];
  readonly filesRead: readonly string[];
}

/**
 * Lists a recording directory. Throws RecordingError when it cannot be read or holds none of the
 * known files (and no file this version knows but skips).
 */
export async function listRecording(dir: string): Promise<RecordingListing> {
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch (err: unknown) {
    throw new RecordingError(`cannot read recording directory ${dir}: ${errMessage(err)}`);
  }
  const skippedFiles = entries
    .filter((f) => LATER_FILES[f] !== undefined)
    .map((file) => ({ file, reason: LATER_FILES[file] ?? '' }));
  const usable = OBJECT_FILES.filter((f) => entries.includes(f));
  const hasSpans = entries.includes(SPANS_FILE);
  if (usable.length === 0 && !hasSpans && skippedFiles.length === 0) {
    const known = [...OBJECT_FILES, SPANS_FILE].join(', ');
    throw new RecordingError(`recording directory ${dir} holds none of: ${known}`);
  }
  return { usable, hasSpans, skippedFiles, filesRead: hasSpans ? [...usable, SPANS_FILE] : [...usable] };
}

/**
 * Reads whole files into records in processing order: ts-less objects timed together (see
 * assignEstimatedTimes), then sorted. Problems are appended to `problems`. Throws RecordingError
 * when a file cannot be read.
 */
export async function readFilesInMemory(
  dir: string,
  files: readonly string[],
  problems: RecordingProblem[],
  count: Counter,
): Promise<RankedRecord[]> {
  const ranked: RankedRecord[] = [];
  for (const file of files) {
    let bytes: Buffer;
    try {
      bytes = await readFile(join(dir, file));
    } catch (err: unknown) {
      throw new RecordingError(`cannot read ${join(dir, file)}: ${errMessage(err)}`);
    }
    parseFile(file, bytes, ranked, problems, count, valueReaderFor(file));
  }
  assignEstimatedTimes(ranked);
  // Keys computed once per record, not per comparison.
  const keyed = ranked.map((r) => ({ r, key: orderKeyOf(r) }));
  keyed.sort((a, b) => compareOrderKeys(a.key, b.key));
  return keyed.map((k) => k.r);
}

/** Progress: called with the characters just parsed. */
export type Counter = ((chars: number) => void) | undefined;

// Sizes from stat up front (the parse reports as it goes); characters stand in for bytes.
export async function byteCounter(
  dir: string,
  files: readonly string[],
  report: (d: number, t: number) => void,
): Promise<Counter> {
  let total = 0;
  for (const f of files)
    total += await stat(join(dir, f)).then(
      (st) => st.size,
      () => 0,
    );
  let done = 0;
  return (chars) => report(Math.min((done += chars), total), total);
}

/** The file's JSON values, each counted (with its newline) as parsed. */
function* counted(bytes: Buffer, count: Counter): Generator<JsonValueResult> {
  for (const v of splitJsonValues(utf8Text(bytes))) {
    if (count !== undefined && v.ok) count(v.raw.length + 1);
    yield v;
  }
}

export async function readLines(path: string): Promise<string[]> {
  try {
    return (await readFile(path, 'utf8')).split('\n');
  } catch (err: unknown) {
    throw new RecordingError(`cannot read ${path}: ${errMessage(err)}`);
  }
}

function parseFile(
  file: string,
  bytes: Buffer,
  out: RankedRecord[],
  problems: RecordingProblem[],
  count: Counter,
  read: ValueReader,
): void {
  for (const v of counted(bytes, count)) {
    if (!v.ok) {
      problems.push({ file, line: v.line, reason: v.reason });
      continue;
    }
    const got = read(v.value, { file, line: v.line });
    for (const reason of got.problems) problems.push({ file, line: v.line, reason });
    for (const record of got.records) out.push({ record, raw: v.raw });
  }
}

/**
 * Gives ts-less object records a time: in resourceVersion order (the etcd write order), the
 * object's own latest timestamp, never earlier than the record before it.
 */
function assignEstimatedTimes(ranked: RankedRecord[]): void {
  const pending = ranked
    .map((r, index) => ({ r, index }))
    .filter(({ r }) => r.record.source === 'object' && r.record.timeEstimated);
  pending.sort(
    (a, b) =>
      rvOrInf(a.r.record) - rvOrInf(b.r.record) ||
      (estimate(a.r.record) ?? 0) - (estimate(b.r.record) ?? 0) ||
      (a.r.raw < b.r.raw ? -1 : a.r.raw > b.r.raw ? 1 : 0),
  );
  let floor = -Infinity;
  for (const { r, index } of pending) {
    const t = Math.max(estimate(r.record) ?? floor, floor);
    floor = t;
    ranked[index] = { record: { ...r.record, timeMs: t }, raw: r.raw };
  }
}

function estimate(r: IngestRecord): number | undefined {
  return r.source === 'object' ? estimateWriteTimeMs(r.object) : r.timeMs;
}

function rvOrInf(r: IngestRecord): number {
  return r.source === 'object' ? (numericResourceVersion(r.object) ?? Number.MAX_SAFE_INTEGER) : 0;
}

export function errMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
