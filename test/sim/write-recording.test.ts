import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateWorkload, runScenario, writeRecording, writeRecordingStream } from '../../tools/sim/index.js';

async function lines(dir: string, file: string): Promise<string[]> {
  return (await readFile(join(dir, file), 'utf8')).split('\n').filter((l) => l !== '');
}

describe('writeRecording', () => {
  it('writes one compact JSON per line: kubectl-sorted watch objects, apiserver-ordered audit', async () => {
    const rec = runScenario('job-retries');
    const dir = await mkdtemp(join(tmpdir(), 'sim-rec-'));
    await writeRecording(dir, rec);
    const watch = await lines(dir, 'watch.jsonl');
    expect(watch).toHaveLength(rec.watch.length);
    const first = JSON.parse(watch[0] ?? '{}') as { type: string; object: Record<string, unknown>; ts: string };
    expect(Object.keys(first)).toEqual(['type', 'object', 'ts']);
    expect(Object.keys(first.object)).toEqual([...Object.keys(first.object)].sort());
    expect(await lines(dir, 'events.jsonl')).toHaveLength(rec.events.length);
    const audit = await lines(dir, 'audit.log');
    expect(audit).toHaveLength(rec.audit.length);
    expect(Object.keys(JSON.parse(audit[0] ?? '{}') as object).slice(0, 4)).toEqual([
      'kind',
      'apiVersion',
      'level',
      'auditID',
    ]);
  });

  it('writes empty files for empty streams', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sim-rec-'));
    await writeRecording(dir, { watch: [], events: [], audit: [] });
    expect(await readFile(join(dir, 'audit.log'), 'utf8')).toBe('');
  });
});

describe('writeRecordingStream', () => {
  it('appends every chunk in order', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sim-rec-'));
    const options = { deployments: 2, podsPerDeployment: 2, rollouts: 0, chunkMs: 20_000 } as const;
    await writeRecordingStream(dir, generateWorkload(options));
    let total = 0;
    for (const c of generateWorkload(options)) total += c.audit.length;
    expect(await lines(dir, 'audit.log')).toHaveLength(total);
  });
});
