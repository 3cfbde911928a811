import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runReplayCommand } from '../../src/cli/replay-command.js';
import { DEFAULT_WINDOW_RECORDS } from '../../src/sources/recording/stream-recording.js';

const scratch: string[] = [];
afterAll(async () => {
  for (const d of scratch.splice(0)) await rm(d, { recursive: true, force: true });
});

describe('kubestitch replay', () => {
  describe('a file out of order beyond its reorder window', () => {
    it('replays every record and says how many came late', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'kubestitch-late-'));
      scratch.push(dir);
      // The window's worth of records, then one stamped before all of them.
      const lines: string[] = [];
      const at = (i: number): string => new Date(Date.UTC(2024, 4, 1) + i * 10).toISOString();
      const cm = (i: number): string =>
        JSON.stringify({
          kind: 'ConfigMap',
          metadata: { name: `c${i}`, namespace: 'n', uid: `u${i}`, resourceVersion: '1' },
        });
      for (let i = 1; i <= DEFAULT_WINDOW_RECORDS + 1; i++)
        lines.push(`{"type":"ADDED","ts":"${at(i)}","object":${cm(i)}}`);
      lines.push(`{"type":"ADDED","ts":"${at(0)}","object":${cm(0)}}`);
      await writeFile(join(dir, 'watch.jsonl'), lines.join('\n'));
      let err = '';
      const code = await runReplayCommand({ dir, cluster: 'c' }, { out: () => undefined, err: (s) => (err += s) });
      expect(code).toBe(0);
      expect(err).toContain(`${DEFAULT_WINDOW_RECORDS + 2} records from watch.jsonl`);
      expect(err).toContain(`1 record came more than ${DEFAULT_WINDOW_RECORDS} records late in their file`);
    });
  });
});
