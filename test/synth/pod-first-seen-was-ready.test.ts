import { describe, expect, it } from 'vitest';
import type { JsonObject } from '../../src/model/kube-json.js';
import { Synthesizer } from '../../src/synth/synthesizer.js';
import { runningPod, seen } from '../support/first-seen-pod.js';

// A pod first seen not Ready (an initial list, a recording cut mid-way) is starting only if it has
// never been Ready. Ready False since after its running container started means it was Ready and
// lost it (its node went silent, a readiness probe failing): its startup was over before we saw
// it, and what follows (its status writes) belongs to its activity, not to a startup drawn from
// its creation minutes ago (the perturbation harness's cut of sim/node-not-ready+audit).

const T0 = Date.parse('2026-03-01T10:00:00Z');

function notReadyPod(createdMs: number, startedMs: number, notReadyMs: number): JsonObject {
  return runningPod(createdMs, startedMs, { ready: false, sinceMs: notReadyMs });
}

function startups(object: JsonObject, seenMs: number): number {
  const synth = new Synthesizer({ cluster: 'c' });
  return [...synth.process(seen(object, seenMs)), ...synth.flush()].filter((s) => s.name === 'pod startup').length;
}

describe('a pod first seen not Ready', () => {
  it('gets no startup when Ready went False after its container started (it had been Ready)', () => {
    expect(startups(notReadyPod(T0 - 720_000, T0 - 712_000, T0), T0 + 500)).toBe(0);
  });

  it('still gets its startup when Ready has been False since before its container started', () => {
    expect(startups(notReadyPod(T0 - 5_000, T0 - 2_000, T0 - 4_000), T0 + 500)).toBe(1);
  });
});
