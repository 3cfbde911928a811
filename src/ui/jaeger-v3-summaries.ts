/**
 * `/api/v3/trace-summaries` rows (jaeger-idl api_v3 TraceSummary, what jaeger-ui's current search
 * page lists) from the store's per-trace summaries, without loading the spans.
 */
import type { TraceStore } from '../../storage/index.js';

export interface V3TraceSummary {
  readonly traceId: string;
  readonly rootServiceName: string;
  readonly rootOperationName: string;
  /** Decimal nanoseconds, as proto3 JSON writes int64. */
  readonly minStartTimeUnixNano: string;
  readonly maxEndTimeUnixNano: string;
  readonly spanCount: number;
  readonly errorSpanCount: number;
  /** Per-service span counts are not kept in the summary, so only names are given. */
  readonly services: readonly { readonly name: string }[];
}

const nanos = (us: number): string => (BigInt(Math.round(us)) * 1000n).toString();

export async function traceSummaries(store: TraceStore, ids: readonly string[]): Promise<V3TraceSummary[]> {
  const out: V3TraceSummary[] = [];
  for (const id of ids) {
    const s = await store.getSummary(id);
    if (s === undefined) continue;
    out.push({
      traceId: s.traceId,
      rootServiceName: s.root.service,
      rootOperationName: s.root.name,
      minStartTimeUnixNano: nanos(s.startUs),
      maxEndTimeUnixNano: nanos(Math.max(s.startUs, s.endUs)),
      spanCount: s.spanCount,
      errorSpanCount: s.errorCount,
      services: s.services.map((name) => ({ name })),
    });
  }
  return out;
}
