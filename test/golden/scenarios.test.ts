import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CaptureSink } from '../../src/export/capture-sink.js';
import { encodeOtlpJson } from '../../src/export/otlp-json.js';
import type { SpanData } from '../../src/model/span.js';
import { replayDirectory } from '../../src/replay.js';
import { SCENARIOS, runScenario, writeRecording } from '../../tools/sim/index.js';
import { checkInvariants } from '../support/invariants.js';
import { LINE_ORDERS, copyInOrder } from '../support/recording-orders.js';
import { renderTraces } from '../support/render-trace.js';

const GOLDEN_DIR = fileURLToPath(new URL('./expected/', import.meta.url));
const UPDATE = process.env['UPDATE_GOLDEN'] === '1';

async function removeEmptyFiles(dir: string): Promise<void> {
  for (const f of await readdir(dir)) if ((await stat(join(dir, f))).size === 0) await rm(join(dir, f));
}

interface Replayed {
  readonly spans: SpanData[];
  readonly otlp: string;
}

// Through the path `kubestitch replay` takes (replayDirectory), as a user's replay would.
async function replay(dir: string): Promise<Replayed> {
  const sink = new CaptureSink();
  const summary = await replayDirectory(dir, sink, { cluster: 'sim' });
  expect(summary.recording.problems).toEqual([]);
  expect(summary.exportFailures).toEqual([]);
  return { spans: [...sink.spans], otlp: sink.batches.map((b) => encodeOtlpJson(b)).join('\n') };
}

// Each scenario: watch + Events only (the Core issue's input), with audit as well, and audit alone
// (RequestResponse bodies must rebuild the same operations).
const VARIANTS = ['watch+events', 'all', 'audit-only'] as const;
const SUFFIX = { 'watch+events': '', all: '+audit', 'audit-only': '.audit-only' } as const;
for (const scenario of SCENARIOS) {
  for (const variant of VARIANTS) {
    const label = `${scenario}${SUFFIX[variant]}`;
    describe(`golden trace: ${label}`, () => {
      it('renders as the expected tree, byte-identical in every line order, holding DESIGN §3.5', async () => {
        const rec = runScenario(scenario);
        const base = await mkdtemp(join(tmpdir(), `ks-golden-${scenario}-`));
        const src = join(base, 'recorded');
        const input =
          variant === 'all' ? rec : variant === 'audit-only' ? { ...rec, watch: [], events: [] } : { ...rec, audit: [] };
        await writeRecording(src, input);
        if (variant !== 'all') await removeEmptyFiles(src);
        const outputs: Replayed[] = [];
        for (const order of LINE_ORDERS) {
          const dir = join(base, order);
          await copyInOrder(src, dir, order);
          outputs.push(await replay(dir));
        }
        const [first, ...rest] = outputs;
        if (first === undefined) throw new Error('no replay');
        for (const other of rest) expect(other.otlp).toBe(first.otlp);
        expect(checkInvariants(first.spans)).toEqual([]);
        const text = renderTraces(first.spans);
        const goldenPath = join(GOLDEN_DIR, `${label}.txt`);
        if (UPDATE) await writeFile(goldenPath, text);
        expect(text).toBe(await readFile(goldenPath, 'utf8'));
      });
    });
  }
}
