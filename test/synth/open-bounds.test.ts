import { describe, expect, it } from 'vitest';
import { ATTR, OPERATION, OUTCOME } from '../../src/model/attributes.js';
import type { SpanData } from '../../src/model/span.js';
import { Synthesizer } from '../../src/synth/synthesizer.js';
import { checkInvariants } from '../support/invariants.js';
import { feedConfigMapUpdate, feedPendingPod } from './synth-feeds.js';

// Issue 16: open operations and activity windows are bounded by count, not only by time.
const T0 = Date.parse('2026-03-01T10:00:00Z');
/** A pod of the storm nobody schedules: its startup stays open (until the 1 h max age, or the bound). */
const feedStormPod = (synth: Synthesizer, i: number, atMs: number): SpanData[] =>
  feedPendingPod(
    synth,
    {
      name: `storm-${i}`,
      namespace: 'storm',
      uid: `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`,
      resourceVersion: String(1000 + i),
    },
    atMs,
    i + 1,
  );

const openRoots = (synth: Synthesizer): number => synth.inProgress.roots().length;

describe('open operations and windows bounded by count (#16)', () => {
  it('ends the oldest pending pod startups as unfinished (max-open) past the bound, and counts them', () => {
    const synth = new Synthesizer({ cluster: 'c', maxOpenOperations: 100 });
    const out: SpanData[] = [];
    let most = 0;
    for (let i = 0; i < 1_000; i++) {
      out.push(...feedStormPod(synth, i, T0 + i * 100));
      most = Math.max(most, openRoots(synth));
    }
    // Never more open than the bound: what a storm holds follows the bound, not the storm.
    expect(most).toBeLessThanOrEqual(100);
    expect(openRoots(synth)).toBeGreaterThanOrEqual(90);
    expect(synth.evictions.operations).toBe(1_000 - openRoots(synth));
    out.push(...synth.advance(T0 + 1_000 * 100 + 60_000));
    const startups = out.filter((s) => s.attributes[ATTR.operation] === OPERATION.podStartup);
    const evicted = startups.filter((s) => s.attributes['kubestitch.close_reason'] === 'max-open');
    // Exported, not lost: each evicted startup says it did not finish and why it ended early.
    expect(evicted).toHaveLength(synth.evictions.operations);
    expect(evicted.every((s) => s.attributes[ATTR.outcome] === OUTCOME.unfinished)).toBe(true);
    // The oldest go first.
    expect(evicted.map((s) => s.attributes[ATTR.podName])).toContain('storm-0');
    expect(evicted.map((s) => s.attributes[ATTR.podName])).not.toContain('storm-999');
    out.push(...synth.flush(T0 + 1_000 * 100 + 120_000));
    expect(checkInvariants(out)).toEqual([]);
  });

  it('closes the oldest activity window at its last evidence past the bound, and counts it', () => {
    const synth = new Synthesizer({ cluster: 'c', maxOpenWindows: 50 });
    const out: SpanData[] = [];
    for (let i = 0; i < 120; i++) out.push(...feedConfigMapUpdate(synth, `audit-cm-${i}`, T0 + i * 1_000, `cm-${i}`));
    expect(synth.evictions.windows).toBe(70);
    out.push(...synth.advance(T0 + 120 * 1_000 + 60_000));
    const windows = out.filter((s) => s.attributes[ATTR.operation] === OPERATION.activityWindow);
    // The 70 evicted windows are exported at once; the 50 still open wait for their window's end.
    expect(windows).toHaveLength(70);
    expect(windows.every((s) => s.attributes['kubestitch.close_reason'] === 'max-open')).toBe(true);
    const first = windows.find((s) => Object.values(s.attributes).includes('cm-0'));
    expect(first?.endMs).toBeLessThan(T0 + 1_000);
    out.push(...synth.flush(T0 + 60 * 60_000));
    expect(out.filter((s) => s.attributes[ATTR.operation] === OPERATION.activityWindow)).toHaveLength(120);
    expect(checkInvariants(out)).toEqual([]);
  });

  it('changes nothing below the bound', () => {
    const bounded = new Synthesizer({ cluster: 'c', maxOpenOperations: 1_000, maxOpenWindows: 1_000 });
    const plain = new Synthesizer({ cluster: 'c' });
    const run = (synth: Synthesizer): SpanData[] => {
      const out: SpanData[] = [];
      for (let i = 0; i < 200; i++) out.push(...feedStormPod(synth, i, T0 + i * 100));
      for (let i = 0; i < 50; i++) out.push(...feedConfigMapUpdate(synth, `audit-cm-${i}`, T0 + i * 100, `cm-${i}`));
      return [...out, ...synth.flush(T0 + 60 * 60_000)];
    };
    expect(run(bounded)).toEqual(run(plain));
    expect(bounded.evictions).toEqual({ operations: 0, windows: 0 });
  });
});
