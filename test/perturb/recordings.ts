import { existsSync } from 'node:fs';
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { IngestRecord } from '../../src/model/records.js';
import { type Recording, SCENARIOS, runScenario, writeRecording } from '../../tools/sim/index.js';
import { readRecording } from '../../src/sources/recording/read-recording.js';
import { deletionRecording } from '../synth/deletion-recording.js';

export interface NamedRecording {
  readonly name: string;
  readonly records: readonly IngestRecord[];
}

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const EXAMPLES = ['examples/rolling-update', 'examples/rolling-update-audit', 'examples/demo/rollout'];
const REAL = join(ROOT, 'test/fixtures/real');

/**
 * Every recording the tests have: real control-plane recordings (test/fixtures/real/*, when the
 * lead has dropped them in), the examples, and each simulator scenario with and without audit.
 */
export async function allRecordings(): Promise<NamedRecording[]> {
  const out: NamedRecording[] = [];
  if (existsSync(REAL)) {
    for (const d of (await readdir(REAL, { withFileTypes: true })).filter((e) => e.isDirectory())) {
      const rec = await readRecording(join(REAL, d.name));
      out.push({ name: `real/${d.name}`, records: rec.records });
    }
  }
  for (const e of EXAMPLES) out.push({ name: e, records: (await readRecording(join(ROOT, e))).records });
  const base = await mkdtemp(join(tmpdir(), 'ks-perturb-'));
  // The simulator's scenarios, and the deletion recording the deletion golden replays (kubectl
  // delete of a Deployment, a StatefulSet and a running Job: garbage collection and terminations).
  const sims: [string, Recording][] = [...SCENARIOS.map((s): [string, Recording] => [s, runScenario(s)])];
  sims.push(['deletion', deletionRecording()]);
  for (const [scenario, rec] of sims) {
    const inputs: [string, Recording][] = [
      ['', { ...rec, audit: [] }],
      ['+audit', rec],
    ];
    for (const [label, input] of inputs) {
      const dir = join(base, `${scenario}${label}`);
      await writeRecording(dir, input);
      out.push({ name: `sim/${scenario}${label}`, records: (await readRecording(dir)).records });
    }
  }
  return out;
}
