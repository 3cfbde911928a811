import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LiveOpenOperations } from '../../src/live/open-operations-source.js';
import type { SpanData } from '../../src/model/span.js';
import { writeRecording } from '../../src/sim/index.js';
import { readRecording } from '../../src/sources/recording/read-recording.js';
import { Synthesizer } from '../../src/synth/synthesizer.js';
import { stuckRollout } from '../support/stuck-rollout.js';

describe('LiveOpenOperations', () => {
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
