import { describe, expect, it } from 'vitest';
import type { JsonObject } from '../../src/model/kube-json.js';
import type { IngestRecord } from '../../src/model/records.js';
import type { SpanData } from '../../src/model/span.js';
import { Synthesizer } from '../../src/synth/synthesizer.js';
import { type Regarding, event } from './event-records.js';

// A pod termination only Events show (the kubelet's Killing, an owner's SuccessfulDelete) for a pod
// that is never seen deleted must still end, live, on evidence — not at the 1 h max age, holding
// its owner's operation open all that time. Live here: records, then clock ticks once a second and
// no end-of-input flush.

const T0 = Date.parse('2026-12-07T10:23:20Z');
const iso = (ms: number): string => new Date(ms).toISOString();
const origin = { file: 't', line: 1 };
const DS: Regarding = { kind: 'DaemonSet', name: 'agent', uid: 'ds-1' };
const POD: Regarding = { kind: 'Pod', name: 'agent-a', uid: 'p-a' };

function live(records: readonly IngestRecord[], untilMs: number): SpanData[] {
  const synth = new Synthesizer({ cluster: 'c' });
  const out = records.flatMap((r) => synth.process(r));
  for (let t = T0 + 1000; t <= untilMs; t += 1000) out.push(...synth.advance(t));
  return out;
}

function pod(status: JsonObject): IngestRecord {
  const object: JsonObject = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: POD.name,
      namespace: 'shop',
      uid: POD.uid,
      creationTimestamp: iso(T0 - 600_000),
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: DS.name, uid: DS.uid, controller: true }],
    },
    spec: { nodeName: 'node-1', containers: [{ name: 'agent', image: 'agent:1' }] },
    status,
  };
  return { source: 'object', type: 'MODIFIED', object, timeMs: T0 + 9000, timeEstimated: false, origin };
}

const terminations = (spans: readonly SpanData[]): SpanData[] => spans.filter((s) => s.name === 'pod termination');

describe('a termination only Events show, of a pod never seen deleted', () => {
  const created = event(DS, 'SuccessfulCreate', 'Created pod: agent-a', T0 - 30_000, 30_020);
  const deleted = event(DS, 'SuccessfulDelete', 'Deleted pod: agent-a', T0);
  const killed = [created, deleted, event(POD, 'Killing', 'Stopping container agent', T0 + 1000)];

  it('ends at its last evidence once nothing more of it came, and its owner’s operation leaves with it', () => {
    const spans = live(killed, T0 + 5 * 60_000);
    const [t] = terminations(spans);
    // Its last evidence: the kill (one-second precision, received 20 ms into its second), not
    // when it was closed a minute later.
    expect(t?.endMs).toBeGreaterThanOrEqual(T0 + 1000);
    expect(t?.endMs).toBeLessThan(T0 + 2020);
    expect(t?.attributes['kubestitch.outcome']).toBe('unfinished');
    expect(t?.attributes['kubestitch.close_reason']).toBe('no-further-evidence');
    const rollout = spans.find((s) => s.name === 'DaemonSet rollout');
    expect(rollout?.spanId).toBe(t?.parentSpanId);
  });

  // Event evidence is applied 6 s after it arrived; the pod was last seen by the kill as received,
  // not as applied (that put the end up to a second late: 10:23:22.019 for a kill received at .020).
  it('ends at the kill as it was received, also when the Event came more than a second late', () => {
    const [onTime] = terminations(live(killed, T0 + 5 * 60_000));
    expect(onTime?.endMs).toBe(T0 + 1020);
    const late = [created, deleted, event(POD, 'Killing', 'Stopping container agent', T0 + 1000, 1500)];
    const [t] = terminations(live(late, T0 + 5 * 60_000));
    // Received at +2.5 s: the kill happened within its second, by +1.999 s.
    expect(t?.endMs).toBe(T0 + 1999);
  });

  it('stays open while its grace period and the idle time have not passed', () => {
    expect(terminations(live(killed, T0 + 50_000))).toEqual([]);
  });

  it('ends at the kill once the pod is seen running again after it', () => {
    const restarted = pod({
      phase: 'Running',
      conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: iso(T0 + 8000) }],
      containerStatuses: [
        {
          name: 'agent',
          ready: true,
          restartCount: 1,
          state: { running: { startedAt: iso(T0 + 7000) } },
        },
      ],
    });
    const spans = live([...killed, restarted], T0 + 30_000);
    const [t] = terminations(spans);
    expect(t?.endMs).toBe(T0 + 1020);
    expect(t?.attributes['kubestitch.close_reason']).toBe('pod-running-again');
  });

  it('a pod seen Ready since before the kill is not running again: it stays open', () => {
    const before = pod({
      phase: 'Running',
      conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: iso(T0 - 500_000) }],
      containerStatuses: [
        { name: 'agent', ready: true, restartCount: 0, state: { running: { startedAt: iso(T0 - 590_000) } } },
      ],
    });
    expect(terminations(live([...killed, before], T0 + 30_000))).toEqual([]);
  });
});
