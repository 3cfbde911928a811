import { describe, expect, it } from 'vitest';
import { KubestitchMetrics } from '../../src/metrics/kubestitch-metrics.js';
import type { JsonObject } from '../../src/model/kube-json.js';
import type { IngestRecord } from '../../src/model/records.js';
import type { SpanData } from '../../src/model/span.js';
import { normalizeEvent } from '../../src/sources/event-normalize.js';
import { Synthesizer } from '../../src/synth/synthesizer.js';
import { checkInvariants } from '../support/invariants.js';
import { parseExposition } from '../metrics/reference-parser.js';

/*
 * Hand-written recordings of one pod that does not come up, shaped like what a kubelet and a
 * scheduler write (container status waiting reasons and messages, PodScheduled=False
 * Unschedulable, kubelet Failed/BackOff and scheduler FailedScheduling Events).
 */
const T0 = Date.parse('2026-03-01T10:00:00Z');
const S = 1000;
const iso = (ms: number): string => new Date(ms).toISOString().replace('.000Z', 'Z');
let rv = 10;

type Container = Record<string, unknown>;

function pod(
  conditions: readonly Record<string, unknown>[],
  containers: readonly Container[],
  node = true,
): JsonObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'web-7c94-x2',
      namespace: 'shop',
      uid: 'pod-1',
      resourceVersion: String(rv++),
      creationTimestamp: iso(T0),
    },
    spec: { ...(node ? { nodeName: 'node-1' } : {}), containers: [{ name: 'web', image: 'nginx:9.9' }] },
    status: { phase: 'Pending', conditions: [...conditions], containerStatuses: [...containers] },
  };
}

const scheduled = { type: 'PodScheduled', status: 'True', lastTransitionTime: iso(T0) };
const notReady = { type: 'Ready', status: 'False', lastTransitionTime: iso(T0) };
const waiting = (reason: string, message: string, restartCount = 0): Container => ({
  name: 'web',
  ready: false,
  restartCount,
  image: 'nginx:9.9',
  state: { waiting: { reason, message } },
});
const running = (atMs: number, restartCount = 0): Container => ({
  name: 'web',
  ready: false,
  restartCount,
  image: 'nginx:9.9',
  state: { running: { startedAt: iso(atMs) } },
});

function seen(object: JsonObject, timeMs: number, type: 'ADDED' | 'MODIFIED' = 'MODIFIED'): IngestRecord {
  return { source: 'object', type, object, timeMs, timeEstimated: false, origin: { file: 't', line: rv } };
}

function event(reason: string, note: string, firstMs: number, lastMs: number, count: number): IngestRecord {
  const ev = normalizeEvent({
    apiVersion: 'v1',
    kind: 'Event',
    // One Event object per reason and note, as the kubelet's event recorder aggregates them.
    metadata: { name: `web-7c94-x2.${reason}.${note.length}`, namespace: 'shop', uid: `ev-${reason}-${note.length}` },
    involvedObject: { kind: 'Pod', namespace: 'shop', name: 'web-7c94-x2', uid: 'pod-1', apiVersion: 'v1' },
    reason,
    message: note,
    type: 'Warning',
    source:
      reason === 'FailedScheduling' ? { component: 'default-scheduler' } : { component: 'kubelet', host: 'node-1' },
    firstTimestamp: iso(firstMs),
    lastTimestamp: iso(lastMs),
    count,
  });
  if (typeof ev === 'string') throw new Error(ev);
  return {
    source: 'event',
    type: count === 1 ? 'ADDED' : 'MODIFIED',
    event: ev,
    timeMs: lastMs,
    timeEstimated: false,
    origin: { file: 'e', line: count },
  };
}

function replay(records: readonly IngestRecord[]): SpanData[] {
  const synth = new Synthesizer({ cluster: 'c' });
  const spans = records.flatMap((r) => synth.process(r));
  spans.push(...synth.flush());
  expect(checkInvariants(spans)).toEqual([]);
  return spans;
}

function startupOf(spans: readonly SpanData[]): SpanData {
  const startup = spans.find((s) => s.name === 'pod startup');
  if (startup === undefined) throw new Error('no pod startup');
  return startup;
}

const PULL_FAILED = 'Failed to pull image "nginx:9.9": rpc error: code = NotFound desc = nginx:9.9: not found';

/** A pull that fails at +5 s and keeps failing, the kubelet backing off, until `untilMs`. */
function imagePullBackOff(untilMs: number): IngestRecord[] {
  const out: IngestRecord[] = [seen(pod([scheduled, notReady], []), T0 + 200, 'ADDED')];
  let n = 0;
  for (let t = T0 + 5 * S; t <= untilMs; t += 10 * S) {
    n++;
    out.push(seen(pod([scheduled, notReady], [waiting('ErrImagePull', PULL_FAILED)]), t));
    out.push(event('Failed', PULL_FAILED, T0 + 5 * S, t, n));
    out.push(event('Failed', 'Error: ErrImagePull', T0 + 5 * S, t + 1, n));
    out.push(
      seen(pod([scheduled, notReady], [waiting('ImagePullBackOff', 'Back-off pulling image "nginx:9.9"')]), t + 2 * S),
    );
    out.push(event('BackOff', 'Back-off pulling image "nginx:9.9"', T0 + 7 * S, t + 2 * S, n));
  }
  return out;
}

describe('stuck pod startups', () => {
  it('end as image-pull-backoff a minute after the first failed pull, with the pull error', () => {
    const startup = startupOf(replay(imagePullBackOff(T0 + 150 * S)));
    expect(startup.attributes['kubestitch.outcome']).toBe('image-pull-backoff');
    // The first back-off state was seen at +5 s: stuck at +65 s, not at the end of the recording.
    expect(startup.endMs).toBe(T0 + 65 * S);
    // Whichever of ErrImagePull / ImagePullBackOff it was in, the message names the pull error.
    expect(startup.status.code).toBe('error');
    expect(startup.status.code === 'error' && startup.status.message).toMatch(
      /^container web: (ErrImagePull:|ImagePullBackOff: Back-off pulling image "nginx:9.9";) Failed to pull image "nginx:9.9": rpc error: code = NotFound desc = nginx:9.9: not found$/,
    );
  });

  it('are counted by outcome in the pod startup SLO metrics', async () => {
    const metrics = new KubestitchMetrics();
    metrics.observeSpans(replay(imagePullBackOff(T0 + 150 * S)));
    const text = (await metrics.render('application/openmetrics-text')).body;
    const startups = parseExposition(text, 'openmetrics')
      .find((f) => f.name === 'kubestitch_pod_startups')
      ?.samples.filter((s) => s.name === 'kubestitch_pod_startups_total');
    expect(startups?.map((s) => [s.labels['outcome'], s.value])).toEqual([['image-pull-backoff', 1]]);
  });

  it('stay open, not stuck, while a failing pull is younger than the threshold', () => {
    const startup = startupOf(replay(imagePullBackOff(T0 + 40 * S)));
    expect(startup.attributes['kubestitch.outcome']).toBe('unfinished');
  });

  it('end ok when the pull works after a few back-offs (a late push, a rate limit)', () => {
    const ready = { type: 'Ready', status: 'True', lastTransitionTime: iso(T0 + 50 * S) };
    const startup = startupOf(
      replay([
        ...imagePullBackOff(T0 + 30 * S),
        seen(pod([scheduled, notReady], [running(T0 + 48 * S)]), T0 + 48 * S),
        seen(pod([scheduled, ready], [{ ...running(T0 + 48 * S), ready: true }]), T0 + 50 * S + 100),
        seen(pod([scheduled, ready], [{ ...running(T0 + 48 * S), ready: true }]), T0 + 200 * S),
      ]),
    );
    expect(startup.attributes['kubestitch.outcome']).toBe('ok');
    expect(startup.status.code).toBe('ok');
  });

  it('end as crash-loop-backoff, with the restarts, when the container keeps crashing', () => {
    const records: IngestRecord[] = [seen(pod([scheduled, notReady], []), T0 + 200, 'ADDED')];
    const backoff = (restarts: number): Container =>
      waiting('CrashLoopBackOff', 'back-off 40s restarting failed container=web pod=web-7c94-x2_shop(pod-1)', restarts);
    // Starts at +4 s, crashes, backs off 10 s, 20 s, 40 s: running for a moment between back-offs.
    let t = T0 + 4 * S;
    for (const [restarts, waitS] of [
      [0, 10],
      [1, 20],
      [2, 40],
      [3, 80],
    ] as const) {
      records.push(seen(pod([scheduled, notReady], [running(t, restarts)]), t));
      records.push(seen(pod([scheduled, notReady], [backoff(restarts + 1)]), t + 2 * S));
      t += (waitS + 2) * S;
    }
    const startup = startupOf(replay(records));
    expect(startup.attributes['kubestitch.outcome']).toBe('crash-loop-backoff');
    expect(startup.endMs).toBe(T0 + 66 * S);
    expect(startup.status).toEqual({
      code: 'error',
      message:
        'container web: CrashLoopBackOff (3 restarts): back-off 40s restarting failed container=web pod=web-7c94-x2_shop(pod-1)',
    });
  });

  const unschedulable = {
    type: 'PodScheduled',
    status: 'False',
    reason: 'Unschedulable',
    message: '0/3 nodes are available: 3 Insufficient cpu.',
    lastTransitionTime: iso(T0),
  };
  const NO_FIT = '0/3 nodes are available: 3 Insufficient cpu.';

  it('end as unschedulable five minutes after the scheduler first found no node', () => {
    const records: IngestRecord[] = [seen(pod([unschedulable], [], false), T0 + 100, 'ADDED')];
    // The scheduler retries and its Event counts up; the pod itself does not change.
    for (let n = 1; n <= 8; n++) records.push(event('FailedScheduling', NO_FIT, T0 + 100, T0 + n * 60 * S, n));
    const startup = startupOf(replay(records));
    expect(startup.attributes['kubestitch.outcome']).toBe('unschedulable');
    // lastTransitionTime has whole seconds: the true instant is no later than the pod was seen (+100 ms).
    expect(startup.endMs).toBe(T0 + 100 + 300 * S);
    expect(startup.status).toEqual({ code: 'error', message: `unschedulable: ${NO_FIT}` });
  });

  it('are not unschedulable when a node fits before the threshold (the autoscaler added one)', () => {
    const records: IngestRecord[] = [seen(pod([unschedulable], [], false), T0 + 100, 'ADDED')];
    for (let n = 1; n <= 2; n++) records.push(event('FailedScheduling', NO_FIT, T0 + 100, T0 + n * 60 * S, n));
    const bound = { ...scheduled, lastTransitionTime: iso(T0 + 150 * S) };
    records.push(seen(pod([bound, notReady], []), T0 + 150 * S + 300));
    for (let n = 1; n <= 4; n++)
      records.push(seen(pod([bound, notReady], [running(T0 + 160 * S)]), T0 + (160 + n * 60) * S));
    const startup = startupOf(replay(records));
    expect(startup.attributes['kubestitch.outcome']).toBe('unfinished');
  });
});
