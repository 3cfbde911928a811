import { describe, expect, it } from 'vitest';
import { arr, isObject } from '../../src/model/kube-json.js';
import type { JsonObject } from '../../src/model/kube-json.js';
import type { KubeEvent } from '../../src/model/records.js';
import { normalizeEvent } from '../../src/sources/event-normalize.js';
import { CORPUS, readCorpusJson, readCorpusYaml } from '../support/corpus.js';

const ms = (iso: string): number => Date.parse(iso);

function normalized(ev: JsonObject): KubeEvent {
  const out = normalizeEvent(ev);
  if (typeof out === 'string') throw new Error(`expected an event, got: ${out}`);
  return out;
}

async function mustGatherEvents(): Promise<JsonObject[]> {
  const list = await readCorpusYaml(`${CORPUS.mustGather}kube-system/core/events.yaml`);
  return arr(list, 'items').filter(isObject);
}

/** An events.k8s.io/v1 Event as the scheduler writes it (shape from the API reference). */
const schedulerEvent: JsonObject = {
  apiVersion: 'events.k8s.io/v1',
  kind: 'Event',
  metadata: {
    name: 'web-7d4b578979-x2x9q.17c1f0e3a1b2c3d4',
    namespace: 'shop',
    uid: '3a0c0d4e-1111-4c1e-9d2a-0a1b2c3d4e5f',
    creationTimestamp: '2024-05-01T10:00:00Z',
  },
  eventTime: '2024-05-01T10:00:00.123456Z',
  series: { count: 5, lastObservedTime: '2024-05-01T10:04:59.654321Z' },
  reportingController: 'default-scheduler',
  reportingInstance: 'default-scheduler-control-plane',
  action: 'Scheduling',
  reason: 'FailedScheduling',
  regarding: {
    kind: 'Pod',
    apiVersion: 'v1',
    namespace: 'shop',
    name: 'web-7d4b578979-x2x9q',
    uid: '9e1f2a3b-2222-4c1e-9d2a-0a1b2c3d4e5f',
  },
  note: '0/3 nodes are available: 3 Insufficient cpu.',
  type: 'Warning',
  deprecatedCount: 0,
  deprecatedSource: {},
};

describe('normalizeEvent', () => {
  describe('core/v1 Event', () => {
    it('normalizes a real kubelet Pulled event, taking the reporter from source', async () => {
      const ev = await readCorpusJson(`${CORPUS.k9s}ev.json`);
      expect(normalized(ev)).toEqual({
        key: 'c443d4b3-cb66-11e9-990f-42010a800218',
        namespace: 'default',
        name: 'hello-1567197780-mn4mv.15bfce150bd764dd',
        regarding: {
          kind: 'Pod',
          apiVersion: 'v1',
          namespace: 'default',
          name: 'hello-1567197780-mn4mv',
          uid: 'c31fdeb8-cb66-11e9-990f-42010a800218',
          fieldPath: 'spec.containers{c1}',
        },
        reason: 'Pulled',
        type: 'Normal',
        note: 'Successfully pulled image "blang/busybox-bash"',
        action: '',
        reportingController: 'kubelet',
        reportingInstance: 'gke-k9s-default-pool-0fa2fb89-qnkc',
        firstMs: ms('2019-08-30T20:43:05Z'),
        lastMs: ms('2019-08-30T20:43:05Z'),
        count: 1,
      });
    });

    it('normalizes every event of a real EventList, sparse ones included', async () => {
      const items = await mustGatherEvents();
      expect(items).toHaveLength(11);
      const events = items.map(normalized);
      const leader = events.filter((e) => e.reason === 'LeaderElection');
      expect(leader).toHaveLength(8);
      expect(new Set(leader.map((e) => e.reportingController))).toEqual(
        new Set(['kube-controller-manager', 'default-scheduler']),
      );
      const lease = events.find((e) => e.name === 'kube-scheduler.1697c10ae8c092b8');
      expect(lease?.regarding).toMatchObject({ kind: 'Lease', name: 'kube-scheduler', namespace: 'kube-system' });
      expect(lease?.firstMs).toBe(ms('2021-08-03T09:14:02Z'));
      // bootstrap-finished has no reason, type or source: defaults, not a failure.
      const sparse = events.find((e) => e.name === 'bootstrap-finished');
      expect(sparse).toMatchObject({
        reason: '',
        type: 'Normal',
        reportingController: '',
        reportingInstance: '',
        note: 'Required control plane pods have been created',
        regarding: { kind: '', name: '', namespace: 'kube-system' },
        count: 1,
      });
    });

    it('takes count and the last time from a repeated event', async () => {
      const ev = await readCorpusJson(`${CORPUS.k9s}ev.json`);
      const repeated = { ...ev, count: 4, lastTimestamp: '2019-08-30T20:48:05Z' };
      const out = normalized(repeated);
      expect(out.count).toBe(4);
      expect(out.firstMs).toBe(ms('2019-08-30T20:43:05Z'));
      expect(out.lastMs).toBe(ms('2019-08-30T20:48:05Z'));
    });

    it('prefers reportingComponent and reportingInstance over source when they are set', async () => {
      const ev = await readCorpusJson(`${CORPUS.k9s}ev.json`);
      const out = normalized({ ...ev, reportingComponent: 'kubelet-x', reportingInstance: 'node-7' });
      expect(out.reportingController).toBe('kubelet-x');
      expect(out.reportingInstance).toBe('node-7');
    });

    it('reads eventTime and series of a new-style event seen through the core API', () => {
      const core: JsonObject = {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name: 'p.1', namespace: 'shop', uid: 'u-1', creationTimestamp: '2024-05-01T10:00:00Z' },
        involvedObject: { kind: 'Pod', namespace: 'shop', name: 'p', uid: 'pod-1' },
        eventTime: '2024-05-01T10:00:00.250000Z',
        firstTimestamp: null,
        lastTimestamp: null,
        series: { count: 3, lastObservedTime: '2024-05-01T10:01:00.500000Z' },
        reportingComponent: 'default-scheduler',
        reportingInstance: 'default-scheduler-cp-1',
        reason: 'FailedScheduling',
        message: '0/1 nodes are available',
        type: 'Warning',
        source: {},
      };
      expect(normalized(core)).toMatchObject({
        firstMs: ms('2024-05-01T10:00:00.250Z'),
        lastMs: ms('2024-05-01T10:01:00.500Z'),
        count: 3,
        reportingController: 'default-scheduler',
        type: 'Warning',
        note: '0/1 nodes are available',
      });
    });

    it('falls back to metadata.creationTimestamp when the event carries no other time', async () => {
      const ev = await readCorpusJson(`${CORPUS.k9s}ev.json`);
      const out = normalized({ ...ev, firstTimestamp: null, lastTimestamp: null });
      expect(out.firstMs).toBe(ms('2019-08-30T20:43:05Z'));
      expect(out.lastMs).toBe(out.firstMs);
    });

    it('never puts the last time before the first', async () => {
      const ev = await readCorpusJson(`${CORPUS.k9s}ev.json`);
      const out = normalized({ ...ev, lastTimestamp: '2019-08-30T20:40:00Z' });
      expect(out.lastMs).toBe(out.firstMs);
    });

    it('keys an event without uid by namespace/name', async () => {
      const ev = await readCorpusJson(`${CORPUS.k9s}ev.json`);
      const meta = { ...(ev['metadata'] as JsonObject), uid: '' };
      expect(normalized({ ...ev, metadata: meta }).key).toBe('default/hello-1567197780-mn4mv.15bfce150bd764dd');
    });
  });

  describe('events.k8s.io/v1 Event', () => {
    it('keeps eventTime microseconds and takes count and last time from series', () => {
      const out = normalized(schedulerEvent);
      expect(out).toEqual({
        key: '3a0c0d4e-1111-4c1e-9d2a-0a1b2c3d4e5f',
        namespace: 'shop',
        name: 'web-7d4b578979-x2x9q.17c1f0e3a1b2c3d4',
        regarding: {
          kind: 'Pod',
          apiVersion: 'v1',
          namespace: 'shop',
          name: 'web-7d4b578979-x2x9q',
          uid: '9e1f2a3b-2222-4c1e-9d2a-0a1b2c3d4e5f',
          fieldPath: '',
        },
        reason: 'FailedScheduling',
        type: 'Warning',
        note: '0/3 nodes are available: 3 Insufficient cpu.',
        action: 'Scheduling',
        reportingController: 'default-scheduler',
        reportingInstance: 'default-scheduler-control-plane',
        firstMs: out.firstMs,
        lastMs: out.lastMs,
        count: 5,
      });
      // Epoch ms as a double resolves about 0.25 µs today: compare whole microseconds.
      expect(Math.round((out.firstMs - ms('2024-05-01T10:00:00Z')) * 1000)).toBe(123_456);
      expect(Math.round((out.lastMs - ms('2024-05-01T10:04:59Z')) * 1000)).toBe(654_321);
    });

    it('reads a legacy event through the deprecated fields', () => {
      // What the events.k8s.io API returns for an Event written by an old core/v1 client.
      const legacy: JsonObject = {
        apiVersion: 'events.k8s.io/v1',
        kind: 'Event',
        metadata: { name: 'p.2', namespace: 'shop', uid: 'u-2', creationTimestamp: '2024-05-01T09:59:00Z' },
        eventTime: null,
        reportingController: '',
        reportingInstance: '',
        regarding: { kind: 'Pod', namespace: 'shop', name: 'p', uid: 'pod-1', fieldPath: 'spec.containers{app}' },
        reason: 'BackOff',
        note: 'Back-off restarting failed container app in pod p_shop(pod-1)',
        type: 'Warning',
        deprecatedSource: { component: 'kubelet', host: 'node-1' },
        deprecatedFirstTimestamp: '2024-05-01T10:00:00Z',
        deprecatedLastTimestamp: '2024-05-01T10:03:00Z',
        deprecatedCount: 7,
      };
      expect(normalized(legacy)).toMatchObject({
        reportingController: 'kubelet',
        reportingInstance: 'node-1',
        firstMs: ms('2024-05-01T10:00:00Z'),
        lastMs: ms('2024-05-01T10:03:00Z'),
        count: 7,
        regarding: { fieldPath: 'spec.containers{app}' },
      });
    });

    it('recognizes the new API by its regarding field when apiVersion is missing', () => {
      const { apiVersion: _dropped, ...noVersion } = schedulerEvent;
      expect(normalized(noVersion)).toMatchObject({ note: schedulerEvent['note'], count: 5 });
    });

    it('counts an event without series and with deprecatedCount 0 once', () => {
      const { series: _dropped, ...single } = schedulerEvent;
      const out = normalized(single);
      expect(out.count).toBe(1);
      expect(out.lastMs).toBe(out.firstMs);
    });
  });

  describe('unusable objects', () => {
    it('returns a reason instead of throwing when the event regards nothing', async () => {
      const { involvedObject: _dropped, ...ev } = await readCorpusJson(`${CORPUS.k9s}ev.json`);
      expect(normalizeEvent(ev)).toMatch(/no regarding/);
    });

    it('returns a reason when the event carries no time at all', async () => {
      const ev = await readCorpusJson(`${CORPUS.k9s}ev.json`);
      const meta = { ...(ev['metadata'] as JsonObject), creationTimestamp: null };
      const out = normalizeEvent({ ...ev, metadata: meta, firstTimestamp: null, lastTimestamp: null });
      expect(out).toMatch(/no eventTime/);
    });
  });
});
