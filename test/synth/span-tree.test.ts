import { describe, expect, it } from 'vitest';
import { spanIdFor, traceIdFor } from '../../src/model/ids.js';
import type { KubeEvent } from '../../src/model/records.js';
import type { AttrValue, SpanData } from '../../src/model/span.js';
import type { PendingSpan } from '../../src/synth/pending-span.js';
import { SpanTree } from '../../src/synth/span-tree.js';
import { checkInvariants } from '../support/invariants.js';
import { prng } from '../support/prng.js';

const CLUSTER = 'kind-test';
const T = Date.parse('2024-05-01T10:00:00Z');

function opener(tree: SpanTree) {
  return (
    key: string,
    startMs: number,
    parent?: PendingSpan,
    attributes: Record<string, AttrValue> = {},
  ): PendingSpan =>
    tree.open({
      key,
      name: key,
      startMs,
      resource: { 'service.name': 'kube-controller-manager' },
      attributes,
      parent,
    });
}

function byName(batch: readonly SpanData[], name: string): SpanData {
  const span = batch.find((s) => s.name === name);
  if (span === undefined) throw new Error(`no span ${name} in [${batch.map((s) => s.name).join(', ')}]`);
  return span;
}

function kubeEvent(key: string, reason: string, firstMs: number, count: number): KubeEvent {
  return {
    key,
    namespace: 'shop',
    name: `web-0.${key}`,
    regarding: { kind: 'Pod', apiVersion: 'v1', namespace: 'shop', name: 'web-0', uid: 'pod-1', fieldPath: '' },
    reason,
    type: reason === 'BackOff' ? 'Warning' : 'Normal',
    note: '',
    action: '',
    reportingController: 'kubelet',
    reportingInstance: 'node-1',
    firstMs,
    lastMs: firstMs + (count - 1) * 1000,
    count,
  };
}

const ok = { outcome: 'ok', status: { code: 'ok' } } as const;

describe('SpanTree', () => {
  describe('open', () => {
    it('derives trace and span ids from keys, children in their root trace', () => {
      const tree = new SpanTree(CLUSTER);
      const open = opener(tree);
      const root = open('deploy/web/rollout/2', T);
      const child = open('rs/web-1/scale', T + 10, root);
      tree.close(child, T + 20, ok);
      tree.close(root, T + 30, ok);
      const batch = tree.takeBatch();
      const r = byName(batch, 'deploy/web/rollout/2');
      const c = byName(batch, 'rs/web-1/scale');
      expect(r.traceId).toBe(traceIdFor(CLUSTER, 'deploy/web/rollout/2'));
      expect(r.spanId).toBe(spanIdFor(CLUSTER, 'deploy/web/rollout/2'));
      expect(r.parentSpanId).toBeUndefined();
      expect(c.traceId).toBe(r.traceId);
      expect(c.spanId).toBe(spanIdFor(CLUSTER, 'rs/web-1/scale'));
      expect(c.parentSpanId).toBe(r.spanId);
    });

    it('gives byte-identical spans for the same input and different ids in another cluster', () => {
      const build = (cluster: string): SpanData[] => {
        const tree = new SpanTree(cluster);
        const open = opener(tree);
        const root = open('job/backup', T, undefined, { 'k8s.job.name': 'backup' });
        const pod = open('pod/backup-x', T + 5, root);
        tree.addKubeEvent(pod, kubeEvent('e1', 'Pulled', T + 6, 1));
        tree.close(pod, T + 50, ok);
        tree.close(root, T + 60, { outcome: 'completed' });
        return tree.takeBatch();
      };
      expect(JSON.stringify(build(CLUSTER))).toBe(JSON.stringify(build(CLUSTER)));
      expect(build('other')[0]?.traceId).not.toBe(build(CLUSTER)[0]?.traceId);
    });

    it('adds k8s.cluster.name to the actor resource', () => {
      const tree = new SpanTree(CLUSTER);
      const span = opener(tree)('x', T);
      tree.close(span, T + 1, ok);
      expect(tree.takeBatch()[0]?.resource.attributes).toEqual({
        'service.name': 'kube-controller-manager',
        'k8s.cluster.name': CLUSTER,
      });
    });

    it('moves the start of every ancestor back to cover an earlier child', () => {
      const tree = new SpanTree(CLUSTER);
      const open = opener(tree);
      const root = open('root', T + 100);
      const mid = open('mid', T + 100, root);
      const leaf = open('leaf', T + 40, mid);
      tree.close(leaf, T + 120, ok);
      tree.close(mid, T + 130, ok);
      tree.close(root, T + 140, ok);
      const batch = tree.takeBatch();
      expect(batch.map((s) => [s.name, s.startMs - T])).toEqual([
        ['leaf', 40],
        ['mid', 40],
        ['root', 40],
      ]);
      expect(checkInvariants(batch)).toEqual([]);
    });

    it('starts a trace of its own under a parent that is already closing', () => {
      const tree = new SpanTree(CLUSTER);
      const open = opener(tree);
      const root = open('root', T);
      const busy = open('busy', T + 1, root);
      tree.close(root, T + 10, ok);
      const late = open('late', T + 20, root);
      tree.close(late, T + 30, ok);
      const [lateSpan] = tree.takeBatch();
      expect(lateSpan?.name).toBe('late');
      expect(lateSpan?.parentSpanId).toBeUndefined();
      expect(lateSpan?.traceId).toBe(traceIdFor(CLUSTER, 'late'));
      tree.close(busy, T + 15, ok);
      expect(tree.takeBatch().map((s) => s.name)).toEqual(['busy', 'root']);
    });
  });

  describe('close', () => {
    it('emits a parent only after all of its children', () => {
      const tree = new SpanTree(CLUSTER);
      const open = opener(tree);
      const root = open('root', T);
      const a = open('a', T + 1, root);
      const b = open('b', T + 2, root);
      tree.close(root, T + 100, ok);
      tree.close(a, T + 10, ok);
      expect(tree.takeBatch().map((s) => s.name)).toEqual(['a']);
      tree.close(b, T + 20, ok);
      expect(tree.takeBatch().map((s) => s.name)).toEqual(['b', 'root']);
      expect(tree.emittedCount).toBe(3);
    });

    it('extends the parent end to cover a child that ends later', () => {
      const tree = new SpanTree(CLUSTER);
      const open = opener(tree);
      const root = open('root', T);
      const child = open('child', T + 10, root);
      tree.close(root, T + 50, ok);
      tree.close(child, T + 400, ok);
      const batch = tree.takeBatch();
      expect(byName(batch, 'root').endMs).toBe(T + 400);
      expect(checkInvariants(batch)).toEqual([]);
    });

    it('treats an end before the start as no own length, keeping the children covered', () => {
      const tree = new SpanTree(CLUSTER);
      const open = opener(tree);
      const root = open('root', T + 100);
      const child = open('child', T + 100, root);
      tree.close(child, T + 150, ok);
      tree.close(root, T + 20, ok);
      const r = byName(tree.takeBatch(), 'root');
      expect([r.startMs - T, r.endMs - T]).toEqual([100, 150]);
    });

    it('folds a zero-length child into a span event on its parent', () => {
      const tree = new SpanTree(CLUSTER);
      const open = opener(tree);
      const root = open('pod startup', T);
      const bind = open('bind', T + 30, root, { 'k8s.node.name': 'node-1' });
      tree.addEvent(bind, { name: 'note', timeMs: T + 30, attributes: { n: 1 } });
      tree.addKubeEvent(bind, kubeEvent('sched', 'Scheduled', T + 30, 1));
      tree.close(bind, T + 30, ok);
      tree.close(root, T + 100, ok);
      const batch = tree.takeBatch();
      expect(batch.map((s) => s.name)).toEqual(['pod startup']);
      const events = byName(batch, 'pod startup').events;
      expect(events.map((e) => e.name)).toEqual(['Scheduled', 'bind', 'note']);
      expect(events.find((e) => e.name === 'bind')).toEqual({
        name: 'bind',
        timeMs: T + 30,
        attributes: { 'k8s.node.name': 'node-1', 'kubestitch.outcome': 'ok' },
      });
      expect(tree.emittedCount).toBe(1);
    });

    it('gives a zero-length root 1 ms and marks it kubestitch.instant', () => {
      const tree = new SpanTree(CLUSTER);
      const span = opener(tree)('force delete', T);
      tree.close(span, T, { outcome: 'deleted' });
      const [s] = tree.takeBatch();
      expect(s?.endMs).toBe(T + 1);
      expect(s?.attributes).toEqual({ 'kubestitch.instant': true, 'kubestitch.outcome': 'deleted' });
      expect(checkInvariants(s === undefined ? [] : [s])).toEqual([]);
    });

    it('closes settled children at their settle time when the parent closes', () => {
      const tree = new SpanTree(CLUSTER);
      const open = opener(tree);
      const rollout = open('rollout', T);
      const scale = open('scale', T + 10, rollout);
      tree.settle(scale, T + 80);
      tree.close(rollout, T + 200, { outcome: 'superseded' });
      const batch = tree.takeBatch();
      expect(batch.map((s) => s.name)).toEqual(['scale', 'rollout']);
      const s = byName(batch, 'scale');
      expect(s.endMs).toBe(T + 80);
      expect(s.status).toEqual({ code: 'ok' });
      expect(s.attributes['kubestitch.outcome']).toBe('ok');
      expect(byName(batch, 'rollout').attributes['kubestitch.outcome']).toBe('superseded');
    });

    it('waits for a child that was settled and then unsettled', () => {
      const tree = new SpanTree(CLUSTER);
      const open = opener(tree);
      const rollout = open('rollout', T);
      const scale = open('scale', T + 10, rollout);
      tree.settle(scale, T + 80);
      tree.unsettle(scale);
      tree.close(rollout, T + 200, ok);
      expect(tree.takeBatch()).toEqual([]);
      tree.close(scale, T + 300, ok);
      const batch = tree.takeBatch();
      expect(byName(batch, 'rollout').endMs).toBe(T + 300);
    });

    it('ignores a second close', () => {
      const tree = new SpanTree(CLUSTER);
      const span = opener(tree)('job', T);
      tree.close(span, T + 10, { outcome: 'completed', status: { code: 'ok' } });
      tree.close(span, T + 99, { outcome: 'failed', status: { code: 'error', message: 'late' } });
      tree.settle(span, T + 5);
      const batch = tree.takeBatch();
      expect(batch).toHaveLength(1);
      expect(batch[0]?.endMs).toBe(T + 10);
      expect(batch[0]?.status).toEqual({ code: 'ok' });
      expect(batch[0]?.attributes['kubestitch.outcome']).toBe('completed');
      expect(tree.emittedCount).toBe(1);
    });

    it('ignores a second close while the span waits for its children', () => {
      const tree = new SpanTree(CLUSTER);
      const open = opener(tree);
      const root = open('root', T);
      const child = open('child', T + 1, root);
      tree.close(root, T + 10, { outcome: 'ok' });
      tree.close(root, T + 99, { outcome: 'failed', status: { code: 'error', message: 'x' } });
      tree.close(child, T + 5, ok);
      const r = byName(tree.takeBatch(), 'root');
      expect([r.endMs - T, r.attributes['kubestitch.outcome'], r.status.code]).toEqual([10, 'ok', 'unset']);
    });
  });

  describe('events and links', () => {
    it('sorts span events by time, then name', () => {
      const tree = new SpanTree(CLUSTER);
      const span = opener(tree)('pod', T);
      tree.addEvent(span, { name: 'z', timeMs: T + 5, attributes: {} });
      tree.addKubeEvent(span, kubeEvent('e2', 'Started', T + 9, 1));
      tree.addEvent(span, { name: 'b', timeMs: T + 1, attributes: {} });
      tree.addEvent(span, { name: 'a', timeMs: T + 5, attributes: {} });
      tree.addKubeEvent(span, kubeEvent('e1', 'Pulling', T + 2, 1));
      tree.close(span, T + 10, ok);
      expect(tree.takeBatch()[0]?.events.map((e) => e.name)).toEqual(['b', 'Pulling', 'a', 'z', 'Started']);
    });

    it('keeps one span event per Kubernetes Event, with its latest count', () => {
      const tree = new SpanTree(CLUSTER);
      const span = opener(tree)('pod', T);
      tree.addKubeEvent(span, kubeEvent('backoff', 'BackOff', T + 1, 1));
      tree.addKubeEvent(span, kubeEvent('backoff', 'BackOff', T + 1, 4));
      tree.close(span, T + 10, ok);
      const events = tree.takeBatch()[0]?.events ?? [];
      expect(events).toHaveLength(1);
      expect(events[0]?.attributes['kubestitch.event.count']).toBe(4);
      expect(events[0]?.attributes['kubestitch.event.type']).toBe('Warning');
    });

    it('de-duplicates links and sorts them by span id', () => {
      const tree = new SpanTree(CLUSTER);
      const span = opener(tree)('pod', T);
      const link = (k: string) => ({ traceId: traceIdFor(CLUSTER, k), spanId: spanIdFor(CLUSTER, k), attributes: {} });
      const keys = ['node/a', 'node/b', 'node/c'];
      for (const k of [...keys, ...keys]) tree.addLink(span, link(k));
      tree.close(span, T + 1, ok);
      const ids = tree.takeBatch()[0]?.links.map((l) => l.spanId) ?? [];
      expect(ids).toEqual(keys.map((k) => spanIdFor(CLUSTER, k)).sort());
    });

    it('ignores events and links added after the span was emitted', () => {
      const tree = new SpanTree(CLUSTER);
      const span = opener(tree)('pod', T);
      tree.close(span, T + 1, ok);
      const [emitted] = tree.takeBatch();
      tree.addEvent(span, { name: 'late', timeMs: T + 2, attributes: {} });
      tree.addKubeEvent(span, kubeEvent('late', 'Killing', T + 2, 1));
      tree.addLink(span, { traceId: traceIdFor(CLUSTER, 'x'), spanId: spanIdFor(CLUSTER, 'x'), attributes: {} });
      expect(emitted?.events).toEqual([]);
      expect(emitted?.links).toEqual([]);
      expect(tree.takeBatch()).toEqual([]);
    });
  });

  describe('random forests', () => {
    it('always satisfies DESIGN §3.5 and replays identically', () => {
      let folded = 0;
      let instants = 0;
      for (let seed = 1; seed <= 40; seed++) {
        const first = randomForest(seed);
        expect(checkInvariants(first.spans), `seed ${seed}`).toEqual([]);
        // Every opened span is either exported or folded into a span event on its parent.
        expect(first.spans.length + first.folded).toBe(first.opened);
        expect(JSON.stringify(randomForest(seed).spans)).toBe(JSON.stringify(first.spans));
        folded += first.folded;
        instants += first.spans.filter((s) => s.attributes['kubestitch.instant'] === true).length;
      }
      // The forests do exercise the zero-length paths.
      expect(folded).toBeGreaterThan(0);
      expect(instants).toBeGreaterThan(0);
    });
  });
});

/**
 * Opens, settles and closes spans in a random order at integer times (so zero-length spans
 * happen), sometimes opening a child earlier than its parent; closes everything at the end.
 */
function randomForest(seed: number): { spans: SpanData[]; opened: number; folded: number } {
  const rand = prng(seed);
  const pick = <X>(xs: readonly X[]): X | undefined => xs[Math.floor(rand() * xs.length)];
  const tree = new SpanTree(CLUSTER);
  const open = opener(tree);
  const live: PendingSpan[] = [];
  const spans: SpanData[] = [];
  let opened = 0;
  let t = T;
  for (let step = 0; step < 60; step++) {
    t += Math.floor(rand() * 3);
    const roll = rand();
    if (roll < 0.45 || live.length === 0) {
      const parent = rand() < 0.8 ? pick(live) : undefined;
      const start = rand() < 0.2 ? t - Math.floor(rand() * 5) : t;
      live.push(open(`s${seed}-${opened++}`, start, parent?.isOpen === true ? parent : undefined));
    } else if (roll < 0.55) {
      const s = pick(live);
      if (s !== undefined) tree.settle(s, t);
    } else if (roll < 0.65) {
      const s = pick(live);
      if (s !== undefined) tree.addEvent(s, { name: 'tick', timeMs: t, attributes: {} });
    } else {
      const s = pick(live);
      if (s !== undefined) tree.close(s, t, ok);
    }
    for (let i = live.length - 1; i >= 0; i--) if (live[i]?.isOpen !== true) live.splice(i, 1);
    spans.push(...tree.takeBatch());
  }
  t += 1;
  for (const s of [...live].reverse()) tree.close(s, t, { outcome: 'unfinished' });
  spans.push(...tree.takeBatch());
  const folded = spans.reduce((n, s) => n + s.events.filter((e) => e.name.startsWith(`s${seed}-`)).length, 0);
  return { spans, opened, folded };
}
