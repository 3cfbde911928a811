import { describe, expect, it } from 'vitest';
import { generateWorkload, watchLineJson, workloadPlan } from '../../tools/sim/index.js';
import type { Recording } from '../../tools/sim/index.js';
import {
  auditProblems,
  eventSubjectProblems,
  liveLines,
  metaOf,
  ownerProblems,
  streamOrderProblems,
} from './recording-checks.js';

const OPTIONS = { deployments: 6, podsPerDeployment: 3, rollouts: 1, concurrency: 2, chunkMs: 30_000 } as const;

function concat(chunks: Iterable<Recording>): { rec: Recording; count: number } {
  const rec: Recording = { watch: [], events: [], audit: [] };
  let count = 0;
  for (const c of chunks) {
    count++;
    rec.watch.push(...c.watch);
    rec.events.push(...c.events);
    rec.audit.push(...c.audit);
  }
  return { rec, count };
}

describe('generateWorkload', () => {
  const { rec, count } = concat(generateWorkload(OPTIONS));

  it('yields several chunks that join into one consistent recording', () => {
    expect(count).toBeGreaterThan(3);
    expect(streamOrderProblems(liveLines(rec), 'watch')).toEqual([]);
    expect(streamOrderProblems(rec.events, 'events')).toEqual([]);
    expect(ownerProblems(rec)).toEqual([]);
    expect(eventSubjectProblems(rec)).toEqual([]);
    expect(auditProblems(rec)).toEqual([]);
  });

  it('creates, rolls and deletes every Deployment, leaving no pods behind', () => {
    const deployments = rec.watch.filter((l) => metaOf(l.object).kind === 'Deployment');
    expect(new Set(deployments.map((l) => metaOf(l.object).name)).size).toBe(6);
    expect(deployments.filter((l) => l.type === 'DELETED')).toHaveLength(6);
    const pods = rec.watch.filter((l) => metaOf(l.object).kind === 'Pod');
    const added = pods.filter((l) => l.type === 'ADDED').length;
    expect(added).toBe(6 * 3 * 2);
    expect(pods.filter((l) => l.type === 'DELETED')).toHaveLength(added);
  });

  it('keeps at most `concurrency` Deployments worth of pods alive at once', () => {
    let live = 0;
    let peak = 0;
    for (const l of rec.watch) {
      if (metaOf(l.object).kind !== 'Pod') continue;
      live += l.type === 'ADDED' ? 1 : l.type === 'DELETED' ? -1 : 0;
      peak = Math.max(peak, live);
    }
    expect(peak).toBeLessThanOrEqual(2 * 3 * 2);
  });

  it('is deterministic for the same options', () => {
    const again = concat(generateWorkload(OPTIONS)).rec;
    expect(again.watch.map(watchLineJson)).toEqual(rec.watch.map(watchLineJson));
    expect(again.audit.map((a) => a.auditID)).toEqual(rec.audit.map((a) => a.auditID));
  });

  it('rejects empty sizes', () => {
    expect(() => generateWorkload({ deployments: 0, podsPerDeployment: 1, rollouts: 0 }).next()).toThrow();
  });
});

describe('workloadPlan', () => {
  it('sizes the node pool for the concurrent pods and paces Deployments over their lifetime', () => {
    const plan = workloadPlan({ deployments: 10_000, podsPerDeployment: 10, rollouts: 1, concurrency: 100 });
    expect(plan.nodes).toBeGreaterThanOrEqual(Math.ceil((100 * 10 * 1.5) / 110));
    expect(plan.spacingUs * 100).toBeCloseTo(plan.lifetimeUs, -3);
  });
});
