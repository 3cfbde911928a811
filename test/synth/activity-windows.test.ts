import { describe, expect, it } from 'vitest';
import type { SpanData } from '../../src/model/span.js';
import { Synthesizer } from '../../src/synth/synthesizer.js';
import { checkInvariants } from '../support/invariants.js';
import { feedConfigMapUpdate } from './synth-feeds.js';

const WINDOW_MS = 30 * 60_000;
const T0 = Date.parse('2026-03-01T10:00:00Z');

// A ConfigMap update (a kind covered by activity windows only), as a client with a user agent sends it.
const feed = (synth: Synthesizer, id: string, atMs: number): SpanData[] =>
  feedConfigMapUpdate(synth, id, atMs, 'settings', {
    user: { username: 'system:serviceaccount:shop:deployer', groups: ['system:authenticated'] },
    sourceIPs: ['10.0.0.9'],
    userAgent: 'deployer/1.0',
  });

describe('activity windows and late evidence (#17 item 5)', () => {
  it('never exports a window span id twice when audit for a closed window arrives late', () => {
    const synth = new Synthesizer({ cluster: 'c', windowMs: WINDOW_MS });
    const out: SpanData[] = [];
    out.push(...feed(synth, 'a-1', T0 + 60_000));
    // The window ends at T0 + 30 min and is exported once its linger has passed.
    out.push(...synth.advance(T0 + WINDOW_MS + 60_000));
    expect(out.filter((s) => s.name.endsWith('activity'))).toHaveLength(1);
    // Three late batches, from several senders, each carrying a request from the closed window.
    for (const [i, late] of [T0 + 120_000, T0 + 180_000, T0 + 240_000].entries()) {
      out.push(...feed(synth, `late-${i}`, late));
    }
    out.push(...synth.flush(T0 + 2 * WINDOW_MS));
    expect(checkInvariants(out)).toEqual([]);
    const requests = out.filter((s) => s.attributes['audit-id'] !== undefined);
    expect(requests.map((s) => s.attributes['audit-id']).sort()).toEqual(['a-1', 'late-0', 'late-1', 'late-2']);
  });

  it('lets late evidence join a closed window that is not exported yet', () => {
    const synth = new Synthesizer({ cluster: 'c', windowMs: WINDOW_MS });
    const out: SpanData[] = [];
    out.push(...feed(synth, 'a-1', T0 + 60_000));
    out.push(...synth.advance(T0 + WINDOW_MS + 1_000)); // closed, still lingering
    out.push(...feed(synth, 'late', T0 + 120_000));
    out.push(...synth.flush());
    expect(checkInvariants(out)).toEqual([]);
    const windows = out.filter((s) => s.name.endsWith('activity'));
    expect(windows).toHaveLength(1);
    expect(out.filter((s) => s.parentSpanId === windows[0]?.spanId)).toHaveLength(2);
  });
});
