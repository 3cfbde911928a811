import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LineReader, utf8Text } from '../../../src/sources/recording/line-reader.js';

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

    it('decodes UTF-8 in chunks after all-ASCII ones, and bytes that are not UTF-8 as toString does', async () => {
      // 0xe9 alone is Latin-1 é but no UTF-8: it must read as U+FFFD, not as é.
      const bytes = Buffer.concat([
        Buffer.from('{"a":"plain ascii line"}\n'.repeat(4)),
        Buffer.from('{"b":"→ ∅"}\n'),
        Buffer.from([0x7b, 0xe9, 0x7d, 0x0a, 0xe2, 0x82, 0x0a]),
        Buffer.from('tail'),
      ]);
      const expected = bytes
        .toString('utf8')
        .split('\n')
        .map((t, i) => ({ line: i + 1, text: t }));
      for (const chunk of [16, 32, 1 << 20]) expect(await linesOf(bytes, chunk)).toEqual(expected);
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

describe('utf8Text', () => {
  it("is Buffer's UTF-8 decoding, for ASCII, UTF-8 and invalid bytes alike", () => {
    const cases = [
      Buffer.from('{"kind":"Pod"}'),
      Buffer.from('é€𝄞 → ∅'),
      Buffer.from([0x61, 0xe9, 0x62]),
      Buffer.from([0xff, 0xfe, 0x41]),
      Buffer.alloc(0),
    ];
    for (const b of cases) {
      expect(utf8Text(b)).toBe(b.toString('utf8'));
      expect(utf8Text(b, 1, b.length)).toBe(b.toString('utf8', 1, b.length));
    }
  });
});
