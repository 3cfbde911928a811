import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { encodeOtlpJson } from '../../src/export/otlp-json.js';
import { synthesizeRecords } from '../../src/replay.js';
import { readRecording } from '../../src/sources/recording/read-recording.js';
import { CORPUS, corpusPath } from '../support/corpus.js';
import { checkInvariants } from '../support/invariants.js';

const EO = corpusPath('');
const MUST_GATHER = corpusPath(CORPUS.mustGather);

async function yamlDocs(path: string): Promise<unknown[]> {
  return parseAllDocuments(await readFile(path, 'utf8')).map((d) => d.toJSON() as unknown);
}

// Object dumps and Event lists of real clusters, put into one recording without editing them.
async function buildCorpusRecording(): Promise<{ dir: string; eventCount: number }> {
  const objects: unknown[] = [];
  for (const f of ['dp.json', 'rs.json', 'p1.json']) {
    objects.push(JSON.parse(await readFile(join(EO, 'derailed__k9s/internal/render/testdata', f), 'utf8')));
  }
  objects.push(...(await yamlDocs(join(EO, 'GoogleCloudPlatform__khi/test/k8s/sample_pod.yaml'))));
  objects.push(
    ...(await yamlDocs(
      join(
        MUST_GATHER,
        'openshift-etcd/pods/etcd-quorum-guard-85b4c88c96-nmk5g/etcd-quorum-guard-85b4c88c96-nmk5g.yaml',
      ),
    )),
    ...(await yamlDocs(
      join(
        MUST_GATHER,
        'openshift-etcd/pods/installer-2-ip-10-0-187-218.ec2.internal/installer-2-ip-10-0-187-218.ec2.internal.yaml',
      ),
    )),
  );
  const events: unknown[] = [
    JSON.parse(await readFile(join(EO, 'derailed__k9s/internal/render/testdata/ev.json'), 'utf8')),
  ];
  const eventList = (await yamlDocs(join(MUST_GATHER, 'kube-system/core/events.yaml')))[0] as { items: unknown[] };
  events.push(eventList);
  // GKE Cloud Logging wraps the Event in jsonPayload; the recording holds the Event itself.
  for (const doc of await yamlDocs(join(EO, 'GoogleCloudPlatform__khi/test/logs/k8s_event/sample.yaml'))) {
    const payload = (doc as { jsonPayload?: unknown }).jsonPayload;
    if (payload !== undefined) events.push(payload);
  }
  const dir = await mkdtemp(join(tmpdir(), 'ks-corpus-'));
  await writeFile(join(dir, 'watch.jsonl'), objects.map((o) => JSON.stringify(o)).join('\n') + '\n');
  await writeFile(join(dir, 'events.jsonl'), events.map((o) => JSON.stringify(o)).join('\n') + '\n');
  const eventCount = 1 + eventList.items.length + (events.length - 2);
  return { dir, eventCount };
}

describe('corpus replay', () => {
  it('replays the real Events and object dumps with no malformed line and every Event kept', async () => {
    const { dir, eventCount } = await buildCorpusRecording();
    const rec = await readRecording(dir);
    expect(rec.problems).toEqual([]);
    expect(rec.records.filter((r) => r.source === 'event')).toHaveLength(eventCount);
    const spans = synthesizeRecords(rec.records, { cluster: 'corpus' }).flat();
    expect(checkInvariants(spans)).toEqual([]);
    // No Event is dropped: each one is a span event somewhere (DESIGN §3.2 activity windows).
    const reasons = spans.flatMap((s) => s.events.filter((e) => e.attributes['kubestitch.event.reason'] !== undefined));
    expect(reasons).toHaveLength(eventCount);
    expect(reasons.map((e) => e.name)).toContain('LeaderElection');
    expect(reasons.map((e) => e.name)).toContain('Pulled');
  });

  it('gives byte-identical OTLP on a second replay', async () => {
    const { dir } = await buildCorpusRecording();
    const once = synthesizeRecords((await readRecording(dir)).records, { cluster: 'corpus' }).map((b) =>
      encodeOtlpJson(b),
    );
    const twice = synthesizeRecords((await readRecording(dir)).records, { cluster: 'corpus' }).map((b) =>
      encodeOtlpJson(b),
    );
    expect(twice).toEqual(once);
    expect(once.length).toBeGreaterThan(0);
  });
});
