import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { IngestRecord } from '../../src/model/records.js';
import type { SpanData } from '../../src/model/span.js';
import { synthesizeRecords } from '../../src/replay.js';
import { readRecording } from '../../src/sources/recording/read-recording.js';
import { type ScenarioName, runScenario, writeRecording } from '../../tools/sim/index.js';
import { checkInvariants } from '../support/invariants.js';
import { cutAt } from '../perturb/perturb.js';

// A cut (issue 14): `run` installed a second after a Job's pod exited. The initial lists show the
// pod Failed (job-retries) or Succeeded (cronjob), its container's startedAt and finishedAt set,
// the Job still running. The whole recording ran that pod under the Job: a startup, then a `pod
// run` holding the kubelet's last status patch. Before, a pod first seen finished and not Ready
// opened nothing, so that patch stood in the pod's activity trace of its own.

async function recording(scenario: ScenarioName): Promise<readonly IngestRecord[]> {
  const dir = join(await mkdtemp(join(tmpdir(), 'ks-job-pod-')), scenario);
  await writeRecording(dir, runScenario(scenario));
  return (await readRecording(dir)).records;
}

function synthesize(input: readonly IngestRecord[]): SpanData[] {
  const spans = synthesizeRecords(input, { cluster: 'c' }).flat();
  expect(checkInvariants(spans)).toEqual([]);
  return spans;
}

// Each audited write to a pod from `fromMs` on, with the names of its parent and ancestors.
function podWrites(spans: readonly SpanData[], fromMs: number): string[] {
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const chain = (s: SpanData): string[] => {
    const names: string[] = [];
    for (let p = byId.get(s.parentSpanId ?? ''); p !== undefined; p = byId.get(p.parentSpanId ?? '')) {
      names.push(p.name);
    }
    return names;
  };
  return spans
    .filter((s) => s.startMs >= fromMs && /^(patch|update) pods/.test(s.name))
    .map((s) => `${s.name} < ${chain(s).join(' < ')}`)
    .sort();
}

describe('a Job’s pod first seen finished', () => {
  for (const scenario of ['job-retries', 'cronjob'] as const) {
    it(`${scenario} cut halfway, just after a pod exited: its last status write is in its run under the Job`, async () => {
      const records = await recording(scenario);
      const cutMs = records[Math.floor(records.length * 0.5)]?.timeMs ?? 0;
      const whole = podWrites(synthesize(records), cutMs);
      expect(whole.some((w) => w.startsWith('patch pods/status < pod run < Job run'))).toBe(true);
      for (const seed of [undefined, 1, 2]) {
        const cut = podWrites(synthesize(cutAt(records, cutMs, seed).records), cutMs);
        expect(cut, `lists shuffled with seed ${String(seed)}`).toEqual(whole);
      }
    });
  }

  it('a pod first seen finished long after its creation still opens nothing', async () => {
    const records = await recording('job-retries');
    const cutMs = (records.at(-1)?.timeMs ?? 0) + 120_000;
    const lists = cutAt(records, cutMs).records;
    const failedPods = lists.filter(
      (r) =>
        r.source === 'object' && r.object['kind'] === 'Pod' && JSON.stringify(r.object['status']).includes('"Failed"'),
    );
    expect(failedPods.length).toBeGreaterThan(0);
    const spans = synthesize(lists);
    expect(spans.filter((s) => s.name === 'pod startup' || s.name === 'pod run')).toEqual([]);
  });
});
