import type { SpanData } from '../src/model/span.js';
import type { KvOp, KvStore, KvValue } from './kv-store.js';
import type { IndexEntry, ObjectRefLite } from './trace-store-keys.js';
import {
  END,
  KEY,
  isErrorSpan,
  objectKey,
  spanIndexEntries,
  spanObjects,
  startUs,
  timeKey,
} from './trace-store-keys.js';
import { decodeSpan, encodeSpan } from './trace-store-record.js';
import type { SummaryInput, TraceSummary } from './trace-store-summary.js';
import { mergeSummary } from './trace-store-summary.js';
import { readSummary } from './trace-store-query.js';

/** Totals persisted under `M/stats` and kept in memory. */
export interface StoredTotals {
  readonly bytes: number;
  readonly traces: number;
  readonly spans: number;
}

/** What one write pass did. */
export interface PassResult {
  readonly ops: KvOp[];
  readonly totals: StoredTotals;
  /** Span keys already stored byte for byte: nothing was written for them. */
  readonly duplicateKeys: ReadonlySet<string>;
}

function text(value: KvValue): string {
  return typeof value === 'string' ? value : new TextDecoder().decode(value);
}

/** Approximate bytes a span occupies: its record and its index entries. */
export function spanBytes(key: string, record: string, entries: readonly IndexEntry[]): number {
  let n = key.length + record.length;
  for (const e of entries) n += e.key.length + e.value.length;
  return n;
}

export function summaryOps(prev: TraceSummary | undefined, next: TraceSummary): KvOp[] {
  const ops: KvOp[] = [];
  const tid = next.traceId;
  if (prev !== undefined && prev.startUs !== next.startUs) {
    ops.push({ type: 'del', key: `${KEY.traceByStart}${timeKey(prev.startUs)}/${tid}` });
  }
  if (prev !== undefined && prev.updatedMs !== next.updatedMs) {
    ops.push({ type: 'del', key: `${KEY.traceByUpdate}${timeKey(prev.updatedMs)}/${tid}` });
  }
  ops.push({ type: 'put', key: `${KEY.traceByStart}${timeKey(next.startUs)}/${tid}`, value: '' });
  ops.push({ type: 'put', key: `${KEY.traceByUpdate}${timeKey(next.updatedMs)}/${tid}`, value: '' });
  ops.push({ type: 'put', key: `${KEY.summary}${tid}`, value: JSON.stringify(next) });
  return ops;
}

/**
 * Plans one write pass: the store ops that add `spans` (already validated and deduplicated by
 * span key), plus the new totals. Reads existing records so a re-exported span is stored once and
 * a changed span replaces its old index entries. Rejects only with the store's read error.
 */
export async function planWrite(
  kv: KvStore,
  spans: ReadonlyMap<string, SpanData>,
  totals: StoredTotals,
  nowMs: number,
): Promise<PassResult> {
  const keys = [...spans.keys()];
  const olds = await Promise.all(keys.map((k) => kv.get(k)));
  const ops: KvOp[] = [];
  const byTrace = new Map<string, SummaryInput[]>();
  const objects = new Map<string, { ref: ObjectRefLite; lastUs: number }>();
  const objectTraces = new Map<string, number>();
  const duplicateKeys = new Set<string>();
  keys.forEach((key, i) => {
    const span = spans.get(key);
    const old = olds[i];
    if (span === undefined) return;
    const record = encodeSpan(span);
    if (old !== undefined && text(old) === record) {
      duplicateKeys.add(key);
      return;
    }
    const entries = spanIndexEntries(span);
    let bytesDelta = spanBytes(key, record, entries);
    let wasError = false;
    if (old !== undefined) {
      const replaced = replaceOps(key, text(old), entries);
      ops.push(...replaced.ops);
      bytesDelta -= replaced.bytes;
      wasError = replaced.wasError;
    }
    ops.push({ type: 'put', key, value: record });
    for (const e of entries) ops.push({ type: 'put', key: e.key, value: e.value });
    const inputs = byTrace.get(span.traceId) ?? [];
    inputs.push({ span, bytesDelta, isNew: old === undefined, wasError });
    byTrace.set(span.traceId, inputs);
    const start = startUs(span);
    for (const ref of spanObjects(span)) {
      const ok = objectKey(ref);
      const seen = objects.get(ok);
      if (seen === undefined || start > seen.lastUs) objects.set(ok, { ref: { ...seen?.ref, ...ref }, lastUs: start });
      const otKey = `${ok}/${span.traceId}`;
      objectTraces.set(otKey, Math.min(objectTraces.get(otKey) ?? Infinity, start));
    }
  });
  let { bytes, traces, spans: spanCount } = totals;
  const traceIds = [...byTrace.keys()];
  const prevs = await Promise.all(traceIds.map((id) => readSummary(kv, id)));
  for (const [i, traceId] of traceIds.entries()) {
    const inputs = byTrace.get(traceId) ?? [];
    const prev = prevs[i];
    const next = mergeSummary(prev, inputs, nowMs);
    if (next === undefined) continue;
    ops.push(...summaryOps(prev, next));
    if (prev === undefined) traces++;
    bytes += next.bytes - (prev?.bytes ?? 0);
    spanCount += next.spanCount - (prev?.spanCount ?? 0);
  }
  ops.push(...(await objectOps(kv, objects, objectTraces)));
  const nextTotals = { bytes, traces, spans: spanCount };
  ops.push({ type: 'put', key: KEY.stats, value: JSON.stringify(nextTotals) });
  return { ops, totals: nextTotals, duplicateKeys };
}

function replaceOps(
  key: string,
  oldText: string,
  entries: readonly IndexEntry[],
): { ops: KvOp[]; bytes: number; wasError: boolean } {
  let old: SpanData;
  try {
    old = decodeSpan(key, oldText);
  } catch {
    // A corrupt old record: overwrite it; its index entries cannot be recomputed.
    return { ops: [], bytes: 0, wasError: false };
  }
  const oldEntries = spanIndexEntries(old);
  const keep = new Set(entries.map((e) => e.key));
  const ops: KvOp[] = oldEntries.filter((e) => !keep.has(e.key)).map((e) => ({ type: 'del', key: e.key }));
  return { ops, bytes: spanBytes(key, oldText, oldEntries), wasError: isErrorSpan(old) };
}

async function objectOps(
  kv: KvStore,
  objects: ReadonlyMap<string, { ref: ObjectRefLite; lastUs: number }>,
  objectTraces: ReadonlyMap<string, number>,
): Promise<KvOp[]> {
  const ops: KvOp[] = [];
  // Point reads in parallel: LevelDB serves them from its thread pool, a serial loop waits on each.
  const catalog = [...objects];
  const storedCatalog = await Promise.all(catalog.map(([ok]) => kv.get(`${KEY.objectCatalog}${ok}`)));
  catalog.forEach(([ok, { ref, lastUs }], i) => {
    const key = `${KEY.objectCatalog}${ok}`;
    const stored = storedCatalog[i];
    let prev: { lastUs?: number; uid?: string } = {};
    try {
      if (stored !== undefined) prev = JSON.parse(text(stored)) as typeof prev;
    } catch {
      // A corrupt catalog entry is rewritten below.
    }
    const newer = prev.lastUs === undefined || lastUs >= prev.lastUs;
    const uid = newer ? (ref.uid ?? prev.uid) : (prev.uid ?? ref.uid);
    const value = { ...ref, ...(uid !== undefined ? { uid } : {}), lastUs: Math.max(lastUs, prev.lastUs ?? 0) };
    ops.push({ type: 'put', key, value: JSON.stringify(value) });
  });
  const refs = [...objectTraces];
  const storedRefs = await Promise.all(refs.map(([otKey]) => kv.get(`${KEY.objectTraces}${otKey}`)));
  refs.forEach(([otKey, start], i) => {
    const stored = storedRefs[i];
    if (stored === undefined || Number(text(stored)) > start) {
      ops.push({ type: 'put', key: `${KEY.objectTraces}${otKey}`, value: String(start) });
    }
  });
  return ops;
}

/**
 * The ops that remove one trace entirely: its spans, their index entries, object references
 * (and catalog entries no other trace uses), summary and order keys. Reads only this trace's keys
 * and, per object, two `O/` entries. `updateKey` is the `TU/` key that named the trace, deleted
 * even when the summary is missing (so a damaged trace cannot block retention forever).
 */
export async function planDelete(
  kv: KvStore,
  traceId: string,
  updateKey: string,
): Promise<{ ops: KvOp[]; bytes: number; spans: number; existed: boolean }> {
  const ops: KvOp[] = [{ type: 'del', key: updateKey }];
  const summary = await readSummary(kv, traceId).catch(() => undefined);
  const prefix = `${KEY.span}${traceId}/`;
  const objectKeys = new Set<string>();
  let bytes = 0;
  let spans = 0;
  for await (const [key, value] of kv.iterate({ gte: prefix, lt: prefix + END })) {
    ops.push({ type: 'del', key });
    spans++;
    try {
      const span = decodeSpan(key, text(value));
      const entries = spanIndexEntries(span);
      bytes += spanBytes(key, text(value), entries);
      for (const e of entries) ops.push({ type: 'del', key: e.key });
      for (const ref of spanObjects(span)) objectKeys.add(objectKey(ref));
    } catch {
      bytes += key.length + text(value).length;
    }
  }
  const objects = [...objectKeys];
  const shared = await Promise.all(objects.map((ok) => usedByOtherTrace(kv, ok, traceId)));
  objects.forEach((ok, i) => {
    ops.push({ type: 'del', key: `${KEY.objectTraces}${ok}/${traceId}` });
    if (shared[i] !== true) ops.push({ type: 'del', key: `${KEY.objectCatalog}${ok}` });
  });
  ops.push({ type: 'del', key: `${KEY.summary}${traceId}` });
  if (summary !== undefined) {
    ops.push({ type: 'del', key: `${KEY.traceByStart}${timeKey(summary.startUs)}/${traceId}` });
    ops.push({ type: 'del', key: `${KEY.traceByUpdate}${timeKey(summary.updatedMs)}/${traceId}` });
  }
  return { ops, bytes: summary?.bytes ?? bytes, spans: summary?.spanCount ?? spans, existed: summary !== undefined };
}

async function usedByOtherTrace(kv: KvStore, objKey: string, traceId: string): Promise<boolean> {
  const prefix = `${KEY.objectTraces}${objKey}/`;
  for await (const [key] of kv.iterate({ gte: prefix, lt: prefix + END, limit: 2 })) {
    if (key.slice(prefix.length) !== traceId) return true;
  }
  return false;
}
