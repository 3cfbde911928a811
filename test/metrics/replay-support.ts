/**
 * Replays every simulator scenario (watch + Events + audit) through `replayDirectory` into a
 * CaptureSink wrapped by MetricsSink, the way `kubestitch replay` would with metrics on.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CaptureSink } from '../../src/export/capture-sink.js';
import { encodeOtlpJson } from '../../src/export/otlp-json.js';
import { KubestitchMetrics, type KubestitchMetricsOptions } from '../../src/metrics/kubestitch-metrics.js';
import { MetricsSink } from '../../src/metrics/metrics-sink.js';
import type { SpanData } from '../../src/model/span.js';
import { replayDirectory } from '../../src/replay.js';
import { SCENARIOS, runScenario, writeRecording } from '../../tools/sim/index.js';

export interface ReplayedScenarios {
  readonly metrics: KubestitchMetrics;
  /** Every span the sink accepted. */
  readonly spans: readonly SpanData[];
  /** The accepted spans of each scenario (ids repeat across scenarios: same seed, same cluster). */
  readonly byScenario: ReadonlyMap<string, readonly SpanData[]>;
  /** The trace output as OTLP/JSON lines (what a file sink would have written). */
  readonly otlpLines: readonly string[];
}

/** Replays all scenarios into one metrics instance (as one long-running process would see them). */
export async function replayAllScenarios(options: KubestitchMetricsOptions): Promise<ReplayedScenarios> {
  const metrics = new KubestitchMetrics(options);
  const capture = new CaptureSink();
  const sink = new MetricsSink(capture, metrics, { sinkName: 'capture', counters: metrics.self });
  const base = await mkdtemp(join(tmpdir(), 'ks-metrics-'));
  const byScenario = new Map<string, readonly SpanData[]>();
  try {
    for (const scenario of SCENARIOS) {
      const dir = join(base, scenario);
      await writeRecording(dir, runScenario(scenario));
      const before = capture.spans.length;
      const summary = await replayDirectory(dir, sink, { cluster: 'sim' });
      byScenario.set(scenario, capture.spans.slice(before));
      if (summary.exportFailures.length > 0) throw new Error(`${scenario}: ${summary.exportFailures.join('; ')}`);
    }
  } finally {
    await rm(base, { recursive: true, force: true });
  }
  await sink.shutdown();
  return { metrics, spans: capture.spans, byScenario, otlpLines: capture.batches.map((b) => encodeOtlpJson(b)) };
}
