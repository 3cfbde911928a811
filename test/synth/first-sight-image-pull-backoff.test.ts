import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { IngestRecord } from '../../src/model/records.js';
import type { SpanData } from '../../src/model/span.js';
import { synthesizeRecords } from '../../src/replay.js';
import { readRecording } from '../../src/sources/recording/read-recording.js';
import { runScenario, writeRecording } from '../../tools/sim/index.js';
import { checkInvariants } from '../support/invariants.js';
import { cutAt } from '../perturb/perturb.js';

// A cut (issue 14): `run` installed while a pod's image pull keeps failing. The initial lists show
// the pod in ImagePullBackOff since 10:00:08; the whole recording saw that start and judged the
// startup stuck a minute later. Dated from first sight, the verdict came a minute after the cut
// instead, and the kubelet's status writes between the two stayed in the startup. The kubelet's
// Failed Event's firstTimestamp says when the pull first failed.

async function recording(): Promise<readonly IngestRecord[]> {
  const dir = join(await mkdtemp(join(tmpdir(), 'ks-pull-')), 'image-pull-error');
  await writeRecording(dir, runScenario('image-pull-error'));
  return (await readRecording(dir)).records;
}

function stuckStartups(input: readonly IngestRecord[]): string[] {
  const spans: SpanData[] = synthesizeRecords(input, { cluster: 'c' }).flat();
  expect(checkInvariants(spans)).toEqual([]);
  return spans
    .filter((s) => s.name === 'pod startup' && s.attributes['kubestitch.outcome'] === 'image-pull-backoff')
    .map((s) => `${String(s.attributes['k8s.pod.name'])} ${new Date(s.endMs).toISOString()}`);
}

describe('a pod first seen in image-pull back-off', () => {
  it('is judged stuck a minute after its first failed pull, as the whole recording judges it', async () => {
    const records = await recording();
    const cutMs = records[Math.floor(records.length * 0.5)]?.timeMs ?? 0;
    const whole = stuckStartups(records);
    expect(whole).toHaveLength(1);
    const [pod, wholeEnd] = (whole[0] ?? '').split(' ');
    const wholeEndMs = Date.parse(wholeEnd ?? '');
    // Owner-first lists (Events after Pods): the Failed Event's second-precision firstTimestamp,
    // within a second before the watched verdict.
    const [owned] = stuckStartups(cutAt(records, cutMs).records);
    const ownedEndMs = Date.parse(owned?.split(' ')[1] ?? '');
    expect(owned?.split(' ')[0]).toBe(pod);
    expect(ownedEndMs).toBeLessThanOrEqual(wholeEndMs);
    expect(ownedEndMs).toBeGreaterThan(wholeEndMs - 1000);
    // Events listed before the Pods reach no startup; the next BackOff's firstTimestamp (10:00:11)
    // still dates it well before a minute after first sight.
    for (const seed of [1, 2]) {
      const cut = stuckStartups(cutAt(records, cutMs, seed).records);
      expect(cut, `lists shuffled with seed ${String(seed)}`).toHaveLength(1);
      expect(Date.parse(cut[0]?.split(' ')[1] ?? '')).toBeLessThan(wholeEndMs + 3000);
    }
  });
});
