/**
 * `kubectl rollout undo`: the Deployment's template is an older ReplicaSet's again. The deployment
 * controller first gives that ReplicaSet the next revision (getNewReplicaSet), then scales it up
 * and the other down. The rollback is one rollout holding both steps, as any rollout: the
 * ReplicaSet going down is not "the newest scaled below its Deployment" (it is no longer the
 * newest), and the revision update (watched, and its audited request) has no root of its own.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CaptureSink } from '../../src/export/capture-sink.js';
import { ATTR } from '../../src/model/attributes.js';
import type { SpanData } from '../../src/model/span.js';
import { replayDirectory } from '../../src/replay.js';
import { generateWorkload, writeRecordingStream } from '../../tools/sim/index.js';
import { checkInvariants } from '../support/invariants.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

// One Deployment rolled out twice: the simulator's second rollout goes back to the first template.
async function replayRollback(withAudit: boolean): Promise<SpanData[]> {
  const dir = await mkdtemp(join(tmpdir(), 'kubestitch-rollback-'));
  dirs.push(dir);
  const chunks = [...generateWorkload({ deployments: 1, podsPerDeployment: 3, rollouts: 2 })];
  await writeRecordingStream(dir, withAudit ? chunks : chunks.map((c) => ({ ...c, audit: [] })));
  const sink = new CaptureSink();
  const summary = await replayDirectory(dir, sink, { cluster: 'sim' });
  expect(summary.recording.problems).toEqual([]);
  return [...sink.spans];
}

describe.each([
  ['watch and Events', false],
  ['watch, Events and audit', true],
])('a rollback (rollout undo), from %s', (_input, withAudit) => {
  it('is one rollout: the promoted ReplicaSet scaled up and the other down under it, no other root', async () => {
    const spans = await replayRollback(withAudit);
    expect(checkInvariants(spans)).toEqual([]);
    const rollouts = spans.filter((s) => s.name === 'Deployment rollout').sort((a, b) => a.startMs - b.startMs);
    expect(rollouts).toHaveLength(3);
    const undo = rollouts[2];
    const first = rollouts[0];
    if (undo === undefined || first === undefined) throw new Error('no rollback');
    const steps = spans
      .filter((s) => s.parentSpanId === undo.spanId && s.name.startsWith('ReplicaSet scale'))
      .map((s) => `${s.name} ${String(s.attributes[ATTR.objectName])}`)
      .sort();
    const firstRs = spans.find((s) => s.parentSpanId === first.spanId && s.name === 'ReplicaSet scale up');
    const promoted = String(firstRs?.attributes[ATTR.objectName]);
    expect(steps).toHaveLength(2);
    expect(steps).toContain(`ReplicaSet scale up ${promoted}`);
    expect(steps.some((s) => s.startsWith('ReplicaSet scale down ') && !s.endsWith(promoted))).toBe(true);
    // (The Deployment's deletion later leaves ReplicaSet activity: there is no deletion operation.)
    const rsRoots = spans.filter(
      (s) => s.parentSpanId === undefined && s.name.startsWith('ReplicaSet') && s.startMs <= undo.endMs,
    );
    expect(rsRoots.map((s) => s.name)).toEqual([]);
  });
});
