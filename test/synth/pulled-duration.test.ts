/**
 * A pod startup whose Pulling Event was never seen (lost, or before what was recorded) still has
 * its pull: kubelet's Pulled Event says how long it took ("in 5.87s"), so the pull started that
 * long before it (issue 14). Messages as kubelet writes them: a real one captured on a kind
 * cluster (test/fixtures/kspan), the current form (kubelet's image_manager.go:
 * `Successfully pulled image %q in %v (%v including waiting). Image size: %v bytes.`), and the
 * forms that give no duration.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { JsonObject } from '../../src/model/kube-json.js';
import type { IngestRecord } from '../../src/model/records.js';
import type { SpanData } from '../../src/model/span.js';
import { Synthesizer } from '../../src/synth/synthesizer.js';
import { event } from './event-records.js';

const KSPAN = fileURLToPath(new URL('../fixtures/kspan/deployment-2-pods.DERIVED.yaml', import.meta.url));
const K9S_PULLED = fileURLToPath(
  new URL('../fixtures/corpus/derailed__k9s/internal/render/testdata/ev.json', import.meta.url),
);

const T0 = Date.parse('2021-05-05T16:22:15Z');
const iso = (ms: number): string => new Date(ms).toISOString();
const origin = { file: 't', line: 1 };
const POD = { kind: 'Pod', name: 'px-5f87d8856c-c29hj', uid: 'p-1', fieldPath: 'spec.containers{podinfo}' };

function object(o: JsonObject, atMs: number, type: 'ADDED' | 'MODIFIED'): IngestRecord {
  return { source: 'object', type, object: o, timeMs: atMs, timeEstimated: false, origin };
}

function pod(image: string, status: JsonObject): JsonObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: POD.name, namespace: 'shop', uid: POD.uid, resourceVersion: '1', creationTimestamp: iso(T0) },
    spec: { nodeName: 'kind-control-plane', containers: [{ name: 'podinfo', image }] },
    status,
  };
}

/**
 * A pod bound in its creation second, whose only pull Event is a Pulled at `pulledAtMs` with
 * `note`, running a second and a half after it: the spans of its startup.
 */
function startup(image: string, note: string, pulledAtMs: number): SpanData[] {
  const scheduled = { type: 'PodScheduled', status: 'True', lastTransitionTime: iso(T0) };
  const startedMs = pulledAtMs + 1000;
  const running = pod(image, {
    phase: 'Running',
    conditions: [scheduled, { type: 'Ready', status: 'True', lastTransitionTime: iso(startedMs + 500) }],
    containerStatuses: [
      { name: 'podinfo', ready: true, restartCount: 0, state: { running: { startedAt: iso(startedMs) } } },
    ],
  });
  const records = [
    object(pod(image, { phase: 'Pending', conditions: [scheduled] }), T0 + 60, 'ADDED'),
    event(POD, 'Scheduled', `Successfully assigned shop/${POD.name} to kind-control-plane`, T0),
    event(POD, 'Pulled', note, pulledAtMs),
    event(POD, 'Created', 'Created container podinfo', startedMs),
    event(POD, 'Started', 'Started container podinfo', startedMs),
    object(running, startedMs + 520, 'MODIFIED'),
  ];
  const synth = new Synthesizer({ cluster: 'c' });
  return [...records.flatMap((r) => synth.process(r)), ...synth.flush()];
}

const pullOf = (spans: readonly SpanData[]): SpanData | undefined => spans.find((s) => s.name.startsWith('pull '));

async function kspanPulledNote(): Promise<string> {
  for (const doc of parseAllDocuments(await readFile(KSPAN, 'utf8'))) {
    const value: unknown = doc.toJS();
    if (typeof value === 'object' && value !== null && (value as JsonObject)['reason'] === 'Pulled') {
      return String((value as JsonObject)['message']);
    }
  }
  throw new Error('no Pulled Event in the capture');
}

describe('a pull seen only by its Pulled Event', () => {
  it('kubelet’s message on a kind cluster, "in 5.510339507s": the pull ends at the Event and started that long before', async () => {
    const note = await kspanPulledNote();
    expect(note).toBe('Successfully pulled image "ghcr.io/stefanprodan/podinfo:5.1.1" in 5.510339507s');
    const pull = pullOf(startup('ghcr.io/stefanprodan/podinfo:5.1.1', note, T0 + 7000));
    expect(pull?.name).toBe('pull ghcr.io/stefanprodan/podinfo:5.1.1');
    expect(pull?.endMs).toBe(T0 + 7000);
    expect(pull?.startMs).toBeCloseTo(T0 + 7000 - 5510.339507, 6);
    expect(pull?.attributes['k8s.container.name']).toBe('podinfo');
  });

  it.each([
    ['5.87s (5.87s including waiting). Image size: 72938164 bytes.', 7000, 5870],
    ['1m2.5s (1m2.5s including waiting). Image size: 72938164 bytes.', 70_000, 62_500],
    ['850ms (850ms including waiting). Image size: 72938164 bytes.', 3000, 850],
    ['1.2s', 3000, 1200],
  ])('"in %s": a pull of the measured length, ending at the Event', (tail, pulledAfter, measured) => {
    const pull = pullOf(startup('nginx:1.27', `Successfully pulled image "nginx:1.27" in ${tail}`, T0 + pulledAfter));
    expect(pull?.name).toBe('pull nginx:1.27');
    expect([pull?.startMs, pull?.endMs]).toEqual([T0 + pulledAfter - measured, T0 + pulledAfter]);
  });

  it('measured longer than the time since the pod was bound: it starts at the binding, never before', () => {
    const pull = pullOf(
      startup('nginx:1.27', 'Successfully pulled image "nginx:1.27" in 5.87s (5.87s including waiting)', T0 + 3000),
    );
    // Bound in its creation second (the watch saw it at +60 ms); the Pulled second ends at +3.999 s.
    expect(pull?.startMs).toBe(T0 + 60);
    expect(pull?.endMs).toBe(T0 + 3999);
  });

  it('no duration in the message (a real Pulled of 2019, k9s’ testdata): nothing says when it started, no pull phase', async () => {
    const ev = JSON.parse(await readFile(K9S_PULLED, 'utf8')) as JsonObject;
    const note = String(ev['message']);
    expect(note).toBe('Successfully pulled image "blang/busybox-bash"');
    const spans = startup('blang/busybox-bash', note, T0 + 3000);
    expect(pullOf(spans)).toBeUndefined();
    expect(spans.some((s) => s.name === 'start podinfo')).toBe(true);
  });

  it('"Container image … already present on machine" (kspan’s kind export): no pull, the Event on the start phase', () => {
    const spans = startup(
      'nginx:1.19.2-alpine',
      'Container image "nginx:1.19.2-alpine" already present on machine',
      T0 + 1000,
    );
    expect(pullOf(spans)).toBeUndefined();
    const start = spans.find((s) => s.name === 'start podinfo');
    expect(start?.events.map((e) => e.attributes['kubestitch.event.reason'])).toContain('Pulled');
  });
});
