import type { JsonObject } from '../src/model/kube-json.js';
import { isObject, parseTimeMs, str } from '../src/model/kube-json.js';
import type { IngestRecord, WatchType } from '../src/model/records.js';
import type { Recording } from '../tools/sim/index.js';
import { watchLineJson } from '../tools/sim/index.js';
import { parseAuditEvent } from '../src/sources/audit/parse-audit.js';
import { normalizeEvent } from '../src/sources/event-normalize.js';
import { compareRecords } from '../src/sources/recording/record-order.js';
import { redactObject } from '../src/sources/redact.js';

/** The recording file a line comes from. */
export type LineSource = 'audit' | 'watch' | 'events';

/** One recording line as it would arrive: its source and raw text. */
export interface RawLine {
  readonly source: LineSource;
  readonly text: string;
}

/**
 * Parses one line the way the recording reader does (JSON.parse, then parseAuditEvent,
 * normalizeEvent or redactObject). The live path does the same work per arrival. Returns
 * undefined for a line that is not a usable record (the simulator writes none).
 */
export function parseLine(line: RawLine, lineNo: number): IngestRecord | undefined {
  const value: unknown = JSON.parse(line.text);
  if (!isObject(value)) return undefined;
  const origin = { file: line.source, line: lineNo };
  if (line.source === 'audit') {
    const audit = parseAuditEvent(value);
    if (typeof audit === 'string') return undefined;
    return { source: 'audit', audit, timeMs: audit.stageMs, timeEstimated: false, origin };
  }
  const object = value['object'];
  const timeMs = parseTimeMs(value['ts']);
  const type = str(value, 'type') as WatchType | undefined;
  if (!isObject(object) || timeMs === undefined || type === undefined) return undefined;
  if (line.source === 'events') {
    const event = normalizeEvent(object);
    if (typeof event === 'string') return undefined;
    return { source: 'event', type, event, timeMs, timeEstimated: false, origin };
  }
  return { source: 'object', type, object: redactObject(object as JsonObject), timeMs, timeEstimated: false, origin };
}

/**
 * The lines of a simulator chunk (all three files, serialized as writeRecording does) in
 * processing order — what a live kubestitch receives, merged by time. Throws if a line of the
 * simulator's own output does not parse.
 */
export function chunkLines(chunk: Recording): RawLine[] {
  const raw: RawLine[] = [
    ...chunk.audit.map((a): RawLine => ({ source: 'audit', text: JSON.stringify(a) })),
    ...chunk.watch.map((w): RawLine => ({ source: 'watch', text: watchLineJson(w) })),
    ...chunk.events.map((e): RawLine => ({ source: 'events', text: watchLineJson(e) })),
  ];
  const ranked = raw.map((line, i) => {
    const record = parseLine(line, i + 1);
    if (record === undefined) throw new Error(`bench: simulator line ${line.source}:${i + 1} does not parse`);
    return { record, raw: line.text, line };
  });
  ranked.sort(compareRecords);
  return ranked.map((r) => r.line);
}
