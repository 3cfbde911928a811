import { describe, expect, it } from 'vitest';
import type { JsonObject } from '../../src/model/kube-json.js';
import type { IngestRecord } from '../../src/model/records.js';
import type { SpanData } from '../../src/model/span.js';
import { Synthesizer } from '../../src/synth/synthesizer.js';
import { type Regarding, event } from './event-records.js';

// A pod termination only Events showed (SuccessfulDelete, the kubelet's Killing) closes on
// evidence when no record shows the pod deleted (c6d074c). The pod's deletion may still be seen
// later — its records late or missing for a while — and one kill is one termination: the deletion
// must not open a second, instant termination with the same span id. Live: records, clock ticks
// once a second, no end-of-input flush.

const T0 = Date.parse('2026-12-07T10:23:20Z');
const iso = (ms: number): string => new Date(ms).toISOString();
const origin = { file: 't', line: 1 };
const DS: Regarding = { kind: 'DaemonSet', name: 'agent', uid: 'ds-1' };
const POD: Regarding = { kind: 'Pod', name: 'agent-a', uid: 'p-a' };

const killed = [
  event(DS, 'SuccessfulCreate', 'Created pod: agent-a', T0 - 30_000, 30_020),
  event(DS, 'SuccessfulDelete', 'Deleted pod: agent-a', T0),
  event(POD, 'Killing', 'Stopping container agent', T0 + 1000),
];

function pod(
  type: 'MODIFIED' | 'DELETED',
  atMs: number,
  status: JsonObject,
  deletion?: { readonly atMs: number; readonly graceS: number },
): IngestRecord {
  const object: JsonObject = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: POD.name,
      namespace: 'shop',
      uid: POD.uid,
      creationTimestamp: iso(T0 - 600_000),
      ...(deletion !== undefined
        ? { deletionTimestamp: iso(deletion.atMs), deletionGracePeriodSeconds: deletion.graceS }
        : {}),
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: DS.name, uid: DS.uid, controller: true }],
    },
    spec: { nodeName: 'node-1', containers: [{ name: 'agent', image: 'agent:1' }] },
    status,
  };
  return { source: 'object', type, object, timeMs: atMs, timeEstimated: false, origin };
}

const stopped: JsonObject = { phase: 'Running', conditions: [{ type: 'Ready', status: 'False' }] };

/** Processes records in time order with clock ticks once a second between them, until `untilMs`. */
function live(
  records: readonly IngestRecord[],
  untilMs: number,
  options: { readonly adoptionWindowMs?: number; readonly maxOperationMs?: number } = {},
): SpanData[] {
  const synth = new Synthesizer({ cluster: 'c', ...options });
  const out: SpanData[] = [];
  const queue = [...records].sort((a, b) => a.timeMs - b.timeMs);
  let next = 0;
  for (let t = T0 + 1000; t <= untilMs; t += 1000) {
    for (; next < queue.length && (queue[next]?.timeMs ?? Infinity) <= t; next++) {
      const r = queue[next];
      if (r !== undefined) out.push(...synth.process(r));
    }
    out.push(...synth.advance(t));
  }
  return out;
}

const terminations = (spans: readonly SpanData[]): SpanData[] => spans.filter((s) => s.name === 'pod termination');

function expectUniqueIds(spans: readonly SpanData[]): void {
  const ids = spans.map((s) => s.spanId);
  expect(ids.filter((id, i) => ids.indexOf(id) !== i)).toEqual([]);
}

// The pod's DELETED, 70 s after the kill: deleted at 10:23:20 with 30 s of grace, as the
// SuccessfulDelete said — the same deletion the kill was part of.
const deletedLate = pod('DELETED', T0 + 70_000, stopped, { atMs: T0 + 30_000, graceS: 30 });

describe('the deletion of a pod seen after its Event-only termination closed', () => {
  it('exported already: no second termination; the DELETED is a "pod deleted" event naming it', () => {
    const spans = live([...killed, deletedLate], T0 + 8 * 60_000);
    expectUniqueIds(spans);
    const [t, ...more] = terminations(spans);
    expect(more).toEqual([]);
    expect(t?.attributes['kubestitch.close_reason']).toBe('no-further-evidence');
    expect(t?.endMs).toBe(T0 + 1020);
    // On the pod's activity (its DaemonSet's rollout, closed with the termination, is out too).
    const holders = spans.filter((s) => s.events.some((e) => e.name === 'pod deleted'));
    expect(holders.map((s) => [s.name, s.attributes['k8s.pod.name']])).toEqual([['Pod activity', POD.name]]);
    const deleted = spans.flatMap((s) => s.events).filter((e) => e.name === 'pod deleted');
    expect(deleted.map((e) => [e.timeMs, e.attributes['kubestitch.termination.span_id']])).toEqual([
      [T0 + 70_000, t?.spanId],
    ]);
  });

  it('not exported yet (a 120 s adoption window): the termination goes on and the DELETED ends it', () => {
    const spans = live([...killed, deletedLate], T0 + 6 * 60_000, { adoptionWindowMs: 120_000 });
    expectUniqueIds(spans);
    const [t, ...more] = terminations(spans);
    expect(more).toEqual([]);
    expect(t?.startMs).toBe(T0 + 20);
    expect(t?.endMs).toBe(T0 + 70_000);
    expect(t?.attributes['kubestitch.outcome']).toBe('ok');
    expect(t?.attributes['kubestitch.close_reason']).toBeUndefined();
    expect(t?.status.code).toBe('ok');
    expect(spans.flatMap((s) => s.events).filter((e) => e.name === 'pod deleted')).toEqual([]);
  });

  it('a pod that ran on after the kill and is deleted later has a second termination, with its own id', () => {
    const runningAgain = pod('MODIFIED', T0 + 8000, {
      phase: 'Running',
      conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: iso(T0 + 8000) }],
      containerStatuses: [
        { name: 'agent', ready: true, restartCount: 1, state: { running: { startedAt: iso(T0 + 7000) } } },
      ],
    });
    const deleting = pod('MODIFIED', T0 + 60_020, stopped, { atMs: T0 + 90_000, graceS: 30 });
    const deleted = pod('DELETED', T0 + 92_000, stopped, { atMs: T0 + 90_000, graceS: 30 });
    const spans = live([...killed, runningAgain, deleting, deleted], T0 + 5 * 60_000);
    expectUniqueIds(spans);
    expect(terminations(spans).map((t) => [t.startMs, t.endMs, t.attributes['kubestitch.outcome']])).toEqual([
      [T0 + 20, T0 + 1020, 'unfinished'],
      [T0 + 60_020, T0 + 92_000, 'ok'],
    ]);
  });
});

// The same for a termination its records opened that ended at the operation's maximum age (a pod
// held by a finalizer): its DELETED, later, opened a second termination from the same deletion
// request, exported under the same span id.
describe('the DELETED of a pod whose termination ended at its maximum age', () => {
  it('opens no second termination; it is a "pod deleted" event naming the first', () => {
    const deleting = pod('MODIFIED', T0 + 1000, stopped, { atMs: T0 + 30_000, graceS: 30 });
    const gone = pod('DELETED', T0 + 120_000, stopped, { atMs: T0 + 30_000, graceS: 30 });
    const spans = live([deleting, gone], T0 + 8 * 60_000, { maxOperationMs: 60_000 });
    expectUniqueIds(spans);
    const [t, ...more] = terminations(spans);
    expect(more).toEqual([]);
    expect(t?.attributes['kubestitch.close_reason']).toBe('max-age');
    const deleted = spans.flatMap((s) => s.events).filter((e) => e.name === 'pod deleted');
    expect(deleted.map((e) => [e.timeMs, e.attributes['kubestitch.termination.span_id']])).toEqual([
      [T0 + 120_000, t?.spanId],
    ]);
  });
});
