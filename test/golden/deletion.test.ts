import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { CaptureSink } from '../../src/export/capture-sink.js';
import { replayDirectory } from '../../src/replay.js';
import { type Recording, writeRecording } from '../../tools/sim/index.js';
import { checkInvariants } from '../support/invariants.js';
import { renderTraces } from '../support/render-trace.js';
import { deletionRecording } from '../synth/deletion-recording.js';

// `kubectl delete` of a Deployment, a StatefulSet and a running Job on the simulator (#14): each
// deletion one trace, the garbage collector's deletions and the pods' terminations under it.
const GOLDEN_DIR = fileURLToPath(new URL('./expected/', import.meta.url));
const UPDATE = process.env['UPDATE_GOLDEN'] === '1';
const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('golden trace: deletion', () => {
  const rec = deletionRecording();
  const variants: [string, Recording][] = [
    ['deletion', { ...rec, audit: [] }],
    ['deletion+audit', rec],
  ];
  for (const [label, input] of variants) {
    it(`${label} renders as the expected tree, holding DESIGN §3.5`, async () => {
      const dir = await mkdtemp(join(tmpdir(), 'ks-golden-deletion-'));
      dirs.push(dir);
      await writeRecording(dir, input);
      const sink = new CaptureSink();
      const summary = await replayDirectory(dir, sink, { cluster: 'sim' });
      expect(summary.recording.problems).toEqual([]);
      expect(checkInvariants(sink.spans)).toEqual([]);
      const text = renderTraces(sink.spans);
      const goldenPath = join(GOLDEN_DIR, `${label}.txt`);
      if (UPDATE) await writeFile(goldenPath, text);
      expect(text).toBe(await readFile(goldenPath, 'utf8'));
    });
  }
});
