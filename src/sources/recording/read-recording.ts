import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { arr, isObject, parseTimeMs, str } from '../../model/kube-json.js';
import type { JsonObject } from '../../model/kube-json.js';
import type { IngestRecord, RecordOrigin, WatchType } from '../../model/records.js';
import { expandAuditValue } from '../audit/managed-formats.js';
import { auditRecordOf } from '../audit/parse-audit.js';
import { normalizeEvent } from '../event-normalize.js';
import { INPUT_LIMITS, checkShape, checkTimes } from '../input-boundary.js';
import { splitJsonValues } from '../json-values.js';
import type { JsonValueResult } from '../json-values.js';
import { redactObject } from '../redact.js';
import { estimateWriteTimeMs, numericResourceVersion } from './object-time.js';
import { compareRecords, type RankedRecord } from './record-order.js';

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
const SPANS_FILE = 'spans.jsonl';
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
  const spanLines = entries.includes(SPANS_FILE) ? await readLines(join(dir, SPANS_FILE)) : [];
  if (usable.length === 0 && !entries.includes(SPANS_FILE)) {
    const known = [...OBJECT_FILES, SPANS_FILE].join(', ');
    if (skippedFiles.length > 0) return { records: [], problems: [], skippedFiles, filesRead: [], spanLines };
    throw new RecordingError(`recording directory ${dir} holds none of: ${known}`);
  }
  const problems: RecordingProblem[] = [];
  const ranked: RankedRecord[] = [];
  const progress = options.onBytes && (await byteCounter(dir, usable, options.onBytes));
  for (const file of usable) {
    let text: string;
    try {
      text = await readFile(join(dir, file), 'utf8');
    } catch (err: unknown) {
      throw new RecordingError(`cannot read ${join(dir, file)}: ${errMessage(err)}`);
    }
    parseFile(file, text, ranked, problems, progress, file === 'audit.log' ? auditValue : watchValue);
  }
  assignEstimatedTimes(ranked);
  ranked.sort(compareRecords);
  const filesRead = entries.includes(SPANS_FILE) ? [...usable, SPANS_FILE] : [...usable];
  return { records: ranked.map((r) => r.record), problems, skippedFiles, filesRead, spanLines };
}

type Counter = ((chars: number) => void) | undefined;

// Sizes from stat up front (the parse reports as it goes); characters stand in for bytes.
async function byteCounter(
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
function* counted(text: string, count: Counter): Generator<JsonValueResult> {
  for (const v of splitJsonValues(text)) {
    if (count !== undefined && v.ok) count(v.raw.length + 1);
    yield v;
  }
}

async function readLines(path: string): Promise<string[]> {
  try {
    return (await readFile(path, 'utf8')).split('\n');
  } catch (err: unknown) {
    throw new RecordingError(`cannot read ${path}: ${errMessage(err)}`);
  }
}

/** What one JSON value of a recording file gives: records, and reasons for what it could not. */
interface ValueRecords {
  readonly records: readonly IngestRecord[];
  readonly problems: readonly string[];
}

function watchValue(value: unknown, origin: RecordOrigin): ValueRecords {
  const result = watchValueToRecords(value, origin);
  return typeof result === 'string' ? { records: [], problems: [result] } : { records: result, problems: [] };
}

// One Event per line, an EventList (a saved webhook batch), or a managed cluster's export
// (GKE Cloud Logging, EKS CloudWatch, AKS diagnostic records), unwrapped into Events.
function auditValue(value: unknown, origin: RecordOrigin): ValueRecords {
  const expanded = expandAuditValue(value);
  const records: IngestRecord[] = [];
  const problems = [...expanded.problems];
  for (const item of expanded.events) {
    const record = auditRecordOf(item, origin);
    if (typeof record === 'string') problems.push(record);
    else records.push(record);
  }
  return { records, problems };
}

function parseFile(
  file: string,
  text: string,
  out: RankedRecord[],
  problems: RecordingProblem[],
  count: Counter,
  read: (value: unknown, origin: RecordOrigin) => ValueRecords,
): void {
  for (const v of counted(text, count)) {
    if (!v.ok) {
      problems.push({ file, line: v.line, reason: v.reason });
      continue;
    }
    const got = read(v.value, { file, line: v.line });
    for (const reason of got.problems) problems.push({ file, line: v.line, reason });
    for (const record of got.records) out.push({ record, raw: v.raw });
  }
}

const WATCH_TYPES: ReadonlySet<string> = new Set(['ADDED', 'MODIFIED', 'DELETED']);

/**
 * One JSON value → records: a watch event (`ts` = receive time), a bare object, or a List of
 * objects. The live journal stores watch events in this same line format, so live mode and replay
 * read them with one function. Returns a reason string for an unusable value; never throws.
 */
export function watchValueToRecords(value: unknown, origin: RecordOrigin, nowMs = Date.now()): IngestRecord[] | string {
  if (!isObject(value)) return 'not a JSON object';
  const shape = checkShape(value);
  if (shape !== undefined) return shape;
  const type = str(value, 'type');
  const inner = value['object'];
  if (type !== undefined && isObject(inner)) {
    if (type === 'BOOKMARK') return [];
    if (!WATCH_TYPES.has(type)) return `unsupported watch event type ${JSON.stringify(type.slice(0, 40))}`;
    const ts = value['ts'];
    const tsMs = ts === undefined ? undefined : parseTimeMs(ts);
    if (ts !== undefined && tsMs === undefined) return `unparseable ts ${JSON.stringify(String(ts).slice(0, 40))}`;
    if (tsMs !== undefined && (tsMs < INPUT_LIMITS.earliestMs || tsMs > nowMs + INPUT_LIMITS.maxAheadMs)) {
      return `time out of range: ts ${String(ts)}`;
    }
    const rec = objectToRecord(type as WatchType, inner, tsMs, origin, nowMs);
    return typeof rec === 'string' ? rec : [rec];
  }
  const kind = str(value, 'kind') ?? '';
  if (kind.endsWith('List') && Array.isArray(value['items'])) {
    const out: IngestRecord[] = [];
    for (const item of arr(value, 'items')) {
      if (!isObject(item)) return 'List item is not an object';
      // List items omit kind; it is the list kind minus "List".
      const full = str(item, 'kind') === undefined ? { ...item, kind: kind.slice(0, -4) } : item;
      const rec = objectToRecord('ADDED', full, undefined, origin, nowMs);
      if (typeof rec === 'string') return rec;
      out.push(rec);
    }
    return out;
  }
  if (kind !== '' && isObject(value['metadata'])) {
    const rec = objectToRecord('ADDED', value, undefined, origin, nowMs);
    return typeof rec === 'string' ? rec : [rec];
  }
  return 'neither a watch event ({type, object}), a Kubernetes object nor a List';
}

function objectToRecord(
  type: WatchType,
  object: JsonObject,
  tsMs: number | undefined,
  origin: RecordOrigin,
  nowMs: number,
): IngestRecord | string {
  const kind = str(object, 'kind');
  if (kind === undefined || kind === '') return 'object has no kind';
  if (str(object, 'metadata', 'name') === undefined) return 'object has no metadata.name';
  // The receive time bounds the object's own times; a line without one was received by now.
  const receivedMs = tsMs ?? nowMs;
  const times = checkTimes(object, receivedMs);
  if (times !== undefined) return times;
  if (kind === 'Event') {
    const event = normalizeEvent(object);
    if (typeof event === 'string') return event;
    const timeMs = tsMs ?? event.lastMs;
    return { source: 'event', type, event, timeMs, timeEstimated: tsMs === undefined, origin };
  }
  if (tsMs === undefined && estimateWriteTimeMs(object) === undefined) {
    return 'object has no ts and no timestamp of its own to order it by';
  }
  // Secret data and ConfigMap values are dropped at the door (DESIGN §3.5 invariant 5).
  return {
    source: 'object',
    type,
    object: redactObject(object),
    timeMs: tsMs ?? 0,
    timeEstimated: tsMs === undefined,
    origin,
  };
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

function errMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
