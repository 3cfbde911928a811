import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { SpanData } from '../../src/model/span.js';
import { synthesizeRecords } from '../../src/replay.js';
import { runScenario, writeRecording } from '../../tools/sim/index.js';
import { readRecording } from '../../src/sources/recording/read-recording.js';

// A simulated rollout with audit + watch + Events: the Core tree plus the actors' requests.
describe('audited requests in a rolling update', () => {
  let spans: SpanData[] = [];
  let watchRvs = new Set<string>();
  beforeAll(async () => {
    const rec = runScenario('rolling-update');
    const dir = await mkdtemp(join(tmpdir(), 'ks-placement-'));
    await writeRecording(dir, rec);
    watchRvs = new Set(
      rec.watch.map((w) => String((w.object as { metadata: { resourceVersion: string } }).metadata.resourceVersion)),
    );
    spans = synthesizeRecords((await readRecording(dir)).records, { cluster: 'sim' }).flat();
  });
  const parentOf = (s: SpanData): SpanData | undefined =>
    spans.find((p) => p.spanId === s.parentSpanId && p.traceId === s.traceId);
  const requests = (name: string, user?: string): SpanData[] =>
    spans.filter((s) => s.name === name && (user === undefined || s.attributes['kubestitch.audit.user'] === user));

  it('puts the scheduler binding under the pod startup schedule phase', () => {
    const bindings = requests('create pods/binding');
    expect(bindings).toHaveLength(3);
    for (const b of bindings) {
      expect(b.resource.attributes['service.name']).toBe('kube-scheduler');
      expect(parentOf(b)?.name).toBe('schedule');
      expect(parentOf(parentOf(b) as SpanData)?.name).toBe('pod startup');
    }
  });

  it('puts replicaset-controller pod creates under the ReplicaSet scale up', () => {
    const creates = requests('create pods', 'system:serviceaccount:kube-system:replicaset-controller');
    expect(creates).toHaveLength(3);
    for (const c of creates) expect(parentOf(c)?.name).toBe('ReplicaSet scale up');
  });

  it('puts deployment-controller ReplicaSet writes, and the kubectl patch that started it, under the rollout', () => {
    const rsWrites = spans.filter(
      (s) =>
        s.attributes['kubestitch.audit.user'] === 'system:serviceaccount:kube-system:deployment-controller' &&
        /^(create|update|patch) replicasets$/.test(s.name),
    );
    expect(rsWrites.length).toBeGreaterThanOrEqual(5);
    for (const w of rsWrites) expect(parentOf(w)?.name).toBe('Deployment rollout');
    const [patch] = requests('patch deployments');
    expect(patch?.resource.attributes['service.name']).toBe('kubectl');
    expect(parentOf(patch as SpanData)?.name).toBe('Deployment rollout');
  });

  it('puts kubelet status patches under pod startup or termination, and deletes under termination', () => {
    const patches = spans.filter((s) => s.name === 'patch pods/status' && parentOf(s)?.name !== undefined);
    const byParent = new Set(patches.map((p) => parentOf(p)?.name));
    // Status writes after a pod is Ready belong to no operation: its activity window.
    expect([...byParent].every((n) => ['pod startup', 'pod termination', 'Pod activity'].includes(String(n)))).toBe(
      true,
    );
    expect(byParent.has('pod startup') && byParent.has('pod termination')).toBe(true);
    for (const p of patches.filter((x) => parentOf(x)?.name === 'Pod activity')) {
      const startup = spans.find(
        (s) => s.name === 'pod startup' && s.attributes['k8s.pod.name'] === p.attributes['k8s.object.name'],
      );
      expect(p.startMs).toBeGreaterThanOrEqual(startup?.endMs ?? Infinity);
    }
    const deletes = requests('delete pods');
    expect(deletes).toHaveLength(6); // controller's graceful delete + kubelet's final delete, per pod
    for (const d of deletes) expect(parentOf(d)?.name).toBe('pod termination');
  });

  it('joins each field diff to its request by the new resourceVersion', () => {
    const withDiff = spans.filter(
      (s) => s.attributes['audit-id'] !== undefined && s.events.some((e) => e.name === 'diff'),
    );
    expect(withDiff.length).toBeGreaterThan(20);
    for (const s of withDiff) {
      const diff = s.events.find((e) => e.name === 'diff');
      expect(watchRvs.has(String(diff?.attributes['kubestitch.diff.resource_version']))).toBe(true);
    }
    const [patch] = requests('patch deployments');
    const changes = patch?.events.find((e) => e.name === 'diff')?.attributes['kubestitch.diff.changes'];
    expect(changes).toContain('spec.template.spec.containers[name=nginx].image: nginx:1.25 → nginx:1.26');
  });
});
