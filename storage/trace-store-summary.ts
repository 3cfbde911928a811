import { ATTR } from '../src/model/attributes.js';
import type { SpanData } from '../src/model/span.js';
import { durationUs, isErrorSpan, serviceOf, startUs } from './trace-store-keys.js';

/** The span a trace is named after: its root, or — until the root arrives — its earliest span. */
export interface TraceRootInfo {
  readonly spanId: string;
  readonly name: string;
  readonly service: string;
  /** `kubestitch.outcome` of the root (ok, failed, unfinished, …), when it has one. */
  readonly outcome?: string;
  readonly error: boolean;
  readonly startUs: number;
  /** True when this span has no parent: the real root, not a stand-in. */
  readonly isRoot: boolean;
  /** The object the root span is about, as `Kind namespace/name` (or `Kind name`), when it names one. */
  readonly object?: string;
}

/**
 * What the trace list shows, kept current as spans of one trace arrive over time (children first,
 * the root later, stitched real spans later still).
 */
export interface TraceSummary {
  readonly traceId: string;
  readonly spanCount: number;
  /** Approximate stored bytes of the trace (records + index keys); what size retention counts. */
  readonly bytes: number;
  readonly startUs: number;
  readonly endUs: number;
  readonly root: TraceRootInfo;
  /** Spans with status ERROR or a failing outcome. */
  readonly errorCount: number;
  /** Services (actors) seen in the trace, at most MAX_SERVICES. */
  readonly services: readonly string[];
  /** Last write, epoch ms: retention by age counts from here. */
  readonly updatedMs: number;
}

const MAX_SERVICES = 32;

export function rootInfo(span: SpanData): TraceRootInfo {
  const outcome = span.attributes[ATTR.outcome];
  const kind = span.attributes[ATTR.objectKind];
  const name = span.attributes[ATTR.objectName];
  const ns = span.attributes[ATTR.namespaceName];
  const object =
    typeof kind === 'string' && typeof name === 'string'
      ? `${kind} ${typeof ns === 'string' && ns !== '' && kind !== 'Node' ? `${ns}/` : ''}${name}`
      : undefined;
  return {
    spanId: span.spanId,
    name: span.name,
    service: serviceOf(span),
    ...(typeof outcome === 'string' ? { outcome } : {}),
    error: isErrorSpan(span),
    startUs: startUs(span),
    isRoot: span.parentSpanId === undefined,
    ...(object !== undefined ? { object } : {}),
  };
}

/** A parentless span beats a stand-in; among equals the earlier start (then lower id) wins. */
function betterRoot(a: TraceRootInfo, b: TraceRootInfo): TraceRootInfo {
  if (a.isRoot !== b.isRoot) return a.isRoot ? a : b;
  if (a.startUs !== b.startUs) return a.startUs < b.startUs ? a : b;
  return a.spanId <= b.spanId ? a : b;
}

/** A span being added to (or replacing one in) a trace: its bytes and whether it is new. */
export interface SummaryInput {
  readonly span: SpanData;
  readonly bytesDelta: number;
  readonly isNew: boolean;
  readonly wasError: boolean;
}

/** Folds spans into a summary (`undefined` = first spans of the trace). Pure. */
export function mergeSummary(
  previous: TraceSummary | undefined,
  inputs: readonly SummaryInput[],
  nowMs: number,
): TraceSummary | undefined {
  let s = previous;
  for (const { span, bytesDelta, isNew, wasError } of inputs) {
    const start = startUs(span);
    const end = start + durationUs(span);
    const info = rootInfo(span);
    const error = info.error ? 1 : 0;
    if (s === undefined) {
      s = {
        traceId: span.traceId,
        spanCount: 1,
        bytes: bytesDelta,
        startUs: start,
        endUs: end,
        root: info,
        errorCount: error,
        services: [info.service],
        updatedMs: nowMs,
      };
      continue;
    }
    // A replaced root (same span id, new content) must be re-read, not compared against itself.
    const root = s.root.spanId === span.spanId ? info : betterRoot(s.root, info);
    const services =
      s.services.includes(info.service) || s.services.length >= MAX_SERVICES
        ? s.services
        : [...s.services, info.service];
    s = {
      ...s,
      spanCount: s.spanCount + (isNew ? 1 : 0),
      bytes: s.bytes + bytesDelta,
      startUs: Math.min(s.startUs, start),
      endUs: Math.max(s.endUs, end),
      root,
      errorCount: Math.max(0, s.errorCount + error - (isNew ? 0 : wasError ? 1 : 0)),
      services,
      updatedMs: nowMs,
    };
  }
  return s;
}

/** Parses a stored summary; throws a clear `Error` naming the trace when it is not one. */
export function decodeSummary(traceId: string, text: string): TraceSummary {
  const value = JSON.parse(text) as unknown;
  if (
    typeof value !== 'object' ||
    value === null ||
    !('traceId' in value) ||
    !('root' in value) ||
    !('spanCount' in value) ||
    typeof value.spanCount !== 'number'
  ) {
    throw new Error(`trace store: summary of trace ${traceId} is not in this store's format`);
  }
  return value as TraceSummary;
}
