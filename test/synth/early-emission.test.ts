import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { IngestRecord } from '../../src/model/records.js';
import type { SpanData } from '../../src/model/span.js';
import { writeRecording } from '../../tools/sim/index.js';
import { readRecording } from '../../src/sources/recording/read-recording.js';
import { DEFAULT_ADOPTION_WINDOW_MS, Synthesizer } from '../../src/synth/synthesizer.js';
import { checkInvariants } from '../support/invariants.js';
import { renderTraces } from '../support/render-trace.js';
import { stuckRollout } from '../support/stuck-rollout.js';

interface Emitted {
  readonly span: SpanData;
  /** Record time at which synth let it go; Infinity for the final flush. */
  readonly atMs: number;
}

let records: readonly IngestRecord[] = [];
beforeAll(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ks-stuck-'));
  await writeRecording(dir, stuckRollout({ lengthS: 120 }));
  records = (await readRecording(dir)).records;
});

// As live mode runs synth: records as they come, and a clock tick every second between them.
function runLive(input: readonly IngestRecord[], tickMs: number | undefined): Emitted[] {
  const synth = new Synthesizer({ cluster: 'c' });
  const out: Emitted[] = [];
  let lastMs = -Infinity;
  for (const r of input) {
    if (tickMs !== undefined && Number.isFinite(lastMs)) {
      for (let t = lastMs + tickMs; t < r.timeMs; t += tickMs)
        for (const span of synth.advance(t)) out.push({ span, atMs: t });
    }
    lastMs = Math.max(lastMs, r.timeMs);
    for (const span of synth.process(r)) out.push({ span, atMs: r.timeMs });
  }
  for (const span of synth.flush()) out.push({ span, atMs: Infinity });
  return out;
}

const byId = (spans: readonly SpanData[]): SpanData[] =>
  [...spans].sort((a, b) => (a.spanId < b.spanId ? -1 : a.spanId > b.spanId ? 1 : 0));

describe('a rollout whose new pods never become Ready', () => {
  it('exports each finished phase and request of a stuck pod within the adoption window + 1 s of its end', () => {
    const out = runLive(records, 1_000);
    const startups = out.filter((e) => e.span.name === 'pod startup');
    const stuck = startups.filter((e) => e.span.attributes['kubestitch.outcome'] === 'unfinished');
    expect(stuck.length).toBeGreaterThan(0);
    for (const startup of stuck) {
      const children = out.filter((e) => e.span.parentSpanId === startup.span.spanId);
      const phases = children.map((e) => e.span.name).filter((n) => !n.includes('pods'));
      expect(phases).toEqual(expect.arrayContaining(['schedule', 'pull nginx:1.26', 'start nginx']));
      expect(children.map((e) => e.span.name)).toContain('patch pods/status');
      for (const { span, atMs } of children) {
        // Left while the startup was still open, under the parent and trace it ends up with.
        expect(atMs, span.name).toBeLessThanOrEqual(span.endMs + DEFAULT_ADOPTION_WINDOW_MS + 1_000);
        expect(span.traceId).toBe(startup.span.traceId);
      }
    }
  });

  it('gives, in the end, the same spans whatever the ticks, each id once, with DESIGN §3.5 holding', () => {
    const ticked = runLive(records, 1_000).map((e) => e.span);
    const replayed = runLive(records, undefined).map((e) => e.span);
    expect(checkInvariants(ticked)).toEqual([]);
    const ids = ticked.map((s) => s.spanId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(renderTraces(byId(ticked))).toBe(renderTraces(byId(replayed)));
    expect(byId(ticked)).toEqual(byId(replayed));
  });
});
