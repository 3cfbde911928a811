import { describe, expect, it } from 'vitest';
import type { JsonObject } from '../../src/model/kube-json.js';
import type { IngestRecord } from '../../src/model/records.js';
import { Synthesizer } from '../../src/synth/synthesizer.js';
import { iso, seen } from '../support/first-seen-pod.js';
import { event } from './event-records.js';

// A cut (issue 14, sim/crashloop+audit): `run` installed while a pod crash-loops. Its container
// had run and crashed (restartCount 1, lastState.terminated) and waits in CrashLoopBackOff, Ready
// False since the crash. The whole recording ended its startup at its first Ready; first seen like
// this it got a fresh startup from its creation — from its records, or from its kubelet's next
// Started Event — that its next brief Ready ended, taking the kubelet's status writes between.
// The kubelet moves Ready's lastTransitionTime only when Ready changes: False since after a run
// began, the pod had been Ready. Never Ready, it has been False since before any run.

const T0 = Date.parse('2026-03-01T10:00:00Z');
const POD = { kind: 'Pod', name: 'web-1', uid: 'pod-1' };

interface Crashed {
  /** When the container's run before the last restart began and crashed. */
  readonly ranMs: number;
  readonly crashedMs: number;
  /** Ready False since. */
  readonly notReadyMs: number;
}

function crashLoopingPod(c: Crashed, now: 'waiting' | 'running', rv: string): JsonObject {
  const running = now === 'running';
  const ready = running
    ? { type: 'Ready', status: 'True', lastTransitionTime: iso(T0 + 6_000) }
    : { type: 'Ready', status: 'False', reason: 'ContainersNotReady', lastTransitionTime: iso(c.notReadyMs) };
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: POD.name,
      namespace: 'shop',
      uid: POD.uid,
      resourceVersion: rv,
      creationTimestamp: iso(T0 - 20_000),
    },
    spec: { nodeName: 'node-1', containers: [{ name: 'app', image: 'app:1' }] },
    status: {
      phase: 'Running',
      conditions: [{ type: 'PodScheduled', status: 'True', lastTransitionTime: iso(T0 - 20_000) }, ready],
      containerStatuses: [
        {
          name: 'app',
          ready: running,
          restartCount: 1,
          image: 'app:1',
          state: running
            ? { running: { startedAt: iso(T0 + 6_000) } }
            : { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 10s restarting failed container' } },
          lastState: {
            terminated: { exitCode: 1, reason: 'Error', startedAt: iso(c.ranMs), finishedAt: iso(c.crashedMs) },
          },
        },
      ],
    },
  };
}

function modified(object: JsonObject, timeMs: number): IngestRecord {
  return { source: 'object', type: 'MODIFIED', object, timeMs, timeEstimated: false, origin: { file: 't', line: 2 } };
}

// First seen at T0 + 0.5 s backing off; the kubelet restarts the container at T0 + 6 s (its
// Started Event, when `withEvent`) and the pod is Ready again.
function startups(c: Crashed, withEvent: boolean): number {
  const records: IngestRecord[] = [seen(crashLoopingPod(c, 'waiting', '10'), T0 + 500)];
  if (withEvent) records.push(event(POD, 'Started', 'Started container app', T0 + 6_000));
  records.push(modified(crashLoopingPod(c, 'running', '11'), T0 + 6_500));
  const synth = new Synthesizer({ cluster: 'c' });
  const spans = [...records.flatMap((r) => synth.process(r)), ...synth.flush()];
  return spans.filter((s) => s.name === 'pod startup').length;
}

const WAS_READY: Crashed = { ranMs: T0 - 7_000, crashedMs: T0 - 4_000, notReadyMs: T0 - 4_000 };
const NEVER_READY: Crashed = { ranMs: T0 - 7_000, crashedMs: T0 - 4_000, notReadyMs: T0 - 19_000 };

describe('a pod first seen crash-looping', () => {
  it('gets no startup when Ready went False after its last run began (it had been Ready)', () => {
    expect(startups(WAS_READY, false)).toBe(0);
  });

  it('gets none from its kubelet’s Started Event of the restart either', () => {
    expect(startups(WAS_READY, true)).toBe(0);
  });

  it('still gets its startup when Ready has been False since before any run (never Ready)', () => {
    expect(startups(NEVER_READY, false)).toBe(1);
    expect(startups(NEVER_READY, true)).toBe(1);
  });
});
