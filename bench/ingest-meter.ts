import { mkdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Recording } from '../tools/sim/index.js';
import { writeRecording } from '../tools/sim/index.js';
import { readRecording } from '../src/sources/recording/read-recording.js';
import { SpanBatcher } from '../src/export/span-batcher.js';
import { Synthesizer } from '../src/synth/synthesizer.js';
import { CountingSink } from './counting-sink.js';

/** Which part of a recording a meter replays. */
export type IngestSource = 'audit' | 'watch';

/** What one ingest measurement saw; seconds are wall time of the timed parts only. */
export interface IngestResult {
  readonly records: number;
  readonly bytes: number;
  /** Read → parse → synth → OTLP/JSON encode, including the final flush. */
  readonly pipelineSeconds: number;
  /** `JSON.parse` of every line of the same files, nothing else. */
  readonly jsonParseSeconds: number;
  readonly spans: number;
  readonly otlpBytes: number;
  readonly problems: number;
}

const FILES: Readonly<Record<IngestSource, readonly string[]>> = {
  audit: ['audit.log'],
  watch: ['watch.jsonl', 'events.jsonl'],
};

/**
 * Replays a workload chunk by chunk through the `replay` path — readRecording → Synthesizer →
 * SpanBatcher → encodeOtlpJsonBytes into a CountingSink — keeping one Synthesizer across chunks, so state builds up
 * as in one long recording. Chunks are recording directories written beforehand (see
 * writeChunk); each is a whole virtual-time slice, so sorting within it is the global processing
 * order. The same files are then `JSON.parse`d line by line as the physical limit. Rejects on I/O
 * errors.
 */
export class IngestMeter {
  readonly #source: IngestSource;
  readonly #synth = new Synthesizer({ cluster: 'bench' });
  readonly #sink = new CountingSink();
  #records = 0;
  #bytes = 0;
  #pipelineMs = 0;
  #parseMs = 0;
  #problems = 0;

  constructor(source: IngestSource) {
    this.#source = source;
  }

  /** Measures one chunk directory written by writeChunk: replays it (timed), JSON.parses it (timed). */
  async feed(chunkDir: string): Promise<void> {
    const dir = join(chunkDir, this.#source);
    for (const f of FILES[this.#source]) this.#bytes += (await stat(join(dir, f))).size;
    await this.#replay(dir);
    await this.#jsonParse(dir);
  }

  /** Flushes synth (timed, as replay's end does) and returns the totals. */
  async finish(): Promise<IngestResult> {
    const t0 = performance.now();
    const last = this.#synth.flush();
    if (last.length > 0) await this.#sink.write(last);
    this.#pipelineMs += performance.now() - t0;
    return {
      records: this.#records,
      bytes: this.#bytes,
      pipelineSeconds: this.#pipelineMs / 1000,
      jsonParseSeconds: this.#parseMs / 1000,
      spans: this.#sink.spans,
      otlpBytes: this.#sink.bytes,
      problems: this.#problems,
    };
  }

  async #replay(dir: string): Promise<void> {
    const t0 = performance.now();
    const recording = await readRecording(dir);
    // As replayDirectory writes: batches of up to 512 spans, awaited only under backpressure.
    const out = new SpanBatcher(this.#sink);
    for (const record of recording.records) {
      const spans = this.#synth.process(record);
      if (spans.length === 0) continue;
      const wait = out.add(spans);
      if (wait !== undefined) await wait;
    }
    await out.finish();
    this.#pipelineMs += performance.now() - t0;
    this.#records += recording.records.length;
    this.#problems += recording.problems.length;
  }

  async #jsonParse(dir: string): Promise<void> {
    for (const f of FILES[this.#source]) {
      const lines = (await readFile(join(dir, f), 'utf8')).split('\n');
      const t0 = performance.now();
      for (const line of lines) if (line !== '') JSON.parse(line);
      this.#parseMs += performance.now() - t0;
    }
  }
}

/**
 * Writes one simulator chunk as two recording directories under `chunkDir`: `audit/` (audit.log)
 * and `watch/` (watch.jsonl, events.jsonl), as writeRecording formats them. Rejects on I/O errors.
 */
export async function writeChunk(chunkDir: string, chunk: Recording): Promise<void> {
  await mkdir(chunkDir, { recursive: true });
  await writeRecording(join(chunkDir, 'audit'), { watch: [], events: [], audit: chunk.audit });
  await writeRecording(join(chunkDir, 'watch'), { watch: chunk.watch, events: chunk.events, audit: [] });
}
