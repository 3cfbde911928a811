/**
 * managedFields name who started a rollout or scale when no audit does (issue 14): the manager
 * whose spec write is the change that started it, at its second. Real data: recordings of the
 * real control plane driven by kubectl and by helm (test/fixtures/real-managed-fields, README
 * there) and a
 * Deployment `kubectl apply` created on a kind cluster, captured by kspan (test/fixtures/kspan).
 */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CaptureSink } from '../../src/export/capture-sink.js';
import { isObject } from '../../src/model/kube-json.js';
import type { JsonObject } from '../../src/model/kube-json.js';
import { withManagedFieldsSummary } from '../../src/model/managed-fields.js';
import type { IngestRecord } from '../../src/model/records.js';
import type { SpanData } from '../../src/model/span.js';
import { replayDirectory } from '../../src/replay.js';
import { Synthesizer } from '../../src/synth/synthesizer.js';

const REAL = fileURLToPath(new URL('../fixtures/real-managed-fields/deploy/', import.meta.url));
const HELM = fileURLToPath(new URL('../fixtures/real-managed-fields/helm/', import.meta.url));
const KSPAN = fileURLToPath(new URL('../fixtures/kspan/deployment-2-pods.DERIVED.yaml', import.meta.url));

// The same requests as a Metadata-level log (as some managed providers deliver it): no bodies,
// so the objects — and their managedFields — come from the watch alone.
async function metadataLevelAudit(to: string): Promise<void> {
  const lines = (await readFile(join(REAL, 'audit.log'), 'utf8')).split('\n').filter((l) => l !== '');
  const stripped = lines.map((l) => {
    const { requestObject: _req, responseObject: _res, ...rest } = JSON.parse(l) as Record<string, unknown>;
    return JSON.stringify({ ...rest, level: 'Metadata' });
  });
  await writeFile(to, stripped.join('\n') + '\n');
}

async function replay(files: readonly string[], metadataAudit = false, from = REAL): Promise<readonly SpanData[]> {
  const dir = await mkdtemp(join(tmpdir(), 'ks-mf-'));
  try {
    for (const f of files) await cp(join(from, f), join(dir, f));
    if (metadataAudit) await metadataLevelAudit(join(dir, 'audit.log'));
    const sink = new CaptureSink();
    const summary = await replayDirectory(dir, sink, { cluster: 'e2e' });
    expect(summary.recording.problems).toEqual([]);
    return sink.spans;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Deployment rollouts and scales as `name: initiator (manager, source)`, in start order. */
function initiators(spans: readonly SpanData[]): string[] {
  return spans
    .filter((s) => s.name === 'Deployment rollout' || s.name === 'Deployment scale')
    .sort((a, b) => a.startMs - b.startMs)
    .map((s) => {
      const a = s.attributes;
      const who = a['kubestitch.initiator'];
      return who === undefined
        ? `${s.name}: -`
        : `${s.name}: ${String(who)} (${String(a['kubestitch.initiator.manager'])}, ${String(a['kubestitch.initiator.source'])})`;
    });
}

describe('the initiator of a Deployment operation, from managedFields', () => {
  it('watch and Events of kubectl apply, set image and scale: kubectl named where its write started the operation', async () => {
    const named = initiators(await replay(['watch.jsonl', 'events.jsonl']));
    expect(named.slice(0, 2)).toEqual([
      // `kubectl apply` created it: kubectl-client-side-apply wrote the spec in the rollout's second.
      'Deployment rollout: kubectl (kubectl-client-side-apply, managed-fields)',
      // `kubectl set image`.
      'Deployment rollout: kubectl (kubectl-set, managed-fields)',
    ]);
    // `kubectl scale` writes through the scale subresource, whose managedFields entry the
    // apiserver leaves without a time: nothing says when it wrote, so nobody is named — the last
    // timed spec write (set image, 14 s before the first scale) is not that change.
    expect(named.slice(2).length).toBeGreaterThanOrEqual(2);
    for (const line of named.slice(2)) expect(line).toBe('Deployment scale: -');
  });

  it('watch and Events of helm install and helm upgrade: helm named for both rollouts', async () => {
    expect(initiators(await replay(['watch.jsonl', 'events.jsonl'], false, HELM))).toEqual([
      'Deployment rollout: helm (helm, managed-fields)',
      'Deployment rollout: helm (helm, managed-fields)',
    ]);
  });

  it.each([
    ['RequestResponse', false],
    ['Metadata', true],
  ])(
    'with the %s-level audit log too: the audited requests tell who started them, managedFields never',
    async (_level, metadata) => {
      const spans = await replay(['watch.jsonl', 'events.jsonl', 'audit.log'], metadata);
      const named = initiators(spans);
      expect(named.length).toBeGreaterThanOrEqual(4);
      for (const line of named) expect(line).toMatch(/: -$/);
      // The audited request is there, by its real client.
      const patch = spans.find(
        (s) => s.name === 'patch deployments' && s.resource.attributes['service.name'] === 'kubectl',
      );
      expect(patch).toBeDefined();
    },
  );
});

interface Doc {
  readonly receivedMs: number;
  readonly object: JsonObject;
}

// The kspan capture: `---`, a `# {"time": …}` line with the receive time, then the object's YAML.
async function kspanDocs(): Promise<Doc[]> {
  const text = await readFile(KSPAN, 'utf8');
  return text
    .split(/^---\n/m)
    .filter((d) => d.trim() !== '')
    .map((d) => {
      const header = /^# (\{.*\})\n/.exec(d);
      const meta: unknown = JSON.parse(header?.[1] ?? '{}');
      const object: unknown = parse(d);
      if (!isObject(meta) || typeof meta['time'] !== 'string' || !isObject(object)) throw new Error('bad doc');
      return { receivedMs: Date.parse(meta['time']), object };
    });
}

function synthesize(records: readonly IngestRecord[]): SpanData[] {
  const synth = new Synthesizer({ cluster: 'c' });
  return [...records.flatMap((r) => synth.process(r)), ...synth.flush()];
}

const origin = { file: 't', line: 1 };
const added = (object: JsonObject, timeMs: number): IngestRecord => ({
  source: 'object',
  type: 'ADDED',
  object,
  timeMs,
  timeEstimated: false,
  origin,
});

describe('a Deployment kubectl apply created on a kind cluster (kspan capture, full managedFields)', () => {
  it('first seen in its creation second: its rollout names kubectl, from the apiserver’s own entries and from the recorded summary alike', async () => {
    const deployment = (await kspanDocs()).find((d) => d.object['kind'] === 'Deployment');
    if (deployment === undefined) throw new Error('no Deployment in the capture');
    const summarized = withManagedFieldsSummary(deployment.object);
    // The recording keeps who, how, when and whether spec was touched — no field names.
    expect(JSON.stringify(summarized)).not.toMatch(/f:|fieldsV1/);
    for (const object of [deployment.object, summarized]) {
      const rollout = synthesize([added(object, deployment.receivedMs)]).find((s) => s.name === 'Deployment rollout');
      expect(rollout?.attributes['kubestitch.initiator']).toBe('kubectl');
      expect(rollout?.attributes['kubestitch.initiator.manager']).toBe('kubectl-client-side-apply');
      expect(rollout?.attributes['kubestitch.initiator.source']).toBe('managed-fields');
    }
  });

  it('first seen ten minutes after that write: its operation did not start then, nobody is named', async () => {
    const deployment = (await kspanDocs()).find((d) => d.object['kind'] === 'Deployment');
    if (deployment === undefined) throw new Error('no Deployment in the capture');
    const spans = synthesize([added(deployment.object, deployment.receivedMs + 600_000)]);
    const rollout = spans.find((s) => s.name === 'Deployment rollout');
    expect(rollout).toBeDefined();
    expect(rollout?.attributes['kubestitch.initiator']).toBeUndefined();
    expect(rollout?.attributes['kubestitch.initiator.manager']).toBeUndefined();
  });
});
