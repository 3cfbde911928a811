/**
 * kubestitch spans in Jaeger's query-service JSON model (jaeger `model/json`, what jaeger-ui and
 * Grafana's Jaeger data source read): µs times, tags as typed key/values, span events as logs,
 * the parent as a CHILD_OF reference and span links as FOLLOWS_FROM references, one process per
 * distinct resource.
 */
import { canonicalAttributesKey } from '../export/otlp-common.js';
import { ATTR } from '../model/attributes.js';
import type { AttrValue, Attributes, SpanData } from '../model/span.js';

export type JaegerTagType = 'string' | 'bool' | 'int64' | 'float64';

export interface JaegerKeyValue {
  readonly key: string;
  readonly type: JaegerTagType;
  readonly value: string | number | boolean;
}

export interface JaegerReference {
  readonly refType: 'CHILD_OF' | 'FOLLOWS_FROM';
  readonly traceID: string;
  readonly spanID: string;
}

export interface JaegerLog {
  readonly timestamp: number;
  readonly fields: readonly JaegerKeyValue[];
}

export interface JaegerSpan {
  readonly traceID: string;
  readonly spanID: string;
  readonly flags: number;
  readonly operationName: string;
  readonly references: readonly JaegerReference[];
  readonly startTime: number;
  readonly duration: number;
  readonly tags: readonly JaegerKeyValue[];
  readonly logs: readonly JaegerLog[];
  readonly processID: string;
  readonly warnings: readonly string[] | null;
}

export interface JaegerProcess {
  readonly serviceName: string;
  readonly tags: readonly JaegerKeyValue[];
}

export interface JaegerTrace {
  readonly traceID: string;
  readonly spans: readonly JaegerSpan[];
  readonly processes: Readonly<Record<string, JaegerProcess>>;
  readonly warnings: readonly string[] | null;
}

/** One attribute as a Jaeger tag; arrays become JSON strings (Jaeger tags are scalars). */
export function toKeyValue(key: string, value: AttrValue): JaegerKeyValue {
  if (typeof value === 'boolean') return { key, type: 'bool', value };
  if (typeof value === 'number')
    return Number.isInteger(value) ? { key, type: 'int64', value } : { key, type: 'float64', value };
  if (typeof value === 'string') return { key, type: 'string', value };
  return { key, type: 'string', value: JSON.stringify(value) };
}

function keyValues(attributes: Attributes, skip?: string): JaegerKeyValue[] {
  return Object.entries(attributes)
    .filter(([k]) => k !== skip)
    .map(([k, v]) => toKeyValue(k, v));
}

/** The span tags Jaeger expects beyond the attributes: kind, status and the `error` flag. */
function statusTags(span: SpanData): JaegerKeyValue[] {
  const tags: JaegerKeyValue[] = [];
  if (span.kind !== 'internal') tags.push({ key: 'span.kind', type: 'string', value: span.kind });
  if (span.status.code === 'ok') tags.push({ key: 'otel.status_code', type: 'string', value: 'OK' });
  if (span.status.code === 'error') {
    tags.push({ key: 'otel.status_code', type: 'string', value: 'ERROR' });
    tags.push({ key: 'error', type: 'bool', value: true });
    if (span.status.message !== '') {
      tags.push({ key: 'otel.status_description', type: 'string', value: span.status.message });
    }
  }
  return tags;
}

function references(span: SpanData): JaegerReference[] {
  const refs: JaegerReference[] = [];
  if (span.parentSpanId !== undefined) {
    refs.push({ refType: 'CHILD_OF', traceID: span.traceId, spanID: span.parentSpanId });
  }
  for (const link of span.links) refs.push({ refType: 'FOLLOWS_FROM', traceID: link.traceId, spanID: link.spanId });
  return refs;
}

const us = (ms: number): number => Math.round(ms * 1000);

/** Converts the spans of one trace (any order, at least one span). Pure. */
export function toJaegerTrace(spans: readonly SpanData[]): JaegerTrace {
  const processes: Record<string, JaegerProcess> = {};
  const processIds = new Map<string, string>();
  const out: JaegerSpan[] = [];
  for (const span of spans) {
    // Keyed by sorted attributes: the same resource written with its keys in another order (spans
    // from different sources, or decoded from OTLP) is still one process.
    const resourceKey = canonicalAttributesKey(span.resource.attributes);
    let pid = processIds.get(resourceKey);
    if (pid === undefined) {
      pid = `p${processIds.size + 1}`;
      processIds.set(resourceKey, pid);
      const service = span.resource.attributes[ATTR.serviceName];
      processes[pid] = {
        serviceName: typeof service === 'string' ? service : 'unknown_service',
        tags: keyValues(span.resource.attributes, ATTR.serviceName),
      };
    }
    out.push({
      traceID: span.traceId,
      spanID: span.spanId,
      flags: 1,
      operationName: span.name,
      references: references(span),
      startTime: us(span.startMs),
      duration: Math.max(0, us(span.endMs) - us(span.startMs)),
      tags: [...keyValues(span.attributes), ...statusTags(span)],
      logs: span.events.map((e) => ({
        timestamp: us(e.timeMs),
        fields: [{ key: 'event', type: 'string', value: e.name }, ...keyValues(e.attributes)],
      })),
      processID: pid,
      warnings: null,
    });
  }
  return { traceID: spans[0]?.traceId ?? '', spans: out, processes, warnings: null };
}
