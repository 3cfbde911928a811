/**
 * A recording's `spans.jsonl` (one OTLP/JSON ExportTraceServiceRequest per line, the Collector
 * file-exporter format) read as the receiver would have received it: each line is a batch that
 * arrives when its last span ended, as an exporter sends after spans end.
 */
import { type TraceBatch, countSpans, nanosToMs } from '../../otlp/otlp-message.js';
import { parseTraceRequestJson } from './otlp-json-request.js';

/** One line's batch and when it "arrives". */
export interface RecordedBatch {
  readonly batch: TraceBatch;
  /** The end of its last span (epoch ms). */
  readonly atMs: number;
  /** 1-based line number in `spans.jsonl`. */
  readonly line: number;
}

/** The usable batches in arrival order, and the lines that could not be used (skipped). */
export interface RecordedSpans {
  readonly batches: readonly RecordedBatch[];
  readonly problems: readonly { readonly line: number; readonly reason: string }[];
}

/**
 * Parses the lines (through the input boundary of parseTraceRequestJson) and orders the batches by
 * arrival; lines arriving at the same time keep file order. Blank lines and requests without spans
 * are skipped silently, malformed lines are reported. Never throws.
 */
export function readRecordedSpans(lines: readonly string[]): RecordedSpans {
  const batches: RecordedBatch[] = [];
  const problems: { line: number; reason: string }[] = [];
  lines.forEach((text, i) => {
    if (text.trim() === '') return;
    try {
      const request = parseTraceRequestJson(text);
      const atMs = lastEndMs(request);
      if (atMs !== undefined) batches.push({ batch: { request, spanCount: countSpans(request) }, atMs, line: i + 1 });
    } catch (error: unknown) {
      problems.push({ line: i + 1, reason: error instanceof Error ? error.message : String(error) });
    }
  });
  return { batches: batches.sort((a, b) => a.atMs - b.atMs || a.line - b.line), problems };
}

function lastEndMs(request: TraceBatch['request']): number | undefined {
  let last: number | undefined;
  for (const rs of request.resourceSpans) {
    for (const ss of rs.scopeSpans) {
      for (const span of ss.spans) last = Math.max(last ?? -Infinity, nanosToMs(span.endTimeUnixNano));
    }
  }
  return last;
}
