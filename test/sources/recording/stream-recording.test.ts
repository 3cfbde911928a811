import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { IngestRecord } from '../../../src/model/records.js';
import { SCENARIOS, runScenario, writeRecording } from '../../../tools/sim/index.js';
import { RecordingError, readRecording } from '../../../src/sources/recording/read-recording.js';
import {
  type RecordingSummary,
  type StreamRecordingOptions,
  openRecording,
} from '../../../src/sources/recording/stream-recording.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const REAL = join(ROOT, 'test/fixtures/real');
const scratch: string[] = [];
afterAll(async () => {
  for (const d of scratch.splice(0)) await rm(d, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'kubestitch-stream-'));
  scratch.push(dir);
  return dir;
}

async function streamed(
  dir: string,
  options: StreamRecordingOptions = {},
): Promise<{ records: IngestRecord[]; summary: RecordingSummary }> {
  const stream = await openRecording(dir, options);
  const records: IngestRecord[] = [];
  for await (const batch of stream.batches) records.push(...batch);
  return { records, summary: stream.summary() };
}

async function expectSameAsWholeRead(dir: string, options: StreamRecordingOptions = {}): Promise<RecordingSummary> {
  const whole = await readRecording(dir);
  const { records, summary } = await streamed(dir, options);
  expect(JSON.stringify(records)).toBe(JSON.stringify(whole.records));
  expect(summary.problems).toEqual(whole.problems);
  expect(summary.records.length).toBe(whole.records.length);
  return summary;
}

// The bench's shape: blocks written one after another whose times overlap the next blocks'.
function overlappingBlocks(blocks: number, perBlock: number, spacingMs: number, stepMs: number): string[] {
  const lines: string[] = [];
  for (let b = 0; b < blocks; b++) {
    for (let i = 0; i < perBlock; i++) {
      const name = `p-${b}-${i}`;
      const object = { kind: 'ConfigMap', metadata: { name, namespace: 'ns', uid: name, resourceVersion: '1' } };
      const ts = new Date(Date.UTC(2024, 4, 1) + b * spacingMs + i * stepMs).toISOString();
      lines.push(JSON.stringify({ type: 'ADDED', ts, object }));
    }
  }
  return lines;
}

describe('openRecording', () => {
  describe('records', () => {
    it("gives exactly readRecording's records for every real recording, example and simulator scenario", async () => {
      const dirs = ['examples/rolling-update', 'examples/rolling-update-audit'].map((d) => join(ROOT, d));
      if (existsSync(REAL)) {
        for (const d of await readdir(REAL, { withFileTypes: true }))
          if (d.isDirectory()) dirs.push(join(REAL, d.name));
      }
      const base = await tempDir();
      for (const scenario of SCENARIOS) {
        const dir = join(base, scenario);
        await writeRecording(dir, runScenario(scenario));
        dirs.push(dir);
      }
      for (const dir of dirs) {
        const summary = await expectSameAsWholeRead(dir);
        expect(summary.wholeFiles).toEqual([]);
        expect(summary.lateRecords).toBe(0);
      }
    });

    it('sorts a file whose disorder stays within the window exactly as a full sort does', async () => {
      const dir = await tempDir();
      await writeFile(join(dir, 'watch.jsonl'), overlappingBlocks(30, 20, 1_000, 200).join('\n'));
      const summary = await expectSameAsWholeRead(dir, { windowRecords: 100 });
      expect(summary.lateRecords).toBe(0);
    });

    it('processes records beyond the window late, counts them, and loses none', async () => {
      const dir = await tempDir();
      const lines = overlappingBlocks(30, 20, 1_000, 200);
      await writeFile(join(dir, 'watch.jsonl'), lines.join('\n'));
      const { records, summary } = await streamed(dir, { windowRecords: 4 });
      expect(records).toHaveLength(lines.length);
      expect(summary.lateRecords).toBeGreaterThan(0);
      const late = records.filter((r, i) => i > 0 && r.timeMs < (records[i - 1]?.timeMs ?? 0)).length;
      expect(late).toBeGreaterThan(0);
    });
  });

  describe('files read whole', () => {
    it("reads kubectl's pretty-printed output whole, in the same order", async () => {
      const dir = await tempDir();
      const lines = overlappingBlocks(2, 3, 1_000, 100).map((l) => JSON.stringify(JSON.parse(l), null, 2));
      await writeFile(join(dir, 'watch.jsonl'), lines.reverse().join('\n'));
      const summary = await expectSameAsWholeRead(dir);
      expect(summary.wholeFiles).toEqual([{ file: 'watch.jsonl', reason: 'pretty-printed' }]);
    });

    it('reads a snapshot without ts whole and merges it with a streamed file', async () => {
      const dir = await tempDir();
      const snapshot = {
        kind: 'PodList',
        items: [{ metadata: { name: 'a', namespace: 'n', uid: 'a', creationTimestamp: '2024-05-01T00:00:01Z' } }],
      };
      await writeFile(join(dir, 'watch.jsonl'), JSON.stringify(snapshot));
      await writeFile(join(dir, 'audit.log'), await readFile(join(ROOT, 'examples/rolling-update-audit/audit.log')));
      const summary = await expectSameAsWholeRead(dir);
      expect(summary.wholeFiles).toEqual([{ file: 'watch.jsonl', reason: 'starts without ts' }]);
    });
  });

  describe('problems', () => {
    it('reports bad lines as readRecording does, file by file', async () => {
      const dir = await tempDir();
      const good = overlappingBlocks(1, 3, 0, 10);
      await writeFile(join(dir, 'watch.jsonl'), [good[0], '{"type":', good[1], '[1]', good[2]].join('\n'));
      await writeFile(join(dir, 'events.jsonl'), '{"kind":"Event"}\n');
      const summary = await expectSameAsWholeRead(dir);
      expect(summary.problems.map((p) => `${p.file}:${p.line}`)).toEqual([
        'watch.jsonl:2',
        'watch.jsonl:4',
        'events.jsonl:1',
      ]);
    });

    it('reports watch lines rejected when they come in order (held by their text) by line, as readRecording does', async () => {
      const dir = await tempDir();
      const good = overlappingBlocks(1, 3, 0, 10);
      const early = new Date(Date.UTC(2024, 3, 1)).toISOString();
      // Both read as watch lines of a Pod, both earlier than the good lines: the later one comes first.
      const noName = JSON.stringify({ type: 'ADDED', ts: early, object: { kind: 'Pod', metadata: {} } });
      const cut = noName.slice(0, -1).replace('"ADDED"', '"MODIFIED"');
      await writeFile(join(dir, 'watch.jsonl'), [good[0], cut, good[1], noName, good[2]].join('\n'));
      const summary = await expectSameAsWholeRead(dir);
      expect(summary.records.length).toBe(3);
      expect(summary.problems.map((p) => `${p.file}:${p.line}`)).toEqual(['watch.jsonl:2', 'watch.jsonl:4']);
    });

    it('orders a watch line by what its parse gives when a key repeated late changes it', async () => {
      const dir = await tempDir();
      const ts = new Date(Date.UTC(2024, 4, 1)).toISOString();
      const meta = (rv: string): string =>
        `"metadata":{"name":"x","namespace":"ns","uid":"u","resourceVersion":"${rv}"}`;
      // The second line reads as the first Pod until parsed: its last kind is a Deployment, which
      // goes first (had it been read as a Pod after others, it would come late, and be counted).
      const lines = [
        `{"type":"ADDED","object":{"kind":"Pod",${meta('1')}},"ts":"${ts}"}`,
        `{"type":"ADDED","object":{"kind":"Pod",${meta('0')},"kind":"Deployment"},"ts":"${ts}"}`,
        `{"type":"ADDED","object":{"kind":"Pod",${meta('3')}},"ts":"${ts}"}`,
      ];
      await writeFile(join(dir, 'watch.jsonl'), [lines[2], lines[1], lines[0]].join('\n'));
      const summary = await expectSameAsWholeRead(dir);
      expect(summary.lateRecords).toBe(0);
      const { records } = await streamed(dir);
      expect(records.map((r) => (r.source === 'object' ? r.object['kind'] : r.source))).toEqual([
        'Deployment',
        'Pod',
        'Pod',
      ]);
    });

    it('drops Secret data from watch lines, Lists and ts-less objects alike, as readRecording does', async () => {
      const dir = await tempDir();
      const secret = (name: string, rv: string): object => ({
        kind: 'Secret',
        metadata: {
          name,
          namespace: 'shop',
          uid: name,
          resourceVersion: rv,
          creationTimestamp: '2024-05-01T10:00:00Z',
          managedFields: [{ manager: 'kubectl', time: '2024-05-01T10:00:02Z' }],
        },
        data: { password: 'aHVudGVyMg==' },
      });
      const ts = (s: number): string => new Date(Date.UTC(2024, 4, 1, 10, 0, s)).toISOString();
      const lines = [
        { type: 'ADDED', ts: ts(1), object: secret('a', '5') },
        { kind: 'SecretList', items: [secret('b', '6')] },
        secret('c', '7'),
        { type: 'MODIFIED', ts: ts(3), object: secret('a', '8') },
      ];
      await writeFile(join(dir, 'watch.jsonl'), lines.map((l) => JSON.stringify(l)).join('\n'));
      await expectSameAsWholeRead(dir);
      const { records } = await streamed(dir);
      expect(records).toHaveLength(4);
      expect(JSON.stringify(records)).not.toContain('aHVudGVyMg');
    });

    it('throws RecordingError for a missing directory', async () => {
      await expect(openRecording(join(await tempDir(), 'nope'))).rejects.toBeInstanceOf(RecordingError);
    });
  });
});
