import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { WorkloadOptions } from '../tools/sim/index.js';
import { generateWorkload } from '../tools/sim/index.js';
import type { BenchConfig } from './config.js';
import { type DurabilityResult, measureIntake } from './durability.js';
import { type HeapResult, measureHeap } from './heap.js';
import { type IngestResult, IngestMeter, writeChunk } from './ingest-meter.js';
import { type RawLine, chunkLines } from './line-records.js';

/** Retained heap in both cluster states, and the peak RSS of tracking the settled one. */
export interface HeapPhase {
  readonly settled: HeapResult;
  readonly starting: HeapResult;
  /** Peak RSS of the process up to the end of the settled measurement (it runs first). */
  readonly peakRssMb: number;
}

/** Measures retained heap; run it first, so peak RSS is that of tracking the cluster. */
export function heapPhase(config: BenchConfig): HeapPhase {
  const settled = measureHeap('settled', config.heapPods, config.podsPerDeployment);
  const peakRssMb = process.resourceUsage().maxRSS / 1024;
  const starting = measureHeap('starting', config.heapPods, config.podsPerDeployment);
  return { settled, starting, peakRssMb };
}

/** Audit and watch throughput over one simulated workload, plus how fast the simulator ran. */
export interface ThroughputPhase {
  readonly audit: IngestResult;
  readonly watch: IngestResult;
  readonly simSeconds: number;
  readonly simRecords: number;
}

/**
 * Writes the whole throughput workload to a scratch directory first, chunk by chunk, timing the
 * simulator; then, with the simulator's heap gone (its live state would otherwise be marked by
 * every major GC the pipeline triggers), replays all chunks into an audit meter, then into a
 * watch(+Events) meter. Removes the scratch directory. Rejects on I/O errors.
 */
export async function throughputPhase(workload: WorkloadOptions): Promise<ThroughputPhase> {
  const scratch = await mkdtemp(join(tmpdir(), 'kubestitch-bench-'));
  try {
    const { dirs, simSeconds, simRecords } = await generate(workload, scratch);
    const audit = await replayAll(new IngestMeter('audit'), dirs);
    const watch = await replayAll(new IngestMeter('watch'), dirs);
    return { audit, watch, simSeconds, simRecords };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

// One meter at a time, from a collected heap: only one pipeline's state is live, as in production.
async function replayAll(meter: IngestMeter, dirs: readonly string[]): Promise<IngestResult> {
  globalThis.gc?.();
  for (const dir of dirs) await meter.feed(dir);
  return meter.finish();
}

async function generate(
  workload: WorkloadOptions,
  scratch: string,
): Promise<{ dirs: string[]; simSeconds: number; simRecords: number }> {
  const dirs: string[] = [];
  let simMs = 0;
  let simRecords = 0;
  const chunks = generateWorkload(workload);
  for (;;) {
    const t0 = performance.now();
    const next = chunks.next();
    simMs += performance.now() - t0;
    if (next.done === true) break;
    const chunk = next.value;
    simRecords += chunk.audit.length + chunk.watch.length + chunk.events.length;
    const dir = join(scratch, String(dirs.length).padStart(5, '0'));
    await writeChunk(dir, chunk);
    dirs.push(dir);
  }
  return { dirs, simSeconds: simMs / 1000, simRecords };
}

/** Lines for the latency, intake and stitch phases. */
export interface Sample {
  /** Every line, all three files merged in processing order. */
  readonly lines: readonly RawLine[];
  /** The audit lines among them, in order. */
  readonly auditLines: readonly string[];
}

/** The first `records` lines of the sample workload (fewer if it ends first). */
export function samplePhase(workload: WorkloadOptions, records: number): Sample {
  const lines: RawLine[] = [];
  for (const chunk of generateWorkload(workload)) {
    for (const line of chunkLines(chunk)) lines.push(line);
    if (lines.length >= records) break;
  }
  lines.length = Math.min(lines.length, records);
  const auditLines = lines.filter((l) => l.source === 'audit').map((l) => l.text);
  return { lines, auditLines };
}

/** Intake log on LevelDB and in memory over the same audit events. */
export interface IntakePhase {
  readonly leveldb: DurabilityResult;
  readonly memory: DurabilityResult;
}

/** Runs the intake measurement on both stores (memory first, to warm the code paths). */
export async function intakePhase(auditLines: readonly string[], batch: number): Promise<IntakePhase> {
  const memory = await measureIntake('memory', auditLines, batch);
  const leveldb = await measureIntake('leveldb', auditLines, batch);
  return { leveldb, memory };
}
