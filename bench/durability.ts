import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DATA_DIR_SCHEMA_VERSION, IntakeLog, MemoryStore, openLevelStore } from '../storage/index.js';
import type { KvStore } from '../storage/index.js';
import { JournalPipeline, type PipelineLogger } from '../src/live/journal-pipeline.js';
import { toIntakeItem } from '../src/sources/audit/audit-entry.js';
import { parseEventList } from '../src/sources/audit/webhook-body.js';
import { Synthesizer } from '../src/synth/synthesizer.js';
import { CountingSink } from './counting-sink.js';

/** Which store the intake log sits on. */
export type IntakeBackend = 'leveldb' | 'memory';

export interface DurabilityResult {
  readonly backend: IntakeBackend;
  readonly records: number;
  readonly seconds: number;
  readonly recordsPerS: number;
  readonly spans: number;
}

const quiet: PipelineLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

/**
 * The `kubestitch run` audit path as the apiserver's webhook backend drives it: each EventList
 * body of `batchSize` events is parsed and checked (parseEventList), redacted and serialized
 * (toIntakeItem), appended to the journal (retained, as `run` keeps it), then drained into synth
 * and a CountingSink — parse → synth → encode, with the journal in between, on LevelDB (fsync per
 * batch, the production setting) or on a MemoryStore. Times everything from the first body to the last
 * drain. Rejects if the store cannot be opened or a body is refused.
 */
export async function measureIntake(
  backend: IntakeBackend,
  auditLines: readonly string[],
  batchSize: number,
): Promise<DurabilityResult> {
  const bodies: Buffer[] = [];
  for (let i = 0; i < auditLines.length; i += batchSize) {
    const items = auditLines.slice(i, i + batchSize).join(',');
    bodies.push(Buffer.from(`{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[${items}]}`));
  }
  const dir = await mkdtemp(join(tmpdir(), 'kubestitch-bench-'));
  const store: KvStore =
    backend === 'leveldb' ? await openLevelStore(dir, { schemaVersion: DATA_DIR_SCHEMA_VERSION }) : new MemoryStore();
  try {
    // The journal as `kubestitch run` opens it (startRunService): committed entries are kept for
    // replay after a restart, so a commit writes a checkpoint instead of deleting entries.
    const intake = await IntakeLog.open(store.namespace('journal'), {
      retainCommitted: true,
      dedupeMaxEntries: 200_000,
      maxBytes: 1 << 30,
    });
    const sink = new CountingSink();
    const synth = new Synthesizer({ cluster: 'bench' });
    const pipeline = new JournalPipeline({ journal: intake, synth, sink, logger: quiet });
    const t0 = performance.now();
    for (const body of bodies) {
      const parsed = parseEventList(body);
      if (!parsed.ok) throw new Error(`bench: EventList refused: ${parsed.message}`);
      await intake.append(parsed.events.map((e) => toIntakeItem(e).entry));
      await pipeline.drain();
    }
    const seconds = (performance.now() - t0) / 1000;
    await intake.close();
    return {
      backend,
      records: pipeline.stats.processed,
      seconds,
      recordsPerS: pipeline.stats.processed / seconds,
      spans: sink.spans,
    };
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
}
