import { describe, expect, it } from 'vitest';
import type { JsonObject } from '../../src/model/kube-json.js';
import type { IngestRecord } from '../../src/model/records.js';
import { Synthesizer } from '../../src/synth/synthesizer.js';
import { checkInvariants } from '../support/invariants.js';

const T0 = Date.parse('2026-03-01T10:00:00Z');
const iso = (ms: number): string => new Date(ms).toISOString().replace('.000Z', 'Z');

function runningPod(createdMs: number): JsonObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'web-1',
      namespace: 'shop',
      uid: 'pod-1',
      resourceVersion: '10',
      creationTimestamp: iso(createdMs),
    },
    spec: { nodeName: 'node-1', containers: [{ name: 'nginx', image: 'nginx:1.27' }] },
    status: {
      phase: 'Running',
      conditions: [
        { type: 'PodScheduled', status: 'True', lastTransitionTime: iso(createdMs) },
        { type: 'Ready', status: 'True', lastTransitionTime: iso(createdMs + 6_000) },
      ],
      containerStatuses: [
        {
          name: 'nginx',
          ready: true,
          restartCount: 0,
          image: 'nginx:1.27',
          state: { running: { startedAt: iso(createdMs + 4_000) } },
        },
      ],
    },
  };
}

function seen(object: JsonObject, timeMs: number): IngestRecord {
  return { source: 'object', type: 'ADDED', object, timeMs, timeEstimated: false, origin: { file: 't', line: 1 } };
}

describe('a pod first seen already Ready', () => {
  it('still gets its startup, from its status times, when it was created moments before', () => {
    const synth = new Synthesizer({ cluster: 'c' });
    const spans = [...synth.process(seen(runningPod(T0), T0 + 9_000)), ...synth.flush()];
    expect(checkInvariants(spans)).toEqual([]);
    const startup = spans.find((s) => s.name === 'pod startup');
    expect(startup?.attributes['kubestitch.outcome']).toBe('ok');
    expect(startup?.startMs).toBeLessThan(T0 + 1_000);
    expect(startup?.endMs).toBeGreaterThanOrEqual(T0 + 6_000);
    expect(startup?.endMs).toBeLessThan(T0 + 7_000);
  });

  it('gets none when it has been running for long (an initial list of a live cluster)', () => {
    const synth = new Synthesizer({ cluster: 'c' });
    const spans = [...synth.process(seen(runningPod(T0), T0 + 3_600_000)), ...synth.flush()];
    expect(spans.filter((s) => s.name === 'pod startup')).toEqual([]);
  });
});
