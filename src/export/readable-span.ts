/**
 * Adapter from kubestitch's SpanData to the OTel SDK's ReadableSpan, so the stock OTLP exporters
 * can send spans we synthesized ourselves. The SDK never generates an id or reads a clock here.
 */
import { SpanKind, SpanStatusCode, TraceFlags } from '@opentelemetry/api';
import type {
  AttributeValue,
  Attributes as OtelAttributes,
  HrTime,
  Link,
  SpanContext,
  SpanStatus as OtelSpanStatus,
} from '@opentelemetry/api';
import { hrTimeDuration, millisToHrTime } from '@opentelemetry/core';
import type { InstrumentationScope } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan, TimedEvent } from '@opentelemetry/sdk-trace-base';
import type { Attributes, ResourceData, SpanData, SpanStatus } from '../model/span.js';
import {
  INSTRUMENTATION_SCOPE_NAME,
  assertEncodable,
  canonicalAttributesKey,
  carriedScope,
  msToEpochMicros,
  sortedAttributeEntries,
  withoutCarriedScope,
} from './otlp-common.js';

/**
 * Per-batch conversion state: the instrumentation scope and a Resource cache. The OTLP exporter
 * groups spans into resourceSpans by Resource *object identity*, so every span of a batch with
 * the same resource attributes must share one Resource object. Create one per exported batch
 * (the cache is not bounded; a batch is).
 */
export class ConversionScope {
  readonly instrumentationScope: InstrumentationScope;
  #resources = new Map<string, Resource>();
  // Synth shares one resource object per actor: a span's object finds its Resource without a key.
  #byObject = new Map<Attributes, Resource>();

  /** `scopeVersion` is kubestitch's version; omitted from the scope when not given. */
  constructor(scopeVersion?: string) {
    this.instrumentationScope =
      scopeVersion === undefined
        ? { name: INSTRUMENTATION_SCOPE_NAME }
        : { name: INSTRUMENTATION_SCOPE_NAME, version: scopeVersion };
  }

  /** The shared Resource for these attributes (created on first use). Never throws. */
  resourceFor(resource: ResourceData): Resource {
    const seen = this.#byObject.get(resource.attributes);
    if (seen !== undefined) return seen;
    const key = canonicalAttributesKey(resource.attributes);
    let cached = this.#resources.get(key);
    if (cached === undefined) {
      cached = resourceFromAttributes(toOtelAttributes(resource.attributes));
      this.#resources.set(key, cached);
    }
    this.#byObject.set(resource.attributes, cached);
    return cached;
  }
}

/**
 * Converts one span. Ids are passed through (hex); times are exact to the µs.
 * Throws a RangeError for an invalid id or time (see assertEncodable); callers turn that into a
 * failed export rather than sending a corrupt span.
 */
export function toReadableSpan(span: SpanData, scope: ConversionScope): ReadableSpan {
  assertEncodable(span);
  const startTime = msToHrTime(span.startMs);
  const endTime = msToHrTime(span.endMs);
  const context = sampledContext(span.traceId, span.spanId);
  // A received span leaves under its own scope (forwarded apiserver/kubelet spans), not ours.
  const carried = carriedScope(span.attributes);
  const parentSpanContext =
    span.parentSpanId === undefined ? undefined : sampledContext(span.traceId, span.parentSpanId);
  return {
    name: span.name,
    kind: API_SPAN_KIND[span.kind],
    spanContext: () => context,
    parentSpanContext,
    startTime,
    endTime,
    duration: hrTimeDuration(startTime, endTime),
    ended: true,
    status: toOtelStatus(span.status),
    attributes: toOtelAttributes(carried === undefined ? span.attributes : withoutCarriedScope(span.attributes)),
    links: span.links.map((link): Link => ({
      context: sampledContext(link.traceId, link.spanId),
      attributes: toOtelAttributes(link.attributes),
    })),
    events: span.events.map((event): TimedEvent => ({
      name: event.name,
      time: msToHrTime(event.timeMs),
      attributes: toOtelAttributes(event.attributes),
    })),
    resource: scope.resourceFor(span.resource),
    instrumentationScope: carried ?? scope.instrumentationScope,
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    droppedLinksCount: 0,
  };
}

/** Converts a batch with one fresh ConversionScope. Throws as toReadableSpan. */
export function toReadableSpans(spans: readonly SpanData[], scopeVersion?: string): ReadableSpan[] {
  const scope = new ConversionScope(scopeVersion);
  return spans.map((span) => toReadableSpan(span, scope));
}

/**
 * Epoch ms → HrTime, exact to the µs. millisToHrTime alone is off by up to ~120 ns for fractional
 * epoch ms (it multiplies the float remainder), which would make gRPC nanos disagree with the
 * OTLP/JSON file; so it gets whole milliseconds only and the µs remainder is added as integers.
 */
export function msToHrTime(ms: number): HrTime {
  const micros = msToEpochMicros(ms);
  const wholeMs = Math.floor(micros / 1000);
  const [seconds, nanos] = millisToHrTime(wholeMs);
  return [seconds, nanos + (micros - wholeMs * 1000) * 1000];
}

function sampledContext(traceId: string, spanId: string): SpanContext {
  return { traceId, spanId, traceFlags: TraceFlags.SAMPLED, isRemote: false };
}

const API_SPAN_KIND: Readonly<Record<SpanData['kind'], SpanKind>> = {
  internal: SpanKind.INTERNAL,
  server: SpanKind.SERVER,
  client: SpanKind.CLIENT,
  producer: SpanKind.PRODUCER,
  consumer: SpanKind.CONSUMER,
};

function toOtelStatus(status: SpanStatus): OtelSpanStatus {
  switch (status.code) {
    case 'unset':
      return { code: SpanStatusCode.UNSET };
    case 'ok':
      return { code: SpanStatusCode.OK };
    case 'error':
      return { code: SpanStatusCode.ERROR, message: status.message };
  }
}

function toOtelAttributes(attributes: Attributes): OtelAttributes {
  const out: OtelAttributes = {};
  for (const [key, value] of sortedAttributeEntries(attributes)) {
    // The SDK's types want mutable arrays; copying also keeps our frozen data out of its hands.
    const otelValue: AttributeValue = typeof value === 'object' ? [...value] : value;
    out[key] = otelValue;
  }
  return out;
}
