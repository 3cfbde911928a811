import { describe, expect, it } from 'vitest';
import type { JsonObject } from '../../src/model/kube-json.js';
import type { IngestRecord } from '../../src/model/records.js';
import type { SpanData } from '../../src/model/span.js';
import { normalizeEvent } from '../../src/sources/event-normalize.js';
import { Synthesizer } from '../../src/synth/synthesizer.js';
import { checkInvariants } from '../support/invariants.js';
import { iso, seen } from '../support/first-seen-pod.js';

// A cut (issue 14): `run` installed while a pod that was never Ready crash-loops. Watched through,
// its startup is judged stuck a minute after the first version showing CrashLoopBackOff; first
// seen mid-loop it was judged a minute after that first sight instead, however long the loop had
// gone on. The kubelet's BackOff Event ("Back-off restarting failed container", recorded in the
// sync that first backs off) says when the loop began; without it, a container restarted twice
// or more had backed off before its last run began (the first restart comes at once).

const T0 = Date.parse('2026-03-01T10:00:00Z');
const FIRST_SIGHT = T0 + 500;
const POD = { kind: 'Pod', name: 'web-1', uid: 'pod-1', namespace: 'shop', apiVersion: 'v1' };

// Never Ready (Ready False since before any run), restarted `restarts` times, its last run
// T0 − 12 s to T0 − 10 s, waiting in CrashLoopBackOff.
function crashLoopingPod(restarts: number): JsonObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: POD.name,
      namespace: 'shop',
      uid: POD.uid,
      resourceVersion: '10',
      creationTimestamp: iso(T0 - 90_000),
    },
    spec: { nodeName: 'node-1', containers: [{ name: 'app', image: 'app:1' }] },
    status: {
      phase: 'Running',
      conditions: [
        { type: 'PodScheduled', status: 'True', lastTransitionTime: iso(T0 - 90_000) },
        { type: 'Ready', status: 'False', reason: 'ContainersNotReady', lastTransitionTime: iso(T0 - 90_000) },
      ],
      containerStatuses: [
        {
          name: 'app',
          ready: false,
          restartCount: restarts,
          image: 'app:1',
          state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 40s restarting failed container' } },
          lastState: {
            terminated: { exitCode: 1, reason: 'Error', startedAt: iso(T0 - 12_000), finishedAt: iso(T0 - 10_000) },
          },
        },
      ],
    },
  };
}

// The kubelet's aggregated BackOff Event of the container: first at `firstMs`, last at T0 − 10 s.
function backOffEvent(firstMs: number, note: string): IngestRecord {
  const e = normalizeEvent({
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: 'web-1.backoff', namespace: 'shop', uid: 'ev-backoff' },
    involvedObject: { ...POD, fieldPath: 'spec.containers{app}' },
    reason: 'BackOff',
    message: note,
    type: 'Warning',
    source: { component: 'kubelet', host: 'node-1' },
    firstTimestamp: iso(firstMs),
    lastTimestamp: iso(T0 - 10_000),
    count: 4,
  });
  if (typeof e === 'string') throw new Error(e);
  return {
    source: 'event',
    type: 'ADDED',
    event: e,
    timeMs: T0 + 1_000,
    timeEstimated: false,
    origin: { file: 't', line: 3 },
  };
}

const RESTARTING = 'Back-off restarting failed container app in pod web-1_shop(pod-1)';

// When the startup ended stuck in its crash loop, in seconds from T0.
function stuckAt(restarts: number, events: readonly IngestRecord[]): number | undefined {
  const synth = new Synthesizer({ cluster: 'c' });
  const spans: SpanData[] = [seen(crashLoopingPod(restarts), FIRST_SIGHT), ...events].flatMap((r) => synth.process(r));
  spans.push(...synth.advance(T0 + 90_000), ...synth.flush());
  expect(checkInvariants(spans)).toEqual([]);
  const startup = spans.find((s) => s.name === 'pod startup');
  if (startup?.attributes['kubestitch.outcome'] !== 'crash-loop-backoff') return undefined;
  return (startup.endMs - T0) / 1000;
}

describe('a pod never Ready, first seen crash-looping', () => {
  it('is judged stuck a minute after its first back-off, from its kubelet’s BackOff Event', () => {
    expect(stuckAt(1, [backOffEvent(T0 - 45_000, RESTARTING)])).toBe(15);
  });

  it('without the Event, a minute after its last run began when it had restarted twice or more', () => {
    expect(stuckAt(3, [])).toBe(48);
    // Restarted once, the loop began after that run: nothing says when, first sight dates it.
    expect(stuckAt(1, [])).toBe(60.5);
  });

  it('is not dated by an image pull’s BackOff Event', () => {
    expect(stuckAt(1, [backOffEvent(T0 - 45_000, 'Back-off pulling image "app:1"')])).toBe(60.5);
  });
});
