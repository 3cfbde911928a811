import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { arr, str } from '../../../src/model/kube-json.js';
import type { JsonObject } from '../../../src/model/kube-json.js';
import type { IngestRecord } from '../../../src/model/records.js';
import { readRecording, RecordingError } from '../../../src/sources/recording/read-recording.js';
import type { RecordingContents } from '../../../src/sources/recording/read-recording.js';
import { CORPUS, readCorpusJson, readCorpusYaml } from '../../support/corpus.js';
import { prng } from '../../support/prng.js';

const ms = (iso: string): number => Date.parse(iso);
const line = (value: unknown): string => JSON.stringify(value);

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function recordingDir(files: Readonly<Record<string, string>>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'kubestitch-recording-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  return dir;
}

async function read(files: Readonly<Record<string, string>>): Promise<RecordingContents> {
  return readRecording(await recordingDir(files));
}

/** What a record says, without where it came from (line numbers change when lines move). */
function content(r: IngestRecord): string {
  const { origin: _origin, ...rest } = r;
  return JSON.stringify(rest);
}

function label(r: IngestRecord): string {
  if (r.source === 'event')
    return `${r.type} Event ${r.event.reason} ${r.event.regarding.kind}/${r.event.regarding.name}`;
  if (r.source === 'object')
    return `${r.type} ${str(r.object, 'kind') ?? ''}/${str(r.object, 'metadata', 'name') ?? ''}`;
  return 'other record';
}

function shuffled<X>(items: readonly X[], seed: number): X[] {
  const rand = prng(seed);
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const a = out[i];
    const b = out[j];
    if (a === undefined || b === undefined) continue;
    out[i] = b;
    out[j] = a;
  }
  return out;
}

function withMeta(object: JsonObject, meta: JsonObject): JsonObject {
  return { ...object, metadata: { ...(object['metadata'] as JsonObject), ...meta } };
}

/** A watch.jsonl + events.jsonl built from the corpus: real objects, real Events, with and without ts. */
async function corpusRecording(): Promise<{ watch: string[]; events: string[] }> {
  const dp = await readCorpusJson(`${CORPUS.k9s}dp.json`);
  const rs = await readCorpusJson(`${CORPUS.k9s}rs.json`);
  const p1 = await readCorpusJson(`${CORPUS.k9s}p1.json`);
  const guard = await readCorpusYaml(
    `${CORPUS.mustGather}openshift-etcd/pods/etcd-quorum-guard-85b4c88c96-nmk5g/etcd-quorum-guard-85b4c88c96-nmk5g.yaml`,
  );
  const khiPod = await readCorpusYaml(`${CORPUS.khi}k8s/sample_pod.yaml`);
  const ev = await readCorpusJson(`${CORPUS.k9s}ev.json`);
  const eventList = await readCorpusYaml(`${CORPUS.mustGather}kube-system/core/events.yaml`);
  const p1Deleting = withMeta(p1, {
    resourceVersion: '87290300',
    deletionTimestamp: '2019-12-31T19:40:30Z',
    deletionGracePeriodSeconds: 30,
  });
  const watch = [
    line({ type: 'ADDED', object: dp }),
    line({ type: 'ADDED', object: rs }),
    line({ type: 'ADDED', object: p1 }),
    line({ type: 'MODIFIED', object: p1Deleting }),
    line({ type: 'DELETED', object: withMeta(p1Deleting, { resourceVersion: '87290301' }) }),
    line({ type: 'ADDED', object: guard, ts: '2021-08-03T09:28:20.512345Z' }),
    line({ type: 'MODIFIED', object: withMeta(guard, { resourceVersion: '22100' }), ts: '2021-08-03T09:29:00Z' }),
    line({ type: 'ADDED', object: khiPod }),
    line({ type: 'BOOKMARK', object: { kind: 'Pod', apiVersion: 'v1', metadata: { resourceVersion: '87290400' } } }),
    line({ type: 'ADDED', object: withMeta(p1, { name: 'nginx-7fb78fb6d8-twin' }) }),
  ];
  const events = [
    line(ev),
    line({
      type: 'MODIFIED',
      object: { ...ev, count: 2, lastTimestamp: '2019-08-30T20:44:00Z' },
      ts: '2019-08-30T20:44:00.5Z',
    }),
    line(eventList),
  ];
  return { watch, events };
}

describe('readRecording', () => {
  describe('order', () => {
    it('gives the same records in the same order for any order of the lines', async () => {
      const { watch, events } = await corpusRecording();
      const orders = [
        { watch, events },
        { watch: [...watch].reverse(), events: [...events].reverse() },
        ...[1, 2, 3, 4].map((seed) => ({ watch: shuffled(watch, seed), events: shuffled(events, seed + 10) })),
      ];
      const results = await Promise.all(
        orders.map((o) =>
          read({ 'watch.jsonl': o.watch.join('\n') + '\n', 'events.jsonl': o.events.join('\n') + '\n' }),
        ),
      );
      const first = results[0];
      expect(first?.problems).toEqual([]);
      expect(first?.records).toHaveLength(9 + 2 + 11);
      for (const r of results) expect(r.records.map(content)).toEqual(first?.records.map(content));
    });

    it('returns records in time order', async () => {
      const { watch, events } = await corpusRecording();
      const { records } = await read({ 'watch.jsonl': watch.join('\n'), 'events.jsonl': events.join('\n') });
      const times = records.map((r) => r.timeMs);
      expect(times).toEqual([...times].sort((a, b) => a - b));
    });

    it('puts a Deployment before its ReplicaSet and Pod, and Events after them, when their times tie', async () => {
      const ts = '2024-05-01T10:00:00Z';
      const dp = await readCorpusJson(`${CORPUS.k9s}dp.json`);
      const rs = await readCorpusJson(`${CORPUS.k9s}rs.json`);
      const p1 = await readCorpusJson(`${CORPUS.k9s}p1.json`);
      const ev = await readCorpusJson(`${CORPUS.k9s}ev.json`);
      const lines = [
        line({ type: 'ADDED', object: ev, ts }),
        line({ type: 'ADDED', object: p1, ts }),
        line({ type: 'ADDED', object: rs, ts }),
        line({ type: 'ADDED', object: dp, ts }),
      ];
      for (const seed of [1, 2, 3]) {
        const { records } = await read({ 'watch.jsonl': shuffled(lines, seed).join('\n') });
        expect(records.map(label)).toEqual([
          'ADDED Deployment/icx-db',
          'ADDED ReplicaSet/icx-db-7d4b578979',
          'ADDED Pod/nginx-7fb78fb6d8-2w75j',
          'ADDED Event Pulled Pod/hello-1567197780-mn4mv',
        ]);
      }
    });
  });

  describe('time', () => {
    it('uses the ts receive time, microseconds included, and marks it as not estimated', async () => {
      const p1 = await readCorpusJson(`${CORPUS.k9s}p1.json`);
      const { records } = await read({
        'watch.jsonl': line({ type: 'MODIFIED', object: p1, ts: '2024-05-01T10:00:00.123456Z' }),
      });
      const [r] = records;
      expect(r?.timeEstimated).toBe(false);
      expect(Math.round(((r?.timeMs ?? 0) - ms('2024-05-01T10:00:00Z')) * 1000)).toBe(123_456);
    });

    it('estimates a ts-less time from the object and never goes back in resourceVersion order', async () => {
      // rv 100 was written after a condition at 10:05; rv 200 carries only its 10:00 creation time,
      // yet etcd wrote it later, so it cannot be placed before 10:05.
      const early: JsonObject = {
        kind: 'Pod',
        metadata: {
          name: 'a',
          namespace: 'shop',
          uid: 'a',
          resourceVersion: '100',
          creationTimestamp: '2024-05-01T09:59:00Z',
        },
        status: { conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2024-05-01T10:05:00Z' }] },
      };
      const late: JsonObject = {
        kind: 'Pod',
        metadata: {
          name: 'b',
          namespace: 'shop',
          uid: 'b',
          resourceVersion: '200',
          creationTimestamp: '2024-05-01T10:00:00Z',
        },
      };
      const { records } = await read({
        'watch.jsonl': [line({ type: 'ADDED', object: late }), line({ type: 'ADDED', object: early })].join('\n'),
      });
      expect(records.map((r) => [label(r), r.timeMs, r.timeEstimated])).toEqual([
        ['ADDED Pod/a', ms('2024-05-01T10:05:00Z'), true],
        ['ADDED Pod/b', ms('2024-05-01T10:05:00Z'), true],
      ]);
    });

    it('times a ts-less Event by its last occurrence', async () => {
      const ev = await readCorpusJson(`${CORPUS.k9s}ev.json`);
      const repeated = { ...ev, count: 3, lastTimestamp: '2019-08-30T20:50:00Z' };
      const { records } = await read({ 'events.jsonl': line(repeated) });
      expect(records.map((r) => [r.source, r.timeMs, r.timeEstimated])).toEqual([
        ['event', ms('2019-08-30T20:50:00Z'), true],
      ]);
    });
  });

  describe('shapes', () => {
    it('accepts bare objects and Lists, filling in the kind that List items omit', async () => {
      const p1 = await readCorpusJson(`${CORPUS.k9s}p1.json`);
      const { kind: _kind, apiVersion: _apiVersion, ...item } = p1;
      const podList = { apiVersion: 'v1', kind: 'PodList', metadata: { resourceVersion: '1' }, items: [item] };
      const eventList = await readCorpusYaml(`${CORPUS.mustGather}kube-system/core/events.yaml`);
      const dp = await readCorpusJson(`${CORPUS.k9s}dp.json`);
      const { records, problems } = await read({
        'watch.jsonl': [line(podList), line(dp)].join('\n'),
        'events.jsonl': line(eventList),
      });
      expect(problems).toEqual([]);
      const objects = records.filter((r) => r.source === 'object').map(label);
      expect(objects.sort()).toEqual(['ADDED Deployment/icx-db', 'ADDED Pod/nginx-7fb78fb6d8-2w75j']);
      const events = records.filter((r) => r.source === 'event');
      expect(events).toHaveLength(arr(eventList, 'items').length);
      expect(events.every((r) => r.origin.file === 'events.jsonl' && r.origin.line === 1)).toBe(true);
    });

    it("reads kubectl's pretty-printed --watch output like its JSON-lines form", async () => {
      const p1 = await readCorpusJson(`${CORPUS.k9s}p1.json`);
      const rs = await readCorpusJson(`${CORPUS.k9s}rs.json`);
      const events = [
        { type: 'ADDED', object: rs },
        { type: 'MODIFIED', object: p1 },
      ];
      const pretty = await read({ 'watch.jsonl': events.map((e) => JSON.stringify(e, null, 4)).join('\n') + '\n' });
      const compact = await read({ 'watch.jsonl': events.map(line).join('\n') });
      expect(pretty.problems).toEqual([]);
      expect(pretty.records.map(content)).toEqual(compact.records.map(content));
      expect(pretty.records.map((r) => r.origin.line).sort((a, b) => a - b)).toEqual([
        1,
        JSON.stringify(events[0], null, 4).split('\n').length + 1,
      ]);
    });

    it('skips BOOKMARK events silently', async () => {
      const bookmark = {
        type: 'BOOKMARK',
        object: { kind: 'Pod', apiVersion: 'v1', metadata: { resourceVersion: '12746' } },
      };
      const { records, problems } = await read({ 'watch.jsonl': line(bookmark) + '\n' });
      expect(records).toEqual([]);
      expect(problems).toEqual([]);
    });
  });

  describe('problems', () => {
    it('reports each unusable line as file:line with a reason and keeps the good ones', async () => {
      const p1 = await readCorpusJson(`${CORPUS.k9s}p1.json`);
      const watch = [
        line({ type: 'ADDED', object: p1 }),
        '{"type":"ADDED","object":',
        line({
          type: 'ERROR',
          object: { kind: 'Status', apiVersion: 'v1', metadata: {}, code: 410, reason: 'Expired' },
        }),
        line({ type: 'ADDED', object: p1, ts: 'yesterday' }),
        line({
          type: 'ADDED',
          object: { apiVersion: 'v1', metadata: { name: 'x', creationTimestamp: '2024-05-01T10:00:00Z' } },
        }),
        line({ type: 'ADDED', object: { kind: 'Pod', metadata: { creationTimestamp: '2024-05-01T10:00:00Z' } } }),
        line({ type: 'ADDED', object: { kind: 'Pod', metadata: { name: 'timeless' } } }),
        line({ kind: 'PodList', items: ['not an object'] }),
        line({ hello: 'world' }),
        '[1, 2]',
      ];
      const ev = await readCorpusJson(`${CORPUS.k9s}ev.json`);
      const { involvedObject: _dropped, ...evNoRegarding } = ev;
      const { records, problems } = await read({
        'watch.jsonl': watch.join('\n'),
        'events.jsonl': line(evNoRegarding),
      });
      expect(records.map(label)).toEqual(['ADDED Pod/nginx-7fb78fb6d8-2w75j']);
      expect(problems.map((p) => `${p.file}:${p.line}`)).toEqual([
        'watch.jsonl:2',
        'watch.jsonl:3',
        'watch.jsonl:4',
        'watch.jsonl:5',
        'watch.jsonl:6',
        'watch.jsonl:7',
        'watch.jsonl:8',
        'watch.jsonl:9',
        'watch.jsonl:10',
        'events.jsonl:1',
      ]);
      const reasons = problems.map((p) => p.reason);
      expect(reasons[0]).toMatch(/invalid JSON/);
      expect(reasons[1]).toMatch(/unsupported watch event type "ERROR"/);
      expect(reasons[2]).toMatch(/unparseable ts "yesterday"/);
      expect(reasons[3]).toMatch(/no kind/);
      expect(reasons[4]).toMatch(/no metadata\.name/);
      expect(reasons[5]).toMatch(/no ts and no timestamp/);
      expect(reasons[6]).toMatch(/List item is not an object/);
      expect(reasons[7]).toMatch(/neither a watch event/);
      expect(reasons[8]).toMatch(/not a JSON object/);
      expect(reasons[9]).toMatch(/no regarding/);
    });
  });

  describe('secrets', () => {
    it('drops Secret data and ConfigMap values before they become records', async () => {
      const secret = {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: {
          name: 'db',
          namespace: 'shop',
          uid: 's-1',
          resourceVersion: '5',
          creationTimestamp: '2024-05-01T10:00:00Z',
        },
        data: { password: 'aHVudGVyMg==' },
      };
      const { records } = await read({
        'watch.jsonl': [line({ type: 'ADDED', object: secret }), line({ kind: 'SecretList', items: [secret] })].join(
          '\n',
        ),
      });
      expect(records).toHaveLength(2);
      expect(JSON.stringify(records)).not.toContain('aHVudGVyMg');
    });

    it('does not quote a malformed Secret line in the problem it reports', async () => {
      const { problems } = await read({
        'watch.jsonl':
          '{"type":"ADDED","object":{"kind":"Secret","metadata":{"name":"db"},"data":{"password":aHVudGVyMg==}}}\n',
      });
      expect(problems).toHaveLength(1);
      expect(JSON.stringify(problems)).not.toContain('aHVudGVy');
    });
  });

  describe('files', () => {
    it('hands spans.jsonl lines to the stitch stage, ignores unknown files and reads the rest', async () => {
      const p1 = await readCorpusJson(`${CORPUS.k9s}p1.json`);
      const ev = await readCorpusJson(`${CORPUS.k9s}ev.json`);
      const out = await read({
        'watch.jsonl': line(p1),
        'events.jsonl': line(ev),
        'spans.jsonl': '{}\n',
        'notes.txt': 'hello\n',
      });
      expect(out.filesRead).toEqual(['watch.jsonl', 'events.jsonl', 'spans.jsonl']);
      expect(out.skippedFiles).toEqual([]);
      expect(out.spanLines.filter((l) => l !== '')).toEqual(['{}']);
      expect(out.records.map((r) => r.source).sort()).toEqual(['event', 'object']);
    });

    it('returns no records, not an error, when only spans.jsonl is present', async () => {
      const out = await read({ 'spans.jsonl': '{}\n' });
      expect(out).toMatchObject({ records: [], problems: [], filesRead: ['spans.jsonl'] });
      expect(out.spanLines.filter((l) => l !== '')).toEqual(['{}']);
    });

    it('reads an empty watch.jsonl as no records', async () => {
      const out = await read({ 'watch.jsonl': '' });
      expect(out).toMatchObject({ records: [], problems: [], filesRead: ['watch.jsonl'] });
    });

    it('throws RecordingError for a missing directory', async () => {
      const dir = await recordingDir({});
      await expect(readRecording(join(dir, 'nope'))).rejects.toBeInstanceOf(RecordingError);
    });

    it('throws RecordingError for a directory without any known file', async () => {
      await expect(read({ 'notes.txt': 'hello\n' })).rejects.toThrow(/holds none of: watch\.jsonl, events\.jsonl/);
    });

    it('throws RecordingError when the path is a file', async () => {
      const dir = await recordingDir({ 'watch.jsonl': '' });
      await expect(readRecording(join(dir, 'watch.jsonl'))).rejects.toBeInstanceOf(RecordingError);
    });

    it('throws RecordingError when a known file cannot be read', async () => {
      const dir = await recordingDir({});
      await mkdir(join(dir, 'watch.jsonl'));
      await expect(readRecording(dir)).rejects.toThrow(RecordingError);
    });

    it.skipIf(process.getuid?.() === 0)('throws RecordingError for an unreadable directory', async () => {
      const dir = await recordingDir({ 'watch.jsonl': '' });
      await chmod(dir, 0o000);
      try {
        await expect(readRecording(dir)).rejects.toBeInstanceOf(RecordingError);
      } finally {
        await chmod(dir, 0o700);
      }
    });
  });
});
