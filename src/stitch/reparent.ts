import { ATTR } from '../model/attributes.js';
import type { OtlpKeyValue, OtlpResourceSpans, OtlpSpan } from '../otlp/otlp-message.js';
import type { SpanEntry } from './span-entries.js';
import { isRootSpan } from './span-entries.js';
import { STITCH_ATTR } from '../model/attributes.js';
import type { StitchRule } from './stitch-types.js';

/** Where a matched original trace goes in reparent mode. */
export interface ReparentTarget {
  /** The pseudo-span's trace id (16 bytes). */
  readonly traceId: Buffer;
  /** The pseudo-span's span id (8 bytes): the new parent of the original root(s). */
  readonly parentSpanId: Buffer;
  readonly rule: StitchRule;
}

// SPAN_FLAGS_CONTEXT_HAS_IS_REMOTE | SPAN_FLAGS_CONTEXT_IS_REMOTE: the new parent lives elsewhere.
const REMOTE_PARENT_FLAGS = 0x300;

/**
 * A copy of `entry`'s span moved into the pseudo-span's trace (DESIGN §4): new trace id; a root
 * gets the pseudo-span as parent (and flags saying that parent is remote, trace-flag bits kept);
 * links into the original trace follow it; `kubestitch.original_trace_id` and
 * `kubestitch.stitch.rule` are added (replacing earlier values, e.g. from a second kubestitch).
 * Everything else — ids, times, attributes of every type, events, status, trace state, dropped
 * counts — is carried over as is. The input is not modified.
 */
export function reparent(entry: SpanEntry, originalTraceId: Buffer, target: ReparentTarget): SpanEntry {
  const source = entry.span;
  const originalHex = originalTraceId.toString('hex');
  const added: OtlpKeyValue[] = [
    { key: STITCH_ATTR.originalTraceId, value: { stringValue: originalHex } },
    { key: STITCH_ATTR.rule, value: { stringValue: target.rule } },
  ];
  const span: OtlpSpan = {
    ...source,
    traceId: target.traceId,
    ...(isRootSpan(source)
      ? { parentSpanId: target.parentSpanId, flags: ((source.flags ?? 0) & 0xff) | REMOTE_PARENT_FLAGS }
      : {}),
    attributes: [
      ...source.attributes.filter((kv) => kv.key !== STITCH_ATTR.originalTraceId && kv.key !== STITCH_ATTR.rule),
      ...added,
    ],
    links: source.links.map((link) =>
      link.traceId !== undefined && link.traceId.equals(originalTraceId) ? { ...link, traceId: target.traceId } : link,
    ),
  };
  return { ...entry, span };
}

/**
 * A root of a stitched trace that arrived after its pseudo-span was exported and sticks out of it:
 * moved into the pseudo-span's trace (its children there keep their parent) but left a root, with
 * a span link to the pseudo-span instead of a parent that would not cover it (DESIGN §3.5
 * invariant 1). Its `kubestitch.stitch.rule` and original trace id are added as for any rewrite.
 */
export function reparentBeside(entry: SpanEntry, originalTraceId: Buffer, target: ReparentTarget): SpanEntry {
  const moved = reparent(entry, originalTraceId, target);
  const link = {
    traceId: target.traceId,
    spanId: target.parentSpanId,
    attributes: [{ key: STITCH_ATTR.rule, value: { stringValue: target.rule } }],
  };
  // Back to the root it arrived as: no parent, and no flags saying a remote parent exists.
  const { parentSpanId: _parent, flags: _flags, ...rest } = moved.span;
  const { parentSpanId, flags } = entry.span;
  const span: OtlpSpan = {
    ...rest,
    ...(parentSpanId === undefined ? {} : { parentSpanId }),
    ...(flags === undefined ? {} : { flags }),
    links: [...moved.span.links, link],
  };
  return { ...moved, span };
}

/**
 * A span of a stitched trace whose parent never arrived (its exporter dropped it), moved under the
 * pseudo-span as the trace's root is (or beside it, as reparentBeside, when it does not fit); `kubestitch.original_parent_span_id` keeps the parent it named.
 */
export function adoptOrphan(
  entry: SpanEntry,
  originalTraceId: Buffer,
  target: ReparentTarget,
  beside = false,
): SpanEntry {
  const original: OtlpKeyValue = {
    key: STITCH_ATTR.originalParentSpanId,
    value: { stringValue: entry.span.parentSpanId?.toString('hex') ?? '' },
  };
  const asRoot = { ...entry, span: { ...entry.span, parentSpanId: Buffer.alloc(0) } };
  // `beside`: the pseudo-span was emitted and does not cover it, so a root linked to it instead.
  const moved = beside ? reparentBeside(asRoot, originalTraceId, target) : reparent(asRoot, originalTraceId, target);
  const attributes = [...moved.span.attributes.filter((kv) => kv.key !== original.key), original];
  return { ...moved, span: { ...moved.span, attributes } };
}

/**
 * Adds `k8s.cluster.name` (DESIGN §3.5) to the resource of every real span kubestitch exports —
 * stitched or forwarded unchanged — as the Collector's k8sattributes processor would, when the
 * resource lacks it (a value the component set is kept). One copy per original envelope (cached
 * weakly), so spans that shared a resource still share one after tagging. Without a cluster name
 * it changes nothing.
 */
export class ClusterTagger {
  readonly #cluster: string | undefined;
  readonly #copies = new WeakMap<OtlpResourceSpans, OtlpResourceSpans>();

  constructor(cluster: string | undefined) {
    this.#cluster = cluster;
  }

  tag(entry: SpanEntry): SpanEntry {
    const cluster = this.#cluster;
    const original = entry.resourceSpans;
    const attributes = original.resource?.attributes ?? [];
    if (cluster === undefined || attributes.some((kv) => kv.key === ATTR.clusterName)) return entry;
    let copy = this.#copies.get(original);
    if (copy === undefined) {
      const clusterAttr: OtlpKeyValue = { key: ATTR.clusterName, value: { stringValue: cluster } };
      copy = { ...original, resource: { ...original.resource, attributes: [...attributes, clusterAttr] } };
      this.#copies.set(original, copy);
    }
    return { ...entry, resourceSpans: copy };
  }
}
