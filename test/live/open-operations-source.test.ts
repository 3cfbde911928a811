import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LiveOpenOperations } from '../../src/live/open-operations-source.js';
import type { SpanData } from '../../src/model/span.js';
import { type ScenarioName, runScenario, writeRecording } from '../../tools/sim/index.js';
import type { Recording } from '../../tools/sim/index.js';
import { readRecording } from '../../src/sources/recording/read-recording.js';
import { Synthesizer } from '../../src/synth/synthesizer.js';
import { stuckRollout } from '../support/stuck-rollout.js';

/** What the source says each open root waits for, `atS` seconds into the recording. */
async function waitingAt(rec: Recording, atS: readonly number[]): Promise<string[][]> {
  const dir = await mkdtemp(join(tmpdir(), 'ks-open-ops-'));
  await writeRecording(dir, rec);
  const { records } = await readRecording(dir);
  const synth = new Synthesizer({ cluster: 'c' });
  const source = new LiveOpenOperations(synth);
  const t0 = records[0]?.timeMs ?? 0;
  const out: string[][] = [];
  let i = 0;
  for (const s of atS) {
    for (; i < records.length && (records[i]?.timeMs ?? 0) <= t0 + s * 1000; i++) {
      const r = records[i];
      if (r !== undefined) synth.process(r);
    }
    out.push(source.list(t0 + s * 1000).map((o) => `${o.operation} ${o.name}: ${o.waitingOn}`));
  }
  return out;
}

const scenario = (name: ScenarioName): Recording => runScenario(name);

describe('LiveOpenOperations', () => {
  it('names a failing pull with its retries, and the pod once its startup was judged stuck', async () => {
    const [early, late] = await waitingAt(scenario('image-pull-error'), [40, 120]);
    expect(early).toEqual([
      expect.stringMatching(
        /^Deployment rollout frontend: pull nginx:1\.27\.9: ImagePullBackOff, \d+ retries; ReplicaSet frontend-\w+: 0 of 1 ready, progressDeadlineSeconds in 9m\d+s$/,
      ),
    ]);
    expect(late).toEqual([
      expect.stringMatching(
        /^Deployment rollout frontend: pull nginx:1\.27\.9: ImagePullBackOff \(pod frontend-\w+-\w+\); ReplicaSet/,
      ),
    ]);
  });

  it('names an unschedulable pod with the scheduler’s reason', async () => {
    const [waiting] = await waitingAt(scenario('failed-scheduling'), [30]);
    expect(waiting).toEqual([
      expect.stringMatching(
        /^Deployment rollout search: pod search-\w+-\w+: unschedulable: 0\/3 nodes are available: 3 Insufficient cpu\./,
      ),
    ]);
  });

  it('lists a stuck rollout with the unready pod it waits for, and its open spans under their final ids', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ks-open-ops-'));
    await writeRecording(dir, stuckRollout({ lengthS: 90 }));
    const { records } = await readRecording(dir);
    const synth = new Synthesizer({ cluster: 'c' });
    const source = new LiveOpenOperations(synth);
    const exported: SpanData[] = [];
    for (const r of records) exported.push(...synth.process(r));
    const nowMs = (records[records.length - 1]?.timeMs ?? 0) + 1_000;

    const ops = source.list(nowMs);
    const rollout = ops.find((o) => o.operation === 'Deployment rollout');
    expect(rollout).toMatchObject({ kind: 'Deployment', namespace: 'shop', name: 'web' });
    expect(rollout?.waitingOn).toMatch(
      /^pod web-\w+-\w+: readiness \(unready 1m\d+s\): HTTP probe failed with statuscode: 503; ReplicaSet web-\w+: 0 of 1 ready, progressDeadlineSeconds in 8m\d+s$/,
    );
    expect(rollout?.elapsedMs).toBeGreaterThan(60_000);
    // µs start + elapsed = now.
    expect(Math.abs((rollout?.startTime ?? 0) / 1000 + (rollout?.elapsedMs ?? 0) - nowMs)).toBeLessThanOrEqual(1);

    const open = source.openSpans(rollout?.traceID ?? '', nowMs);
    expect(open.map((s) => s.name)).toEqual(['Deployment rollout', 'ReplicaSet scale up', 'pod startup']);
    for (const s of open) {
      expect(s.attributes['kubestitch.open']).toBe(true);
      expect(s.endMs).toBe(nowMs);
      expect(s.traceId).toBe(rollout?.traceID);
    }
    // The finished phases already left, under the startup the viewer now shows open.
    const startup = open[2];
    const phases = exported.filter((s) => s.parentSpanId === startup?.spanId).map((s) => s.name);
    expect(phases).toEqual(expect.arrayContaining(['schedule', 'pull nginx:1.26', 'start nginx']));

    // And when the rollout ends, its spans go out under the ids the viewer showed.
    const final = [...exported, ...synth.flush()];
    for (const s of open) {
      const out = final.find((f) => f.spanId === s.spanId);
      expect(out && { traceId: out.traceId, parentSpanId: out.parentSpanId, name: out.name }).toEqual({
        traceId: s.traceId,
        parentSpanId: s.parentSpanId,
        name: s.name,
      });
    }
    expect(source.list(nowMs)).toEqual([]);
  });
});
