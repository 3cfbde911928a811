import { describe, expect, it } from 'vitest';
import type { JsonObject } from '../../src/model/kube-json.js';
import type { IngestRecord } from '../../src/model/records.js';
import { Synthesizer } from '../../src/synth/synthesizer.js';
import { checkInvariants } from '../support/invariants.js';
import { renderTraces } from '../support/render-trace.js';

const T0 = Date.parse('2026-03-01T10:00:00Z');
const iso = (ms: number): string => new Date(ms).toISOString().replace('.000Z', 'Z');
let rv = 1;

function replicaSet(replicas: number, ready: number): JsonObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: 'shop-6d9f',
      namespace: 'shop',
      uid: 'rs-1',
      resourceVersion: String(rv++),
      generation: 1,
      creationTimestamp: iso(T0),
      ownerReferences: [
        { apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', name: 'shop', uid: 'ro-1', controller: true },
      ],
    },
    spec: { replicas },
    status: { replicas: ready, readyReplicas: ready, availableReplicas: ready, observedGeneration: 1 },
  };
}

function record(object: JsonObject, timeMs: number, type: 'ADDED' | 'MODIFIED' = 'MODIFIED'): IngestRecord {
  return { source: 'object', type, object, timeMs, timeEstimated: false, origin: { file: 't', line: 1 } };
}

describe('owners without rules of their own (CRDs such as Argo Rollouts)', () => {
  it('get a generic reconcile operation their children nest under', () => {
    const rollout: JsonObject = {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Rollout',
      metadata: {
        name: 'shop',
        namespace: 'shop',
        uid: 'ro-1',
        resourceVersion: String(rv++),
        creationTimestamp: iso(T0),
      },
    };
    const synth = new Synthesizer({ cluster: 'c' });
    const spans = [
      ...synth.process(record(rollout, T0, 'ADDED')),
      ...synth.process(record(replicaSet(2, 0), T0 + 100, 'ADDED')),
      ...synth.process(record(replicaSet(2, 2), T0 + 8_000)),
      ...synth.flush(),
    ];
    expect(checkInvariants(spans)).toEqual([]);
    const text = renderTraces(spans);
    expect(text).toMatch(/^Rollout reconcile .*\n {2}ReplicaSet scale up .*replicas\.from=0 replicas\.to=2/m);
  });
});
