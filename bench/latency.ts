import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { ATTR, OPERATION } from '../src/model/attributes.js';
import type { SpanData } from '../src/model/span.js';
import { Synthesizer } from '../src/synth/synthesizer.js';
import { CountingSink } from './counting-sink.js';
import { type RawLine, parseLine } from './line-records.js';
import { percentile } from './stats.js';

/** What a paced run measured. */
export interface LatencyResult {
  readonly targetPerS: number;
  readonly achievedPerS: number;
  readonly records: number;
  /** Leaf spans measured: audited requests and pod phases. */
  readonly leafSpans: number;
  /** Operation spans left out (they end when their last part arrives). */
  readonly operationSpans: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** Arrival → spans handed over, per record (spans or not), p99. */
  readonly recordP99Ms: number;
}

/** Audited requests and pod phases: spans whose end is the record that completes them. */
export function isLeafSpan(span: SpanData): boolean {
  const op = span.attributes[ATTR.operation];
  return op === undefined || op === OPERATION.podPhase;
}

/**
 * Feeds `lines` (in processing order) to parse → synth → OTLP/JSON encode at a steady
 * `ratePerS`, paced by the wall clock: line i arrives at start + i / rate. Latency of a span is
 * from the arrival of the record whose processing completed it to the moment it is handed to the
 * exporter, so it includes waiting behind earlier records. Only leaf spans count (isLeafSpan).
 * Never rejects.
 */
export async function measureLatency(lines: readonly RawLine[], ratePerS: number): Promise<LatencyResult> {
  const synth = new Synthesizer({ cluster: 'bench' });
  const spanLatency: number[] = [];
  const recordLatency: number[] = [];
  let arrivedAt = 0;
  let operationSpans = 0;
  const sink = new CountingSink((spans) => {
    const now = performance.now();
    for (const s of spans) {
      if (isLeafSpan(s)) spanLatency.push(now - arrivedAt);
      else operationSpans++;
    }
  });
  // The bench's own garbage (the sample it just built) must not be collected inside the run.
  globalThis.gc?.();
  const intervalMs = 1000 / ratePerS;
  const start = performance.now() + 5;
  for (let i = 0; i < lines.length;) {
    const now = performance.now();
    const due = start + i * intervalMs;
    if (due > now) {
      await (due - now > 2 ? sleep(Math.floor(due - now) - 1) : new Promise<void>((r) => setImmediate(r)));
      continue;
    }
    // Everything due by now, back to back (a real intake queue would hold them the same way).
    for (; i < lines.length && start + i * intervalMs <= performance.now(); i++) {
      const line = lines[i];
      if (line === undefined) break;
      arrivedAt = start + i * intervalMs;
      const record = parseLine(line, i + 1);
      const spans = record === undefined ? [] : synth.process(record);
      if (spans.length > 0) await sink.write(spans);
      recordLatency.push(performance.now() - arrivedAt);
    }
  }
  const elapsedS = (performance.now() - start) / 1000;
  return {
    targetPerS: ratePerS,
    achievedPerS: lines.length / elapsedS,
    records: lines.length,
    leafSpans: spanLatency.length,
    operationSpans,
    p50Ms: percentile(spanLatency, 0.5),
    p99Ms: percentile(spanLatency, 0.99),
    maxMs: percentile(spanLatency, 1),
    recordP99Ms: percentile(recordLatency, 0.99),
  };
}
