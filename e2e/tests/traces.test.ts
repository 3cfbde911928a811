/**
 * What a user sees of the e2e workloads (e2e/lib/scenarios.ts) driven against the real control
 * plane: one trace per operation, pods under their ReplicaSet under the rollout, the apiserver's own
 * spans under the audited requests, actors by their real identities — live (spans.jsonl, what
 * `kubestitch run` exported) and replayed from the recording (replay-spans.jsonl).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { SpanData } from '../../src/model/span.js';
import { checkInvariants, isComponentsOwnTiming, isRealSpan } from '../../test/support/invariants.js';
import { ART, Traces, attr, operationShape, readSpans, service } from '../support/artifacts.js';

const live = new Traces(readSpans('spans.jsonl'));
const replay = new Traces(readSpans('replay-spans.jsonl'));

/**
 * A live run is cut while operations are open: a child leaves before its parent (ADR 0001), so
 * the export may hold spans of traces whose root is still open at SIGTERM (the stuck rollout, an
 * activity window of 30 min) and links to such roots (a pod's link to its node's window). Only
 * that is excused: the missing span was exported nowhere, and its trace's root was not exported
 * either (a root's span id is the first half of its trace id, both derived from its key). A
 * parent moved to another trace is still a failure.
 */
function awaitsOpenRoot(problem: string, t: Traces): boolean {
  const parent = /: parent ([0-9a-f]{16}) not in trace ([0-9a-f]{32})$/.exec(problem);
  const link = /: link to missing span ([0-9a-f]{32})\/([0-9a-f]{16})$/.exec(problem);
  const [missing, trace] = parent !== null ? [parent[1], parent[2]] : link !== null ? [link[2], link[1]] : [];
  if (missing === undefined || trace === undefined) return false;
  const rootId = trace.slice(0, 16);
  return !t.spans.some((s) => s.spanId === missing || s.spanId === rootId);
}

/**
 * Span ids the components sent (recording/spans.jsonl, what kubestitch's OTLP port was given).
 * The apiserver drops spans when its export queue (2,048) is full, as it is at start-up: an etcd
 * span whose apiserver parent was never sent cannot be given its parent; kubestitch forwards it
 * as received. Any other missing parent is kubestitch's.
 */
const sentSpanIds = new Set(
  readFileSync(join(ART, 'recording/spans.jsonl'), 'utf8')
    .split('\n')
    .flatMap((l) => [...l.matchAll(/"spanId":"([0-9a-f]{16})"/g)].map((m) => m[1])),
);
/** A span a component made: stitched into a kubestitch trace, or forwarded as it came. */
const fromComponent = (s: SpanData): boolean => isRealSpan(s) || ['apiserver', 'etcd'].includes(service(s));

function parentNeverSent(problem: string, t: Traces): boolean {
  const m = / ([0-9a-f]{16}): parent ([0-9a-f]{16}) not in trace [0-9a-f]{32}$/.exec(problem);
  const child = m === null ? undefined : t.spans.find((s) => s.spanId === m[1]);
  return m?.[2] !== undefined && child !== undefined && fromComponent(child) && !sentSpanIds.has(m[2]);
}

/** The stuck rollout as `GET /api/open-operations` listed it once the workloads were driven. */
interface OpenOp {
  kind: string;
  namespace: string;
  name: string;
  operation: string;
  traceID: string;
  spanID: string;
  waitingOn: string;
}

function openStuck(): OpenOp | undefined {
  const body = JSON.parse(readFileSync(join(ART, 'open-operations.json'), 'utf8')) as { data?: OpenOp[] };
  return (body.data ?? []).find((o) => o.namespace === 'e2e-stuck');
}

const deploy = { 'k8s.namespace.name': 'e2e-deploy', 'k8s.deployment.name': 'web' };

/** The rollout of `web` to revision `rev` in `t`, with everything in its trace. */
function rollout(t: Traces, rev: string): SpanData {
  const found = t.ops('Deployment rollout', { ...deploy, 'kubestitch.revision': rev });
  expect(found, `Deployment rollout web revision ${rev}`).toHaveLength(1);
  return found[0] as SpanData;
}

describe('e2e artifacts', () => {
  it('holds the live export, the recording and the real versions', () => {
    for (const f of [
      'spans.jsonl',
      'replay-spans.jsonl',
      'recording/watch.jsonl',
      'recording/events.jsonl',
      'recording/audit.log',
      'recording/spans.jsonl',
    ]) {
      expect(existsSync(join(ART, f)) && statSync(join(ART, f)).size > 0, f).toBe(true);
    }
    const versions = JSON.parse(readFileSync(join(ART, 'versions.json'), 'utf8')) as Record<string, string>;
    expect(versions['kube-apiserver']).toBe('Kubernetes v1.35.4');
    expect(versions['kube-controller-manager']).toBe('Kubernetes v1.35.4');
    expect(versions['kube-scheduler']).toBe('Kubernetes v1.35.4');
    expect(versions['etcd']).toMatch(/^etcd Version: 3\.6\./);
    expect(versions['kwok']).toMatch(/0\.8\.0/);
  });
});

describe.each([
  ['live', live],
  ['replay', replay],
])('%s traces', (_, t) => {
  it('keep the invariants: parents cover children in the same trace, no id twice', () => {
    expect(t.spans.length).toBeGreaterThan(100);
    // Live, under load, etcd's server span has ended up to a few ms after the apiserver's client span.
    const problems = checkInvariants(t.spans)
      .filter((p) => !isComponentsOwnTiming(p, t.spans, 10, fromComponent))
      .filter((p) => !parentNeverSent(p, t));
    expect(problems.filter((p) => !(t === live && awaitsOpenRoot(p, t)))).toEqual([]);
  });

  it('show the image rollout of web as one trace: new ReplicaSet up, old one down, pods under each', () => {
    const root = rollout(t, '2');
    expect(t.parent(root)).toBeUndefined();
    const steps = t.children(root).filter((s) => s.name.startsWith('ReplicaSet scale'));
    const up = steps.filter((s) => s.name === 'ReplicaSet scale up');
    const down = steps.filter((s) => s.name === 'ReplicaSet scale down');
    expect(up).toHaveLength(1);
    expect(down).toHaveLength(1);
    const [u, d] = [up[0] as SpanData, down[0] as SpanData];
    expect(attr(u, 'kubestitch.replicas.to')).toBe('3');
    expect(attr(d, 'kubestitch.replicas.to')).toBe('0');
    expect(t.children(u).filter((s) => s.name === 'pod startup')).toHaveLength(3);
    expect(t.children(d).filter((s) => s.name === 'pod termination')).toHaveLength(3);
    // No pod the rollout's scale-up started is in a trace of its own (later scale-ups of the
    // same ReplicaSet are operations of their own, and the old pods' terminations outlast it).
    const newRs = attr(u, 'k8s.replicaset.name');
    const strays = t
      .ops('pod startup')
      .filter((p) => attr(p, 'k8s.replicaset.name') === newRs && p.startMs >= u.startMs && p.startMs <= u.endMs)
      .filter((p) => p.traceId !== root.traceId);
    expect(strays.map((s) => attr(s, 'k8s.pod.name'))).toEqual([]);
  });

  it('name the actors by their real identities', () => {
    const inRollout = t.trace(rollout(t, '2').traceId);
    const actors = new Set(
      inRollout.map(
        (s) =>
          `${s.name} [${service(s)}${attr(s, 'kubestitch.controller.name') ? '/' + attr(s, 'kubestitch.controller.name') : ''}]`,
      ),
    );
    expect(actors).toContain('patch deployments [kubectl]');
    expect(actors).toContain('update replicasets/status [kube-controller-manager/replicaset-controller]');
    expect(actors).toContain('create pods [kube-controller-manager/replicaset-controller]');
    expect(actors).toContain('create pods/binding [kube-scheduler]');
    expect(
      [...actors].some((a) =>
        /^(update|patch) replicasets \[kube-controller-manager\/deployment-controller\]$/.test(a),
      ),
    ).toBe(true);
  });

  it('show the StatefulSet and DaemonSet rollouts as one trace each with their pods', () => {
    for (const [name, attrs] of [
      ['StatefulSet rollout', { 'k8s.namespace.name': 'e2e-sts', 'k8s.statefulset.name': 'db' }],
      ['DaemonSet rollout', { 'k8s.namespace.name': 'e2e-ds', 'k8s.daemonset.name': 'agent' }],
    ] as const) {
      const rollouts = t.ops(name, attrs);
      expect(rollouts.length, name).toBeGreaterThanOrEqual(1);
      const update = rollouts.at(-1) as SpanData;
      const pods = t.subtree(update).filter((s) => s.name === 'pod startup' || s.name === 'pod termination');
      expect(pods.length, `${name}: pods nested`).toBeGreaterThanOrEqual(name === 'StatefulSet rollout' ? 4 : 6);
    }
  });

  it('show the Job with a failed first attempt and a successful retry', () => {
    const [job] = t.ops('Job run', { 'k8s.namespace.name': 'e2e-job', 'k8s.job.name': 'migrate' });
    expect(job).toBeDefined();
    const under = t.subtree(job as SpanData).filter((s) => attr(s, 'k8s.pod.name') !== undefined);
    const pods = [...new Set(under.map((s) => attr(s, 'k8s.pod.name')))];
    expect(pods).toHaveLength(2);
    // The first pod never became Ready: its container's exit ends its startup as failed.
    const failed = under.filter((s) => s.status.code === 'error');
    expect(failed.map((s) => `${s.name}: ${s.status.code === 'error' ? s.status.message : ''}`)).toEqual([
      'pod startup: container app exited with code 1 (Error)',
    ]);
    const runs = under.filter((s) => s.name === 'pod run');
    expect(runs.map((r) => [attr(r, 'kubestitch.outcome'), r.status.code])).toEqual([['completed', 'ok']]);
    expect(job?.status.code).toBe('ok');
  });

  it('nest a CronJob-started Job under its CronJob', () => {
    const jobs = t.ops('Job run', { 'k8s.namespace.name': 'e2e-cron' });
    expect(jobs.length).toBeGreaterThanOrEqual(1);
    for (const j of jobs) expect(attr(t.root(j), 'k8s.cronjob.name')).toBe('report');
  });

  it('puts the apiserver’s own spans, and etcd’s, under the audited requests', () => {
    const real = t.spans.filter((s) => attr(s, 'kubestitch.original_trace_id') !== undefined);
    expect(real.length).toBeGreaterThan(0);
    const underAudit = real.filter((s) => {
      const p = t.parent(s);
      return (
        p !== undefined && attr(p, 'audit-id') !== undefined && attr(p, 'kubestitch.original_trace_id') === undefined
      );
    });
    expect(underAudit.length).toBeGreaterThan(0);
    const etcd = real.filter((s) => service(s) === 'etcd');
    expect(etcd.length).toBeGreaterThan(0);
    for (const e of etcd.slice(0, 50)) expect(service(t.root(e))).not.toBe('etcd');
  });
});

describe('live and replay', () => {
  it('give the same operation trees for the rollouts the live run finished', () => {
    const shapes = (t: Traces): string[] =>
      t.spans
        .filter((s) => s.parentSpanId === undefined && /rollout|Job run/.test(s.name))
        .filter(
          (s) =>
            attr(s, 'k8s.namespace.name')?.startsWith('e2e-') === true &&
            attr(s, 'kubestitch.outcome') !== 'unfinished',
        )
        .map((s) => operationShape(t, s))
        .sort();
    const liveShapes = shapes(live);
    expect(liveShapes.length).toBeGreaterThanOrEqual(4);
    const replayShapes = new Set(shapes(replay));
    expect(liveShapes.filter((s) => !replayShapes.has(s))).toEqual([]);
  });

  it('live, the stuck rollout is listed in progress, waiting on an unready pod (GET /api/open-operations)', () => {
    const stuck = openStuck();
    expect(stuck).toMatchObject({ kind: 'Deployment', name: 'stuck', operation: 'Deployment rollout' });
    expect(stuck?.waitingOn).toMatch(/^pod stuck-[a-z0-9]+-[a-z0-9]+: readiness \(unready (\d+m\d+s|\d+m|\d+s)\)/);
  });

  it('live, the stuck rollout’s trace shows its open spans drawn to now over the exported ones (GET /api/traces/{id})', () => {
    interface JaegerSpan {
      spanID: string;
      operationName: string;
      startTime: number;
      duration: number;
      references: { spanID: string }[];
      tags: { key: string; value: unknown }[];
    }
    const body = JSON.parse(readFileSync(join(ART, 'open-trace.json'), 'utf8')) as { data?: { spans: JaegerSpan[] }[] };
    const spans = body.data?.[0]?.spans ?? [];
    const stuck = openStuck();
    const root = spans.find((s) => s.spanID === stuck?.spanID);
    const open = (s: JaegerSpan): boolean => s.tags.some((t) => t.key === 'kubestitch.open' && t.value === true);
    // The rollout ended (ProgressDeadlineExceeded) but its pods are still starting: in progress.
    expect(root && open(root)).toBe(true);
    expect(spans.filter((s) => s.operationName === 'pod startup' && open(s)).length).toBe(2);
    expect(spans.filter((s) => s.operationName === 'schedule' && !open(s)).length).toBe(2);
    // An open span, drawn to now, covers its children, as a finished one does (DESIGN §3.5).
    const byId = new Map(spans.map((s) => [s.spanID, s]));
    for (const s of spans) {
      const parent = byId.get(s.references[0]?.spanID ?? '');
      if (parent === undefined || !open(parent)) continue;
      expect(s.startTime, s.operationName).toBeGreaterThanOrEqual(parent.startTime);
      expect(s.startTime + s.duration, s.operationName).toBeLessThanOrEqual(parent.startTime + parent.duration);
    }
  });

  it('live, the stuck rollout’s finished pod phases were exported while it was stuck, under the parents the replay gives them', () => {
    const [stuck] = replay.ops('Deployment rollout', { 'k8s.namespace.name': 'e2e-stuck' });
    const phases = replay
      .trace(stuck?.traceId ?? '')
      .filter(
        (s) =>
          attr(s, 'kubestitch.operation') === 'pod.phase' && (s.name === 'schedule' || s.name.startsWith('start ')),
      );
    // Two pods (replicas: 2), each scheduled and started, never Ready.
    expect(phases.length).toBeGreaterThanOrEqual(4);
    const byId = new Map(live.spans.map((s) => [s.spanId, s]));
    for (const p of phases) {
      const exported = byId.get(p.spanId);
      expect(exported && [exported.name, exported.parentSpanId], p.name).toEqual([p.name, p.parentSpanId]);
      // In the trace the open rollout has (its id derives from its start, a receive time, which
      // differs between kubestitch run and kubestitch record by milliseconds).
      expect(exported?.traceId, p.name).toBe(openStuck()?.traceID);
    }
    // Their pod startups never ended: they were not exported, the phases went out without them.
    const startups = new Set(phases.map((p) => p.parentSpanId));
    expect(live.spans.filter((s) => startups.has(s.spanId))).toEqual([]);
  });

  it('replay shows the rollout that never became ready as stuck (ProgressDeadlineExceeded)', () => {
    const [stuck] = replay.ops('Deployment rollout', { 'k8s.namespace.name': 'e2e-stuck' });
    expect(stuck?.status.code).toBe('error');
    expect(stuck && attr(stuck, 'kubestitch.outcome')).toBe('progress-deadline-exceeded');
    // The Progressing condition's own message, as the deployment-controller wrote it.
    expect(stuck?.status.code === 'error' && stuck.status.message).toMatch(
      /^ReplicaSet "stuck-[a-z0-9]+" has timed out progressing\.$/,
    );
  });
});
