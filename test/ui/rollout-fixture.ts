import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SpanData } from '../../src/model/span.js';
import { synthesizeRecords } from '../../src/replay.js';
import { runScenario, writeRecording } from '../../tools/sim/index.js';
import { readRecording } from '../../src/sources/recording/read-recording.js';

/**
 * The simulator's rolling update (with audit), replayed: span batches in the order the pipeline
 * emits them — children finish first, the rollout root comes late. Cached per test file.
 */
let cached: Promise<SpanData[][]> | undefined;

export function rolloutBatches(): Promise<SpanData[][]> {
  cached ??= (async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ks-rollout-'));
    await writeRecording(dir, runScenario('rolling-update'));
    const recording = await readRecording(dir);
    return synthesizeRecords(recording.records, { cluster: 'sim' });
  })();
  return cached;
}

/** The rollout trace's root span (a Deployment rollout of shop/web). */
export function rolloutRoot(spans: readonly SpanData[]): SpanData {
  const root = spans.find((s) => s.name === 'Deployment rollout' && s.parentSpanId === undefined);
  if (root === undefined) throw new Error('the rolling-update scenario produced no rollout root');
  return root;
}
