import { describe, expect, it } from 'vitest';
import { splitJsonValues } from '../../src/sources/json-values.js';
import type { JsonValueResult } from '../../src/sources/json-values.js';
import { CORPUS, readCorpusText } from '../support/corpus.js';
import { prng } from '../support/prng.js';

function split(text: string): JsonValueResult[] {
  return [...splitJsonValues(text)];
}

function okValues(results: readonly JsonValueResult[]): { line: number; value: unknown }[] {
  return results.flatMap((r) => (r.ok ? [{ line: r.line, value: r.value }] : []));
}

function failures(results: readonly JsonValueResult[]): { line: number; reason: string }[] {
  return results.flatMap((r) => (r.ok ? [] : [{ line: r.line, reason: r.reason }]));
}

describe('splitJsonValues', () => {
  describe('JSON lines', () => {
    it('yields every line of a real audit log with its 1-based line number', async () => {
      const text = await readCorpusText(`${CORPUS.derived}audit-events.DERIVED.jsonl`);
      const results = split(text);
      expect(failures(results)).toEqual([]);
      expect(results.map((r) => r.line)).toEqual(Array.from({ length: 90 }, (_, i) => i + 1));
      const lines = text.split('\n');
      for (const r of results) {
        if (r.ok) expect(r.value).toEqual(JSON.parse(lines[r.line - 1] ?? ''));
      }
    });

    it('skips blank lines, tolerates CRLF and keeps the line numbers of the file', () => {
      const results = split('\r\n{"a":1}\r\n\r\n   \n{"b":2}\r\n');
      expect(okValues(results)).toEqual([
        { line: 2, value: { a: 1 } },
        { line: 5, value: { b: 2 } },
      ]);
      expect(failures(results)).toEqual([]);
    });

    it('reports a malformed line by its line number and goes on with the next', () => {
      const results = split('{"a":1}\n{"b":\n{"c":3}\n');
      expect(okValues(results)).toEqual([
        { line: 1, value: { a: 1 } },
        { line: 3, value: { c: 3 } },
      ]);
      expect(failures(results)).toEqual([{ line: 2, reason: expect.stringContaining('invalid JSON') }]);
    });

    it('keeps the lines after a truncated first line', () => {
      const results = split(
        '{"type":"ADDED","object":{"kind":"Pod","metadata":{"name":"a"\n' +
          '{"type":"ADDED","object":{"kind":"Pod","metadata":{"name":"b"}}}\n' +
          '{"type":"DELETED","object":{"kind":"Pod","metadata":{"name":"b"}}}\n',
      );
      expect(failures(results).map((f) => f.line)).toEqual([1]);
      expect(okValues(results).map((v) => v.line)).toEqual([2, 3]);
    });

    it('keeps the lines after a first line truncated inside a string', () => {
      const results = split('{"type":"ADDED","object":{"kind":"Po\n{"x":"}"}\n{"y":[1,2]}\n');
      expect(failures(results).map((f) => f.line)).toEqual([1]);
      expect(okValues(results)).toEqual([
        { line: 2, value: { x: '}' } },
        { line: 3, value: { y: [1, 2] } },
      ]);
    });

    it('does not echo the malformed text in the reason, so Secret values never reach a log', () => {
      const secret = 'aHVudGVyMg==';
      const results = split(
        `{"kind":"ConfigMap","metadata":{"name":"ok"}}\n{"kind":"Secret","data":{"password":${secret}}}\n`,
      );
      const [failure] = failures(results);
      expect(failure?.line).toBe(2);
      expect(failure?.reason).not.toContain('aHVudGVy');
      expect(failure?.reason).not.toContain('password');
    });
  });

  describe('pretty-printed stream', () => {
    it('splits kubectl-style pretty JSON values printed back to back, each at its start line', async () => {
      const names = ['dp.json', 'rs.json', 'p1.json', 'ev.json'];
      const texts = await Promise.all(names.map((n) => readCorpusText(`${CORPUS.k9s}${n}`)));
      const results = split(texts.join('\n'));
      expect(failures(results)).toEqual([]);
      let line = 1;
      const expected = texts.map((t) => {
        const entry = { line, value: JSON.parse(t) as unknown };
        line += t.split('\n').length;
        return entry;
      });
      expect(okValues(results)).toEqual(expected);
    });

    it('handles braces and escaped quotes inside strings', () => {
      const text = '{\n  "note": "a } b \\" { c",\n  "list": ["]", "[", "\\\\"]\n}\n{\n  "n": 2\n}\n';
      expect(okValues(split(text))).toEqual([
        { line: 1, value: { note: 'a } b " { c', list: [']', '[', '\\'] } },
        { line: 5, value: { n: 2 } },
      ]);
    });

    it('reports stray text between values at its line and keeps the values around it', () => {
      const text = '{\n  "a": 1\n}\nW0803 09:14:00 some warning\n{\n  "b": 2\n}\n';
      const results = split(text);
      expect(okValues(results)).toEqual([
        { line: 1, value: { a: 1 } },
        { line: 5, value: { b: 2 } },
      ]);
      expect(failures(results)).toEqual([{ line: 4, reason: 'not a JSON object or array' }]);
    });

    it('reports a value cut off at the end of the file at its start line', () => {
      const results = split('{\n  "a": 1\n}\n{\n  "b": {\n    "c": 2\n');
      expect(okValues(results)).toEqual([{ line: 1, value: { a: 1 } }]);
      expect(failures(results)).toEqual([{ line: 4, reason: expect.stringContaining('unterminated') }]);
    });

    it('keeps the values that follow a value cut off in the middle of the file', () => {
      const text = '{\n  "a": {\n    "b": 1,\n{\n  "c": 2\n}\n{\n  "d": 3\n}\n';
      const results = split(text);
      expect(failures(results).map((f) => f.line)).toEqual([1]);
      expect(okValues(results)).toEqual([
        { line: 4, value: { c: 2 } },
        { line: 7, value: { d: 3 } },
      ]);
    });
  });

  describe('any input', () => {
    it('yields nothing for empty or blank text', () => {
      expect(split('')).toEqual([]);
      expect(split('\n \n\t\r\n')).toEqual([]);
    });

    it('never throws and reports lines that exist in the input', () => {
      const alphabet = '{}[]"\\:, \n\tab1.';
      const rand = prng(7);
      for (let round = 0; round < 300; round++) {
        const length = Math.floor(rand() * 80);
        let text = round % 2 === 0 ? '{' : '{"a":1}\n';
        for (let i = 0; i < length; i++) text += alphabet[Math.floor(rand() * alphabet.length)] ?? '';
        const lineCount = text.split('\n').length;
        const results = split(text);
        for (const r of results) {
          expect(r.line).toBeGreaterThanOrEqual(1);
          expect(r.line).toBeLessThanOrEqual(lineCount);
        }
      }
    });
  });
});

describe('splitJsonValues with a byte-order mark', () => {
  it('keeps the first value of a file saved with a UTF-8 BOM', () => {
    const values = [...splitJsonValues('\uFEFF{"a":1}\n{"b":2}\n')];
    expect(values.map((v) => (v.ok ? v.value : v.reason))).toEqual([{ a: 1 }, { b: 2 }]);
  });
});
