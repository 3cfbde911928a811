import { describe, expect, it } from 'vitest';
import type { JsonObject } from '../../src/model/kube-json.js';
import type { IngestRecord } from '../../src/model/records.js';
import type { SpanData } from '../../src/model/span.js';
import { Synthesizer } from '../../src/synth/synthesizer.js';

// A node seen once, already Ready (snapshot-only input, a watch that started late; issue 14).

const T0 = Date.parse('2026-03-01T10:00:48Z');
const iso = (ms: number): string => new Date(ms).toISOString();

function node(createdMs: number, readyMs: number): JsonObject {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: 'node-4', uid: 'n-4', resourceVersion: '9', creationTimestamp: iso(createdMs) },
    status: {
      conditions: [
        { type: 'Ready', status: 'True', reason: 'KubeletReady', lastTransitionTime: iso(readyMs), message: '' },
      ],
    },
  };
}

function synthesize(object: JsonObject, atMs: number): SpanData[] {
  const synth = new Synthesizer({ cluster: 'c' });
  const record: IngestRecord = {
    source: 'object',
    type: 'ADDED',
    object,
    timeMs: atMs,
    timeEstimated: false,
    origin: { file: 't', line: 1 },
  };
  return [...synth.process(record), ...synth.flush()].filter((s) => s.name === 'Node NotReady');
}

describe('a node first seen Ready', () => {
  it('new to the cluster: NotReady from its creation to its Ready transition', () => {
    const spans = synthesize(node(T0, T0 + 11_000), T0 + 61_000);
    expect(spans.map((s) => [s.startMs, s.endMs, s.attributes['kubestitch.outcome']])).toEqual([
      [T0 + 999, T0 + 11_999, 'ok'],
    ]);
  });

  it('long in the cluster (an initial list): no NotReady period from its distant past', () => {
    expect(synthesize(node(T0 - 86_400_000, T0 - 86_390_000), T0)).toEqual([]);
  });
});
