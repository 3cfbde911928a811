import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CaptureSink } from '../../src/export/capture-sink.js';
import { ATTR, OPERATION, OUTCOME } from '../../src/model/attributes.js';
import type { SpanData } from '../../src/model/span.js';
import { replayDirectory } from '../../src/replay.js';
import { Synthesizer } from '../../src/synth/synthesizer.js';
import { runScenario, writeRecording } from '../../tools/sim/index.js';
import { checkInvariants } from '../support/invariants.js';
import { feedConfigMapUpdate, feedPendingPod } from './synth-feeds.js';

// #14: what is still open when a replay's input ends closes at its last evidence, not at the end
// of the replay or of its activity window's period (30 min, aligned to the epoch; ADR 0006).
const T0 = Date.parse('2026-03-01T10:00:00Z');
const WINDOW_MS = 30 * 60_000;
/** A pod nobody schedules: its startup is still open when the input ends. */
const pendingPod = (synth: Synthesizer, atMs: number): SpanData[] =>
  feedPendingPod(
    synth,
    { name: 'waiting', namespace: 'shop', uid: '00000000-0000-4000-8000-00000000000a', resourceVersion: '10' },
    atMs,
  );

describe('spans open at the end of a replay end at their last evidence (#14)', () => {
  it('ends an activity window the input stopped inside at its last record, not at the window or replay end', () => {
    const synth = new Synthesizer({ cluster: 'c', windowMs: WINDOW_MS });
    const out: SpanData[] = [];
    out.push(...feedConfigMapUpdate(synth, 'a-1', T0 + 60_000));
    out.push(...feedConfigMapUpdate(synth, 'a-2', T0 + 120_000));
    // The replay goes on past the ConfigMap's last change, still inside its window's period.
    out.push(...pendingPod(synth, T0 + 600_000));
    out.push(...synth.flush());
    expect(checkInvariants(out)).toEqual([]);
    const window = out.find((s) => s.attributes[ATTR.operation] === OPERATION.activityWindow);
    expect(window?.startMs).toBe(T0 + 60_000);
    // The last update's request ended at T0 + 120 s + 3 ms; nothing was seen of it after that.
    expect(window?.endMs).toBe(T0 + 120_003);
    // The pod's startup, open too, ends at its own last evidence (its creation), as unfinished.
    const startup = out.find((s) => s.attributes[ATTR.operation] === OPERATION.podStartup);
    expect(startup?.attributes[ATTR.outcome]).toBe(OUTCOME.unfinished);
    expect(startup?.endMs).toBeLessThanOrEqual(T0 + 600_000 + 1);
  });

  it('ends a window whose period passed during the replay at its last evidence too (ADR 0006)', () => {
    const synth = new Synthesizer({ cluster: 'c', windowMs: WINDOW_MS });
    const out: SpanData[] = [];
    out.push(...feedConfigMapUpdate(synth, 'a-1', T0 + 60_000));
    out.push(...pendingPod(synth, T0 + WINDOW_MS + 60_000));
    out.push(...synth.flush());
    const window = out.find((s) => s.attributes[ATTR.operation] === OPERATION.activityWindow);
    // Live `run` sees the quiet rest of the period, a replay of its recording may not: drawing
    // the quiet would make the two differ, so neither does.
    expect(window?.endMs).toBe(T0 + 60_003);
  });

  describe('a simulator recording replayed as a user would', () => {
    let dir: string | undefined;
    afterEach(async () => {
      if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    });

    it('ends every window open at the end at its last span event or request, before the last record', async () => {
      dir = await mkdtemp(join(tmpdir(), 'ks-replay-end-'));
      const recording = runScenario('node-not-ready');
      await writeRecording(dir, recording);
      const sink = new CaptureSink();
      await replayDirectory(dir, sink, { cluster: 'sim' });
      const spans = [...sink.spans];
      expect(checkInvariants(spans)).toEqual([]);
      const lastSpanEnd = Math.max(...spans.filter((s) => !isWindow(s)).map((s) => s.endMs));
      const windows = spans.filter(isWindow);
      expect(windows.length).toBeGreaterThan(0);
      for (const w of windows) {
        const children = spans.filter((s) => s.parentSpanId === w.spanId);
        const last = Math.max(w.startMs, ...children.map((c) => c.endMs), ...w.events.map((e) => e.timeMs));
        // 1 ms: a window with a single instant of evidence keeps a length (ADR 0001).
        expect(w.endMs - last, `${w.name} ${String(w.attributes[ATTR.objectName])}`).toBeLessThanOrEqual(1);
        expect(w.endMs).toBeLessThanOrEqual(lastSpanEnd + 1);
      }
    });
  });
});

function isWindow(s: SpanData): boolean {
  return s.attributes[ATTR.operation] === OPERATION.activityWindow;
}
