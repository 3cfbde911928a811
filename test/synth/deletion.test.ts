import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ATTR, OUTCOME } from '../../src/model/attributes.js';
import type { IngestRecord } from '../../src/model/records.js';
import type { SpanData } from '../../src/model/span.js';
import { synthesizeRecords } from '../../src/replay.js';
import { readRecording } from '../../src/sources/recording/read-recording.js';
import { DELETE_OPERATION } from '../../src/synth/operation-index.js';
import { Synthesizer } from '../../src/synth/synthesizer.js';
import { type Recording, writeRecording } from '../../tools/sim/index.js';
import { checkInvariants } from '../support/invariants.js';
import { compare, partition } from '../perturb/partition.js';
import { kindSkew } from '../perturb/perturb.js';
import { deletionRecording } from './deletion-recording.js';

// #14: `kubectl delete deployment` (and StatefulSet, Job) is one operation, the garbage
// collector's deletions and the pods' terminations under it, in any arrival order.
let base = '';
const inputs = new Map<string, IngestRecord[]>();

beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'ks-deletion-'));
  const rec = deletionRecording();
  const variants: [string, Recording][] = [
    ['watch+events', { ...rec, audit: [] }],
    ['all', rec],
  ];
  for (const [label, input] of variants) {
    await writeRecording(join(base, label), input);
    inputs.set(label, [...(await readRecording(join(base, label))).records]);
  }
}, 60_000);
afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

function synthesize(records: readonly IngestRecord[]): SpanData[] {
  const spans = synthesizeRecords(records, { cluster: 'sim' }).flat();
  expect(checkInvariants(spans)).toEqual([]);
  return spans;
}

function recordsOf(label: string): IngestRecord[] {
  const records = inputs.get(label);
  if (records === undefined) throw new Error(label);
  return records;
}

const deletionOf = (spans: readonly SpanData[], kind: string, name: string): SpanData | undefined =>
  spans.find(
    (s) =>
      s.attributes[ATTR.operation] === DELETE_OPERATION &&
      s.attributes[ATTR.objectKind] === kind &&
      s.attributes[ATTR.objectName] === name,
  );
const childrenOf = (spans: readonly SpanData[], parent: SpanData | undefined): SpanData[] =>
  spans.filter((s) => parent !== undefined && s.traceId === parent.traceId && s.parentSpanId === parent.spanId);
const terminations = (spans: readonly SpanData[]): SpanData[] =>
  spans.filter((s) => s.attributes[ATTR.operation] === 'pod.termination');
const deletedAt = (records: readonly IngestRecord[], kind: string, name: string): number | undefined =>
  records.find(
    (r) =>
      r.source === 'object' &&
      r.type === 'DELETED' &&
      r.object['kind'] === kind &&
      (r.object['metadata'] as { name?: string } | undefined)?.name === name,
  )?.timeMs;

// #14: the simulator's audit log begins with the recording, after the three workloads were
// created: their delete requests alone name them (resource, namespace, name; the uid in the
// response status), and the garbage collector's requests nest by the names it deletes.
describe('deleting workloads created before the audit began (audit only)', () => {
  it('gives each deletion the trees the watch and audit together give', () => {
    const all = partition(synthesize(recordsOf('all')));
    const audit = partition(synthesize(recordsOf('all').filter((r) => r.source === 'audit')));
    const deletions = [...all].filter(([id]) => id.startsWith(`${DELETE_OPERATION}:`));
    // Deployment, StatefulSet and Job deletions as roots; the ReplicaSet and ControllerRevision under them.
    expect(deletions.filter(([, p]) => p.parent === '')).toHaveLength(3);
    expect(deletions).toHaveLength(5);
    // Everything in those traces: the deletions, six pod terminations, and every request.
    const cascade = new Map([...all].filter(([, p]) => deletions.some(([id]) => p.root === id)));
    const operations = [...cascade.keys()].filter((id) => !id.startsWith('audit:'));
    expect(operations).toHaveLength(deletions.length + 6);
    expect(compare(cascade, audit).examples).toEqual([]);
  });
});

describe.each(['watch+events', 'all'])('deleting workloads (%s)', (label) => {
  it('makes a Deployment deletion one trace: its ReplicaSet deletion by the garbage collector, then the pods', () => {
    const records = recordsOf(label);
    const spans = synthesize(records);
    const dep = deletionOf(spans, 'Deployment', 'web');
    expect(dep?.parentSpanId).toBeUndefined();
    expect(dep?.attributes[ATTR.outcome]).toBe(OUTCOME.ok);
    const [rs, ...others] = childrenOf(spans, dep).filter((s) => s.attributes[ATTR.operation] === DELETE_OPERATION);
    expect(others).toEqual([]);
    expect(rs?.attributes[ATTR.objectKind]).toBe('ReplicaSet');
    expect(rs?.resource.attributes[ATTR.controllerName]).toBe('generic-garbage-collector');
    const pods = childrenOf(spans, rs).filter((s) => s.attributes[ATTR.operation] === 'pod.termination');
    expect(pods).toHaveLength(3);
    expect(pods.every((p) => p.attributes[ATTR.outcome] === OUTCOME.ok)).toBe(true);
    // No termination of these pods outside it.
    const webPods = terminations(spans).filter((s) => String(s.attributes[ATTR.podName]).startsWith('web-'));
    expect(webPods.map((s) => s.spanId).sort()).toEqual(pods.map((s) => s.spanId).sort());
    // From the deletion (the request, or the Deployment's DELETED) to the last pod gone.
    const deleted = deletedAt(records, 'Deployment', 'web') ?? NaN;
    if (label === 'all') {
      const request = childrenOf(spans, dep).find((s) => s.name === 'delete deployments');
      expect(dep?.startMs).toBe(request?.startMs);
      expect(dep?.resource.attributes[ATTR.serviceName]).toBe('kubectl');
    } else {
      expect(dep?.startMs).toBeLessThanOrEqual(deleted);
      expect(dep?.startMs).toBeGreaterThan(deleted - 1000);
    }
    expect(dep?.endMs).toBe(Math.max(...pods.map((p) => p.endMs)));
  });

  it('nests a StatefulSet’s and a Job’s pods under their deletion the same way (owner chains)', () => {
    const spans = synthesize(recordsOf(label));
    for (const [kind, name, pods] of [
      ['StatefulSet', 'kv', 2],
      ['Job', 'long', 1],
    ] as const) {
      const op = deletionOf(spans, kind, name);
      expect(op?.parentSpanId, kind).toBeUndefined();
      const children = childrenOf(spans, op).filter((s) => s.attributes[ATTR.operation] === 'pod.termination');
      expect(children, kind).toHaveLength(pods);
    }
  });

  // A running Job's pod deleted before the Job's own deletion arrives first goes under the Job's
  // run, still open then — tentatively: the Job's deletion takes it when it comes.
  it('gives the same trees when the Deployments, StatefulSets and Jobs arrive 5 s behind their ReplicaSets and pods', () => {
    const records = recordsOf(label);
    const expected = partition(synthesize(records));
    const late = new Set(['Deployment', 'StatefulSet', 'Job']);
    const delayed = records
      .map((r, i) => ({
        r: r.source === 'object' && late.has(String(r.object['kind'])) ? { ...r, timeMs: r.timeMs + 5000 } : r,
        i,
      }))
      .sort((a, b) => a.r.timeMs - b.r.timeMs || a.i - b.i)
      .map((x) => x.r);
    const result = compare(expected, partition(synthesize(delayed)));
    expect(result.examples).toEqual([]);
    for (const seed of [1, 2, 3, 4, 5]) {
      const skewed = compare(expected, partition(synthesize(kindSkew(records, seed).records)));
      expect(skewed.examples, `seed ${seed}`).toEqual([]);
    }
  });
});

// The other side of a running Job's pod terminating under its run only tentatively (owned-open):
// a pod deleted while its Job runs on (no Job deletion follows) stays under the run, and is
// exported once the adoption window has passed, without waiting for the end of input.
describe('a running Job’s pod deleted, the Job running on', () => {
  it('keeps the pod’s termination under the Job’s run, exported by record time', async () => {
    const dir = join(base, 'job-pod');
    await writeRecording(dir, { ...deletionRecording('job-pod'), audit: [] });
    const records = [...(await readRecording(dir)).records];
    const last = records[records.length - 1]?.timeMs ?? 0;
    const synth = new Synthesizer({ cluster: 'sim' });
    const live = [...records.flatMap((r) => synth.process(r)), ...synth.advance(last + 30_000)];
    const termination = live.find((s) => s.name === 'pod termination' && s.attributes[ATTR.podName] === 'long-z867j');
    expect(termination).toBeDefined();
    const all = [...live, ...synth.flush()];
    expect(checkInvariants(all)).toEqual([]);
    const parent = all.find((s) => s.spanId === termination?.parentSpanId);
    expect(parent?.name).toBe('Job run');
    expect(parent?.traceId).toBe(termination?.traceId);
    expect(deletionOf(all, 'Job', 'long')).toBeUndefined();
  });
});
