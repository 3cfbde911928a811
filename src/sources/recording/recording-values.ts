import { arr, isObject, parseTimeMs, str } from '../../model/kube-json.js';
import type { JsonObject } from '../../model/kube-json.js';
import type { IngestRecord, RecordOrigin, WatchType } from '../../model/records.js';
import { expandAuditValue } from '../audit/managed-formats.js';
import { auditRecordOf } from '../audit/parse-audit.js';
import { normalizeEvent } from '../event-normalize.js';
import { INPUT_LIMITS, checkShape, checkTimes } from '../input-boundary.js';
import { redactObject } from '../redact.js';
import { estimateWriteTimeMs } from './object-time.js';

/** What one JSON value of a recording file gives: records, and reasons for what it could not. */
export interface ValueRecords {
  readonly records: readonly IngestRecord[];
  readonly problems: readonly string[];
}

export function watchValue(value: unknown, origin: RecordOrigin): ValueRecords {
  const result = watchValueToRecords(value, origin);
  return typeof result === 'string' ? { records: [], problems: [result] } : { records: result, problems: [] };
}

// One Event per line, an EventList (a saved webhook batch), or a managed cluster's export
// (GKE Cloud Logging, EKS CloudWatch, AKS diagnostic records), unwrapped into Events.
export function auditValue(value: unknown, origin: RecordOrigin): ValueRecords {
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

/** How one JSON value of a recording file becomes records. */
export type ValueReader = (value: unknown, origin: RecordOrigin) => ValueRecords;

/** The value reader of a recording file: audit.log holds audit events, the others watch lines. */
export function valueReaderFor(file: string): ValueReader {
  return file === 'audit.log' ? auditValue : watchValue;
}

const WATCH_TYPES: ReadonlySet<string> = new Set(['ADDED', 'MODIFIED', 'DELETED']);

function isWatchType(type: string): type is WatchType {
  return WATCH_TYPES.has(type);
}

/**
 * One JSON value → records: a watch event (`ts` = receive time), a bare object, or a List of
 * objects. The live journal stores watch events in this same line format, so live mode and replay
 * read them with one function. Secret data and ConfigMap values are dropped at the door (DESIGN
 * §3.5 invariant 5). Returns a reason string for an unusable value; never throws.
 */
export function watchValueToRecords(value: unknown, origin: RecordOrigin, nowMs = Date.now()): IngestRecord[] | string {
  const records = unredactedRecords(value, origin, nowMs);
  return typeof records === 'string' ? records : records.map(redactedRecord);
}

// The record with its object redacted (redactObject); an Event record as it is.
function redactedRecord(record: IngestRecord): IngestRecord {
  return record.source === 'object' ? { ...record, object: redactObject(record.object) } : record;
}

function unredactedRecords(value: unknown, origin: RecordOrigin, nowMs: number): IngestRecord[] | string {
  if (!isObject(value)) return 'not a JSON object';
  const shape = checkShape(value);
  if (shape !== undefined) return shape;
  const type = str(value, 'type');
  const inner = value['object'];
  if (type !== undefined && isObject(inner)) return watchEventToRecords(value, type, inner, origin, nowMs);
  const kind = str(value, 'kind') ?? '';
  if (kind.endsWith('List') && Array.isArray(value['items'])) return listToRecords(value, kind, origin, nowMs);
  if (kind !== '' && isObject(value['metadata'])) {
    return oneRecord(objectToRecord('ADDED', value, undefined, origin, nowMs));
  }
  return 'neither a watch event ({type, object}), a Kubernetes object nor a List';
}

// A watch line: its type says what happened to `object`; a bookmark carries no change.
function watchEventToRecords(
  line: JsonObject,
  type: string,
  object: JsonObject,
  origin: RecordOrigin,
  nowMs: number,
): IngestRecord[] | string {
  if (type === 'BOOKMARK') return [];
  if (!isWatchType(type)) return `unsupported watch event type ${JSON.stringify(type.slice(0, 40))}`;
  const tsMs = receiveTimeMs(line['ts'], nowMs);
  if (typeof tsMs === 'string') return tsMs;
  return oneRecord(objectToRecord(type, object, tsMs, origin, nowMs));
}

/**
 * A watch line's `ts` (when the recorder received it) in ms; undefined when the line has none (a
 * hand-written or converted line), a reason when it is no time or outside the times input may have.
 */
export function receiveTimeMs(ts: unknown, nowMs: number): number | undefined | string {
  if (ts === undefined) return undefined;
  const tsMs = parseTimeMs(ts);
  if (tsMs === undefined) return `unparseable ts ${JSON.stringify(String(ts).slice(0, 40))}`;
  if (tsMs < INPUT_LIMITS.earliestMs || tsMs > nowMs + INPUT_LIMITS.maxAheadMs) {
    return `time out of range: ts ${String(ts)}`;
  }
  return tsMs;
}

// A List (kubectl get -o json) is a snapshot with no receive time: each item an ADDED object,
// timed by its own timestamps. The first unusable item's reason rejects the whole value.
function listToRecords(list: JsonObject, kind: string, origin: RecordOrigin, nowMs: number): IngestRecord[] | string {
  const out: IngestRecord[] = [];
  for (const item of arr(list, 'items')) {
    if (!isObject(item)) return 'List item is not an object';
    // List items omit kind; it is the list kind minus "List".
    const full = str(item, 'kind') === undefined ? { ...item, kind: kind.slice(0, -4) } : item;
    const rec = objectToRecord('ADDED', full, undefined, origin, nowMs);
    if (typeof rec === 'string') return rec;
    out.push(rec);
  }
  return out;
}

function oneRecord(rec: IngestRecord | string): IngestRecord[] | string {
  return typeof rec === 'string' ? rec : [rec];
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
  return {
    source: 'object',
    type,
    object,
    timeMs: tsMs ?? 0,
    timeEstimated: tsMs === undefined,
    origin,
  };
}
