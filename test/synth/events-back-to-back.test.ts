import { describe, expect, it } from 'vitest';
import type { IngestRecord } from '../../src/model/records.js';
import type { SpanData } from '../../src/model/span.js';
import { normalizeEvent } from '../../src/sources/event-normalize.js';
import { Synthesizer } from '../../src/synth/synthesizer.js';

// Events alone (or one snapshot per object, issue 14): two template changes of a StatefulSet or
// DaemonSet in a row are two rollouts, not one.

const T0 = Date.parse('2026-12-07T10:23:20Z');
const iso = (ms: number): string => new Date(ms).toISOString();
const origin = { file: 't', line: 1 };

interface Regarding {
  readonly kind: string;
  readonly name: string;
  readonly uid: string;
}

let n = 0;
function event(
  regarding: Regarding,
  reason: string,
  note: string,
  atMs: number,
  firstMs = atMs,
  count = 1,
): IngestRecord {
  n++;
  const e = normalizeEvent({
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: `e.${n}`, namespace: 'shop', uid: `ev-${n}` },
    involvedObject: { ...regarding, namespace: 'shop', apiVersion: regarding.kind === 'Pod' ? 'v1' : 'apps/v1' },
    reason,
    message: note,
    type: 'Normal',
    source: { component: 'test' },
    firstTimestamp: iso(firstMs),
    lastTimestamp: iso(atMs),
    count,
  });
  if (typeof e === 'string') throw new Error(e);
  return { source: 'event', type: 'ADDED', event: e, timeMs: atMs + 20, timeEstimated: false, origin };
}

function synthesize(records: readonly IngestRecord[]): SpanData[] {
  const synth = new Synthesizer({ cluster: 'c' });
  return [...records.flatMap((r) => synth.process(r)), ...synth.flush()];
}

/** Each rollout with the pods whose startups and terminations it holds, in time order. */
function rollouts(spans: readonly SpanData[]): string[] {
  return spans
    .filter((s) => s.name.endsWith(' rollout'))
    .sort((a, b) => a.startMs - b.startMs)
    .map((r) => {
      const children = spans
        .filter((c) => c.parentSpanId === r.spanId && c.traceId === r.traceId)
        .sort((a, b) => a.startMs - b.startMs)
        .map((c) => `${c.name.replace('pod ', '')} ${String(c.attributes['k8s.pod.name'])}`);
      return `${r.name}: ${children.join(', ')}`;
    });
}

describe('back-to-back rollouts seen only through Events', () => {
  it('a DaemonSet deleting a pod its rollout just created has begun the next rollout', () => {
    const ds: Regarding = { kind: 'DaemonSet', name: 'agent', uid: 'ds-1' };
    const spans = synthesize([
      event(ds, 'SuccessfulCreate', 'Created pod: agent-a', T0),
      event({ kind: 'Pod', name: 'agent-a', uid: 'p-a' }, 'Started', 'Started container agent', T0 + 2000),
      event(ds, 'SuccessfulDelete', 'Deleted pod: agent-a', T0 + 8000),
      event({ kind: 'Pod', name: 'agent-a', uid: 'p-a' }, 'Killing', 'Stopping container agent', T0 + 8000),
      event(ds, 'SuccessfulCreate', 'Created pod: agent-b', T0 + 9000),
      event({ kind: 'Pod', name: 'agent-b', uid: 'p-b' }, 'Started', 'Started container agent', T0 + 10_000),
    ]);
    expect(rollouts(spans)).toEqual([
      'DaemonSet rollout: startup agent-a',
      'DaemonSet rollout: termination agent-a, startup agent-b',
    ]);
  });

  it('a StatefulSet’s "Create Pod db-1 …" (as newer releases write it) counted again is the next rollout’s', () => {
    const sts: Regarding = { kind: 'StatefulSet', name: 'db', uid: 'sts-1' };
    const old: Regarding = { kind: 'Pod', name: 'db-1', uid: 'p-old' };
    const renewed: Regarding = { kind: 'Pod', name: 'db-1', uid: 'p-new' };
    const spans = synthesize([
      event(sts, 'SuccessfulCreate', 'Create Pod db-1 in StatefulSet db successful', T0),
      event(old, 'Started', 'Started container postgres', T0 + 2000),
      event(sts, 'SuccessfulDelete', 'Delete Pod db-1 in StatefulSet db successful', T0 + 12_000),
      event(old, 'Killing', 'Stopping container postgres', T0 + 12_000),
      // The same Event object, seen a second time: its first time is the first rollout's.
      event(sts, 'SuccessfulCreate', 'Create Pod db-1 in StatefulSet db successful', T0 + 14_000, T0, 2),
      event(renewed, 'Started', 'Started container postgres', T0 + 15_000),
    ]);
    expect(rollouts(spans)).toEqual([
      'StatefulSet rollout: startup db-1',
      'StatefulSet rollout: termination db-1, startup db-1',
    ]);
  });
});
