import type { JsonObject } from '../../src/model/kube-json.js';
import type { IngestRecord } from '../../src/model/records.js';

/** A Kubernetes timestamp as the apiserver writes it (whole seconds, no fraction). */
export const iso = (ms: number): string => new Date(ms).toISOString().replace('.000Z', 'Z');

/** The one Ready condition a running pod shows, and since when. */
export interface ReadyState {
  readonly ready: boolean;
  readonly sinceMs: number;
}

/**
 * A running pod `shop/web-1` (one nginx container started at `startedMs`) as a list or watch shows
 * it on first sight: the pod-first-seen tests vary only its Ready condition.
 */
export function runningPod(createdMs: number, startedMs: number, readyState: ReadyState): JsonObject {
  const { ready, sinceMs } = readyState;
  const readyCondition = ready
    ? { type: 'Ready', status: 'True', lastTransitionTime: iso(sinceMs) }
    : { type: 'Ready', status: 'False', reason: 'ContainersNotReady', lastTransitionTime: iso(sinceMs) };
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
      conditions: [{ type: 'PodScheduled', status: 'True', lastTransitionTime: iso(createdMs) }, readyCondition],
      containerStatuses: [
        {
          name: 'nginx',
          ready,
          restartCount: 0,
          image: 'nginx:1.27',
          state: { running: { startedAt: iso(startedMs) } },
        },
      ],
    },
  };
}

/** `object` first seen (a watch ADDED or a list item) at `timeMs`. */
export function seen(object: JsonObject, timeMs: number): IngestRecord {
  return { source: 'object', type: 'ADDED', object, timeMs, timeEstimated: false, origin: { file: 't', line: 1 } };
}
