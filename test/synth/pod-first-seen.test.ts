import { describe, expect, it } from 'vitest';
import { Synthesizer } from '../../src/synth/synthesizer.js';
import { runningPod, seen } from '../support/first-seen-pod.js';
import { checkInvariants } from '../support/invariants.js';

const T0 = Date.parse('2026-03-01T10:00:00Z');

describe('a pod first seen already Ready', () => {
  it('still gets its startup, from its status times, when it was created moments before', () => {
    const synth = new Synthesizer({ cluster: 'c' });
    const spans = [
      ...synth.process(seen(runningPod(T0, T0 + 4_000, { ready: true, sinceMs: T0 + 6_000 }), T0 + 9_000)),
      ...synth.flush(),
    ];
    expect(checkInvariants(spans)).toEqual([]);
    const startup = spans.find((s) => s.name === 'pod startup');
    expect(startup?.attributes['kubestitch.outcome']).toBe('ok');
    expect(startup?.startMs).toBeLessThan(T0 + 1_000);
    expect(startup?.endMs).toBeGreaterThanOrEqual(T0 + 6_000);
    expect(startup?.endMs).toBeLessThan(T0 + 7_000);
  });

  it('gets none when it has been running for long (an initial list of a live cluster)', () => {
    const synth = new Synthesizer({ cluster: 'c' });
    const spans = [
      ...synth.process(seen(runningPod(T0, T0 + 4_000, { ready: true, sinceMs: T0 + 6_000 }), T0 + 3_600_000)),
      ...synth.flush(),
    ];
    expect(spans.filter((s) => s.name === 'pod startup')).toEqual([]);
  });
});
