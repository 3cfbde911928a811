import type { SpanData } from '../src/model/span.js';

const TRACE_ID = /^[0-9a-f]{32}$/;
const SPAN_ID = /^[0-9a-f]{16}$/;
const KINDS = new Set(['internal', 'server', 'client', 'producer', 'consumer']);

/**
 * Why a span cannot be stored, or undefined when it can. Checks only what the store relies on
 * (ids for keys, finite times for indexes, the shapes it reads); a bad span is counted and skipped.
 */
export function invalidSpanReason(span: SpanData): string | undefined {
  if (typeof span !== 'object' || span === null) return 'not an object';
  return invalidIdsReason(span) ?? invalidHeaderReason(span) ?? invalidPartsReason(span);
}

// The ids: every key of the store is built from them.
function invalidIdsReason(span: SpanData): string | undefined {
  if (typeof span.traceId !== 'string' || !TRACE_ID.test(span.traceId)) return 'traceId is not 32 lower-case hex';
  if (typeof span.spanId !== 'string' || !SPAN_ID.test(span.spanId)) return 'spanId is not 16 lower-case hex';
  if (span.parentSpanId !== undefined && (typeof span.parentSpanId !== 'string' || !SPAN_ID.test(span.parentSpanId))) {
    return 'parentSpanId is not 16 lower-case hex';
  }
  return undefined;
}

// Name, kind and times: what the search indexes are built from.
function invalidHeaderReason(span: SpanData): string | undefined {
  if (typeof span.name !== 'string') return 'name is not a string';
  if (!KINDS.has(span.kind)) return 'kind is not a span kind';
  if (!Number.isFinite(span.startMs) || !Number.isFinite(span.endMs) || span.startMs < 0) {
    return 'start/end are not finite epoch milliseconds';
  }
  return undefined;
}

// The nested parts the query API reads (tag search, the viewer).
function invalidPartsReason(span: SpanData): string | undefined {
  if (typeof span.resource !== 'object' || span.resource === null || typeof span.resource.attributes !== 'object') {
    return 'resource attributes missing';
  }
  if (typeof span.attributes !== 'object' || span.attributes === null) return 'attributes missing';
  if (!Array.isArray(span.events) || !Array.isArray(span.links)) return 'events/links are not arrays';
  if (typeof span.status !== 'object' || span.status === null) return 'status missing';
  return undefined;
}

/** The stored form of a span: its JSON, with a fixed key order so equal spans compare equal. */
export function encodeSpan(span: SpanData): string {
  return JSON.stringify({
    traceId: span.traceId,
    spanId: span.spanId,
    ...(span.parentSpanId !== undefined ? { parentSpanId: span.parentSpanId } : {}),
    name: span.name,
    kind: span.kind,
    startMs: span.startMs,
    endMs: span.endMs,
    resource: span.resource,
    attributes: span.attributes,
    events: span.events,
    links: span.links,
    status: span.status,
  });
}

/** Parses a stored span; throws an `Error` naming the key when the record is not one. */
export function decodeSpan(key: string, text: string): SpanData {
  const value = JSON.parse(text) as SpanData;
  if (invalidSpanReason(value) !== undefined) {
    throw new Error(`trace store: record ${key} is not a span in this store's format`);
  }
  return value;
}
