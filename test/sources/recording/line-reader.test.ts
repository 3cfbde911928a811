import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LineReader } from '../../../src/sources/recording/line-reader.js';

const scratch: string[] = [];
afterAll(async () => {
  for (const d of scratch.splice(0)) await rm(d, { recursive: true, force: true });
});

async function linesOf(content: string | Buffer, chunkBytes: number): Promise<{ line: number; text: string }[]> {
  const dir = await mkdtemp(join(tmpdir(), 'kubestitch-lines-'));
  scratch.push(dir);
  await writeFile(join(dir, 'f'), content);
  const reader = new LineReader(join(dir, 'f'), chunkBytes);
  const out: { line: number; text: string }[] = [];
  while (!reader.done) {
    const text = reader.next();
    if (text === undefined) await reader.fill();
    else out.push({ line: reader.lineNumber, text });
  }
  return out;
}

describe('LineReader', () => {
  describe('next', () => {
    it('gives the lines and line numbers of split("\\n") with any chunk size', async () => {
      const text = 'a\n\nbé€𝄞 long line ' + 'x'.repeat(100) + '\r\nlast without newline';
      const expected = text.split('\n').map((t, i) => ({ line: i + 1, text: t }));
      for (const chunk of [16, 17, 64, 1 << 20]) expect(await linesOf(text, chunk)).toEqual(expected);
    });

    it('drops a leading byte-order mark only', async () => {
      expect(await linesOf('\uFEFF{"a":1}\n\uFEFFx', 16)).toEqual([
        { line: 1, text: '{"a":1}' },
        { line: 2, text: '\uFEFFx' },
      ]);
    });

    it('gives no empty line after the last newline, and none for an empty file', async () => {
      expect(await linesOf('a\n', 16)).toEqual([{ line: 1, text: 'a' }]);
      expect(await linesOf('', 16)).toEqual([]);
    });
  });
});
