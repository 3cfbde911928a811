import { describe, expect, it } from 'vitest';
import type { JsonObject } from '../../src/model/kube-json.js';
import type { IngestRecord } from '../../src/model/records.js';
import type { SpanData } from '../../src/model/span.js';
import { Synthesizer } from '../../src/synth/synthesizer.js';

// Informers of different kinds deliver seconds apart (issue 14, kind skew): a ReplicaSet's change
// can arrive before the Deployment change that made it. It belongs to the Deployment's next
// operation, not to the one still open.

const T0 = Date.parse('2026-12-07T10:23:20Z');
const iso = (ms: number): string => new Date(ms).toISOString();
const origin = { file: 't', line: 1 };
const DEP_UID = 'd-1';

function object(o: JsonObject, atMs: number, type: 'MODIFIED' | 'DELETED' = 'MODIFIED'): IngestRecord {
  return { source: 'object', type, object: o, timeMs: atMs, timeEstimated: false, origin };
}

interface DepState {
  readonly generation: number;
  readonly revision: number;
  readonly replicas: number;
  readonly image: string;
  /** Pods of the current template up and available (the rollout done when it equals replicas). */
  readonly updated: number;
}

function deployment(s: DepState): JsonObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: 'web',
      namespace: 'shop',
      uid: DEP_UID,
      generation: s.generation,
      resourceVersion: String(s.generation * 10 + s.updated),
      creationTimestamp: iso(T0 - 60_000),
      annotations: { 'deployment.kubernetes.io/revision': String(s.revision) },
    },
    spec: { replicas: s.replicas, template: { spec: { containers: [{ name: 'app', image: s.image }] } } },
    status: {
      observedGeneration: s.generation,
      replicas: s.replicas,
      updatedReplicas: s.updated,
      availableReplicas: s.updated,
      unavailableReplicas: s.replicas - s.updated,
    },
  };
}

function replicaSet(hash: string, revision: number, spec: number, status: number, createdMs: number): JsonObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: `web-${hash}`,
      namespace: 'shop',
      uid: `rs-${hash}`,
      generation: 1,
      resourceVersion: `${hash}-${spec}-${status}`,
      creationTimestamp: iso(createdMs),
      labels: { 'pod-template-hash': hash },
      annotations: { 'deployment.kubernetes.io/revision': String(revision) },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: DEP_UID, controller: true }],
    },
    spec: { replicas: spec },
    status: { replicas: status, readyReplicas: status, availableReplicas: status },
  };
}

function synthesize(records: readonly IngestRecord[]): SpanData[] {
  const synth = new Synthesizer({ cluster: 'c' });
  return [...records.flatMap((r) => synth.process(r)), ...synth.flush()];
}

/** Each ReplicaSet step with the operation it is under: name, generation (rollout) or range. */
function steps(spans: readonly SpanData[]): string[] {
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  return spans
    .filter((s) => s.name.startsWith('ReplicaSet scale'))
    .map((s) => {
      const p = s.parentSpanId === undefined ? undefined : byId.get(s.parentSpanId);
      const a = p?.attributes ?? {};
      const what = p?.name.endsWith('rollout')
        ? `generation ${String(a['kubestitch.generation'])}`
        : `${String(a['kubestitch.replicas.from'])}→${String(a['kubestitch.replicas.to'])}`;
      return `${s.name} ${String(s.attributes['k8s.object.name'])} <- ${p === undefined ? '(root)' : `${p.name} ${what}`}`;
    })
    .sort();
}

describe('a ReplicaSet change that arrives before its Deployment’s', () => {
  it('a ReplicaSet of a newer revision joins the next rollout, not the one still open', () => {
    const spans = synthesize([
      // Rollout to generation 1 under way: web-a scaling up to 3.
      object(deployment({ generation: 1, revision: 1, replicas: 3, image: 'app:1', updated: 1 }), T0),
      object(replicaSet('a', 1, 3, 1, T0 - 5_000), T0 + 100),
      // Template changed at T0 + 2 s: the ReplicaSet informer shows web-b first…
      object(replicaSet('b', 2, 1, 0, T0 + 2_000), T0 + 2_200),
      // …the Deployment's informer shows generation 2 three seconds later.
      object(deployment({ generation: 2, revision: 2, replicas: 3, image: 'app:2', updated: 0 }), T0 + 5_200),
      object(replicaSet('b', 2, 3, 3, T0 + 2_000), T0 + 9_000),
      object(replicaSet('a', 1, 0, 0, T0 - 5_000), T0 + 9_500),
      object(deployment({ generation: 2, revision: 2, replicas: 3, image: 'app:2', updated: 3 }), T0 + 10_000),
    ]);
    expect(steps(spans)).toContain('ReplicaSet scale up web-b <- Deployment rollout generation 2');
    const rollout2 = spans.find((s) => s.name === 'Deployment rollout' && s.attributes['kubestitch.generation'] === 2);
    // The rollout began with its ReplicaSet, not when its Deployment record arrived.
    expect(rollout2?.startMs).toBeLessThanOrEqual(T0 + 2_200);
  });

  it('the newest ReplicaSet scaled down joins the Deployment’s scale still to arrive', () => {
    const spans = synthesize([
      // First seen while its rollout finishes: the Deployment's record still says 2 of 3 updated.
      object(deployment({ generation: 1, revision: 1, replicas: 3, image: 'app:1', updated: 2 }), T0),
      object(replicaSet('a', 1, 3, 3, T0 - 5_000), T0 + 100),
      // Scaled to 1 at T0 + 2 s; the ReplicaSet's informer is first, the Deployment's behind by 3 s.
      object(replicaSet('a', 1, 1, 3, T0 - 5_000), T0 + 2_200),
      object(deployment({ generation: 1, revision: 1, replicas: 3, image: 'app:1', updated: 3 }), T0 + 3_500),
      object(deployment({ generation: 2, revision: 1, replicas: 1, image: 'app:1', updated: 1 }), T0 + 5_200),
      object(replicaSet('a', 1, 1, 1, T0 - 5_000), T0 + 8_000),
    ]);
    expect(steps(spans)).toEqual(['ReplicaSet scale down web-a <- Deployment scale 3→1']);
  });

  it('a scale the Deployment shows during its rollout takes the step that waited for it', () => {
    const spans = synthesize([
      object(deployment({ generation: 1, revision: 1, replicas: 3, image: 'app:1', updated: 2 }), T0),
      object(replicaSet('a', 1, 3, 3, T0 - 5_000), T0 + 100),
      object(replicaSet('a', 1, 1, 3, T0 - 5_000), T0 + 2_200),
      // Still rolling out when scaled: the scale is part of the rollout's story, and so is the step.
      object(deployment({ generation: 2, revision: 1, replicas: 1, image: 'app:1', updated: 0 }), T0 + 5_200),
      object(replicaSet('a', 1, 1, 1, T0 - 5_000), T0 + 8_000),
    ]);
    expect(steps(spans)).toEqual(['ReplicaSet scale down web-a <- Deployment rollout generation 1']);
  });

  it('pods deleted before their ReplicaSet’s scale-down arrives end up under it, not under the Deployment’s scale', () => {
    const pod = (deleted: boolean): JsonObject => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: 'web-a-x',
        namespace: 'shop',
        uid: 'p-x',
        resourceVersion: deleted ? '31' : '30',
        creationTimestamp: iso(T0 - 600_000),
        deletionTimestamp: iso(T0 + 32_000),
        deletionGracePeriodSeconds: 30,
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-a', uid: 'rs-a', controller: true }],
      },
      spec: { nodeName: 'node-1', containers: [{ name: 'app', image: 'app:1' }] },
      status: { phase: 'Running' },
    });
    const spans = synthesize([
      object(deployment({ generation: 1, revision: 1, replicas: 3, image: 'app:1', updated: 3 }), T0),
      object(replicaSet('a', 1, 3, 3, T0 - 5_000), T0 + 100),
      // Scaled to 2 at T0 + 2 s: the pod informer shows the deletion first, then the Deployment's,
      // then the ReplicaSet's shows its scale-down.
      object(pod(false), T0 + 2_300),
      object(deployment({ generation: 2, revision: 1, replicas: 2, image: 'app:1', updated: 2 }), T0 + 3_000),
      object(replicaSet('a', 1, 2, 3, T0 - 5_000), T0 + 4_500),
      object(pod(true), T0 + 5_000, 'DELETED'),
      object(replicaSet('a', 1, 2, 2, T0 - 5_000), T0 + 6_000),
    ]);
    const byId = new Map(spans.map((s) => [s.spanId, s]));
    const parentOf = (name: string): string | undefined => {
      const s = spans.find((x) => x.name === name);
      return s?.parentSpanId === undefined ? undefined : byId.get(s.parentSpanId)?.name;
    };
    expect(parentOf('pod termination')).toBe('ReplicaSet scale down');
    expect(parentOf('ReplicaSet scale down')).toBe('Deployment scale');
  });
});
