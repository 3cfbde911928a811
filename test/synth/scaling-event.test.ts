import { describe, expect, it } from 'vitest';
import type { JsonObject } from '../../src/model/kube-json.js';
import type { IngestRecord } from '../../src/model/records.js';
import { normalizeEvent } from '../../src/sources/event-normalize.js';
import { Synthesizer } from '../../src/synth/synthesizer.js';

const T0 = Date.parse('2026-12-07T10:23:20Z');
const iso = (ms: number): string => new Date(ms).toISOString();

const replicaSet: JsonObject = {
  apiVersion: 'apps/v1',
  kind: 'ReplicaSet',
  metadata: {
    name: 'web-765c69d446',
    namespace: 'shop',
    uid: 'rs-1',
    resourceVersion: '5',
    creationTimestamp: iso(T0),
  },
  spec: { replicas: 1 },
  status: { replicas: 0 },
};

function scaledEvent(note: string, atMs: number): IngestRecord {
  const event = normalizeEvent({
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: 'web.1', namespace: 'shop', uid: 'ev-1' },
    involvedObject: { kind: 'Deployment', namespace: 'shop', name: 'web', uid: 'd-1', apiVersion: 'apps/v1' },
    reason: 'ScalingReplicaSet',
    message: note,
    type: 'Normal',
    source: { component: 'deployment-controller' },
    firstTimestamp: iso(atMs),
    lastTimestamp: iso(atMs),
    count: 1,
  });
  if (typeof event === 'string') throw new Error(event);
  return { source: 'event', type: 'ADDED', event, timeMs: atMs, timeEstimated: false, origin: { file: 't', line: 1 } };
}

describe('ScalingReplicaSet Events as evidence', () => {
  it('give the ReplicaSet scale its target when its own records missed the step', () => {
    const synth = new Synthesizer({ cluster: 'c' });
    const spans = [
      ...synth.process({
        source: 'object',
        type: 'ADDED',
        object: replicaSet,
        timeMs: T0 + 100,
        timeEstimated: false,
        origin: { file: 't', line: 1 },
      }),
      ...synth.process(scaledEvent('Scaled up replica set web-765c69d446 from 0 to 2', T0 + 200)),
      ...synth.flush(),
    ];
    const scale = spans.find((s) => s.name === 'ReplicaSet scale up');
    expect(scale?.attributes['kubestitch.replicas.from']).toBe(0);
    expect(scale?.attributes['kubestitch.replicas.to']).toBe(2);
  });
});
