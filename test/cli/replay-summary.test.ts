import { describe, expect, it } from 'vitest';
import { OperationSummarySink } from '../../src/cli/replay-summary.js';
import { formatDuration } from '../../src/cli/waterfall-text.js';
import type { SpanData } from '../../src/model/span.js';

const NAMES = ['pod startup', 'Deployment rollout', 'ReplicaSet scale'];
const OUTCOMES = ['ok', 'failed', 'unfinished'];

function span(i: number, durationMs: number): SpanData {
  return {
    traceId: 'a'.repeat(31) + (i % 10).toString(),
    spanId: (i + 1).toString(16).padStart(16, '0'),
    name: NAMES[i % 3] ?? '',
    kind: 'internal',
    startMs: 1_700_000_000_000 + i,
    endMs: 1_700_000_000_000 + i + durationMs,
    resource: { attributes: { 'service.name': 'kube-controller-manager' } },
    attributes: {
      'kubestitch.operation': 'op',
      'kubestitch.outcome': OUTCOMES[Math.floor(i / 3) % 3] ?? '',
      'k8s.object.kind': 'Pod',
      'k8s.object.name': `p-${i}`,
      'k8s.namespace.name': 'ns',
    },
    events: [],
    links: [],
    status: { code: 'unset' },
  };
}

describe('replay without an output: the operation summary', () => {
  it('keeps counts and the five slowest, earlier first among equal durations, as a full sort of all of them would', async () => {
    const spans = Array.from({ length: 2_000 }, (_, i) => span(i, ((i * 7919) % 97) * 1000));
    const sink = new OperationSummarySink();
    for (let i = 0; i < spans.length; i += 64) await sink.write(spans.slice(i, i + 64));
    const text = sink.render((s) => s);
    expect(text).toMatch(/^Operations \(2000\):$/m);
    expect(text).toMatch(/^ {2}pod startup +667 +223 ok, 222 failed, 222 unfinished$/m);
    // The oracle: every operation sorted by duration (stable), the first five.
    const slowest = [...spans]
      .sort((a, b) => b.endMs - b.startMs - (a.endMs - a.startMs))
      .slice(0, 5)
      .map(
        (s) =>
          `${formatDuration(s.endMs - s.startMs).padStart(9)}  ${s.name} of Pod ns/${String(s.attributes['k8s.object.name'])}`,
      );
    const shown = text.slice(text.indexOf('Slowest:')).trim().split('\n').slice(1);
    expect(shown.map((l) => l.replace(/ {2}\([^)]*\)$/, ''))).toEqual(slowest.map((l) => `  ${l}`));
  });
});
