import type { OtlpSpan, TraceBatch, TraceRequest } from '../../src/otlp/otlp-message.js';
import { encodeTraceRequest } from '../../src/sources/otlp/otlp-proto-codec.js';
import type { TraceBatchSink } from '../../src/otlp/trace-batch-sink.js';
import { type SpanEntry, flattenRequest } from '../../src/stitch/span-entries.js';

/** A TraceBatchSink that keeps every batch (room configurable), like CaptureSink for SpanData. */
export class CaptureBatches implements TraceBatchSink {
  readonly batches: TraceBatch[] = [];
  room = true;

  offer(batch: TraceBatch): boolean {
    if (!this.room) return false;
    this.batches.push(batch);
    return true;
  }

  hasRoom(): boolean {
    return this.room;
  }

  flush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }

  /** Every span released so far, with its envelope, in release order. */
  entries(): SpanEntry[] {
    return this.batches.flatMap((b) => flattenRequest(b.request));
  }
}

/** Every span of these requests with its envelope. */
export function entriesOf(requests: readonly TraceRequest[]): SpanEntry[] {
  return requests.flatMap(flattenRequest);
}

export function hex(id: Buffer | undefined): string {
  return id === undefined ? '' : id.toString('hex');
}

/** The span's attributes as a plain map of OTLP AnyValue objects (for by-key assertions). */
export function attrMap(span: OtlpSpan): Record<string, unknown> {
  return Object.fromEntries(span.attributes.map((kv) => [kv.key ?? '', kv.value]));
}

/** Canonical protobuf bytes of one span with its resource and scope: equal bytes ⇔ identical span. */
export function spanBytes(entry: SpanEntry): Buffer {
  const { resourceSpans: rs, scopeSpans: ss } = entry;
  return encodeTraceRequest({
    resourceSpans: [{ ...rs, scopeSpans: [{ ...ss, spans: [entry.span] }] }],
  });
}

/** Identity of a real span across rewriting: its span id (unique in these fixtures). */
export function bySpanId(entries: readonly SpanEntry[]): Map<string, SpanEntry> {
  const out = new Map<string, SpanEntry>();
  for (const e of entries) {
    const id = hex(e.span.spanId);
    if (out.has(id)) throw new Error(`span ${id} released twice`);
    out.set(id, e);
  }
  return out;
}

/** `entry` as kubestitch forwards a span it does not change: its resource gains `k8s.cluster.name`. */
export function withCluster(entry: SpanEntry, cluster: string): SpanEntry {
  const rs = entry.resourceSpans;
  const attributes = [...(rs.resource?.attributes ?? []), { key: 'k8s.cluster.name', value: { stringValue: cluster } }];
  return { ...entry, resourceSpans: { ...rs, resource: { ...rs.resource, attributes } } };
}
