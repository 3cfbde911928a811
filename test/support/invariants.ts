import type { SpanData } from '../../src/model/span.js';

/**
 * Checks DESIGN §3.5 on a set of exported spans and returns every violation as text (empty when
 * all hold): parents cover children, no zero-length span, k8s.cluster.name everywhere, well-formed
 * unique ids, children in their parent's trace, links that point at exported spans, and none of
 * `forbidden` (secret values) anywhere in the output.
 */
export function checkInvariants(spans: readonly SpanData[], forbidden: readonly string[] = []): string[] {
  const problems: string[] = [];
  const byId = new Map<string, SpanData>();
  for (const s of spans) {
    const id = `${s.traceId}/${s.spanId}`;
    if (byId.has(id)) problems.push(`duplicate span ${id} (${s.name})`);
    byId.set(id, s);
    if (!/^[0-9a-f]{32}$/.test(s.traceId) || /^0+$/.test(s.traceId)) problems.push(`bad trace id ${s.traceId}`);
    if (!/^[0-9a-f]{16}$/.test(s.spanId) || /^0+$/.test(s.spanId)) problems.push(`bad span id ${s.spanId}`);
    if (!(s.endMs > s.startMs)) problems.push(`${s.name} ${s.spanId}: zero or negative duration`);
    const cluster = s.resource.attributes['k8s.cluster.name'] ?? s.attributes['k8s.cluster.name'];
    if (typeof cluster !== 'string' || cluster === '') problems.push(`${s.name} ${s.spanId}: no k8s.cluster.name`);
  }
  const spanIds = new Set(spans.map((s) => s.spanId));
  for (const s of spans) {
    if (s.parentSpanId !== undefined) {
      const parent = byId.get(`${s.traceId}/${s.parentSpanId}`);
      if (parent === undefined) {
        problems.push(
          `${s.name} ${s.spanId}: parent ${s.parentSpanId} not in trace ${s.traceId}${spanIds.has(s.parentSpanId) ? ' (it is in another trace)' : ''}`,
        );
      } else if (s.startMs < parent.startMs || s.endMs > parent.endMs) {
        problems.push(
          `${s.name} ${s.spanId} [${s.startMs}, ${s.endMs}] sticks out of parent ${parent.name} [${parent.startMs}, ${parent.endMs}]`,
        );
      }
    }
    for (const l of s.links) {
      if (!byId.has(`${l.traceId}/${l.spanId}`))
        problems.push(`${s.name} ${s.spanId}: link to missing span ${l.traceId}/${l.spanId}`);
    }
  }
  if (forbidden.length > 0) {
    const text = JSON.stringify(spans);
    for (const f of forbidden)
      if (text.includes(f)) problems.push(`forbidden value present in output: ${f.slice(0, 12)}…`);
  }
  return problems;
}

/** A real span kubestitch stitched into one of its traces (it keeps its original trace id). */
export const isRealSpan = (s: SpanData): boolean => typeof s.attributes['kubestitch.original_trace_id'] === 'string';

/**
 * The one violation that is the components' own measurement, not kubestitch's doing: a real span
 * starting or ending at most `toleranceMs` outside its real parent (etcd's server span under the
 * apiserver's client span: two processes, and the server ends its span after it answered).
 * kubestitch does not change real spans' times (docs/stitching.md, Time).
 */
export function isComponentsOwnTiming(
  problem: string,
  spans: readonly SpanData[],
  toleranceMs = 1,
  isReal: (s: SpanData) => boolean = isRealSpan,
): boolean {
  if (!problem.includes('sticks out of parent')) return false;
  const id = / ([0-9a-f]{16}) \[/.exec(problem)?.[1];
  const span = spans.find((s) => s.spanId === id);
  if (span === undefined || !isReal(span)) return false;
  const parent = spans.find((s) => s.traceId === span.traceId && s.spanId === span.parentSpanId);
  if (parent === undefined || !isReal(parent)) return false;
  return parent.startMs - span.startMs <= toleranceMs && span.endMs - parent.endMs <= toleranceMs;
}
