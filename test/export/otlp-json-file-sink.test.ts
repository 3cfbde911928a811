import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decodeOtlpJsonLine } from '../support/otlp-json-decode.js';
import { OtlpJsonFileSink } from '../../src/export/otlp-json-file-sink.js';
import type { SpanData } from '../../src/model/span.js';
import { sampleTrace } from './sample-trace.js';

async function lines(path: string): Promise<string[]> {
  return (await readFile(path, 'utf8')).split('\n').filter((line) => line !== '');
}

function batchNamed(name: string): SpanData[] {
  return sampleTrace().map((s) => ({ ...s, name: `${name}/${s.name}` }));
}

describe('OtlpJsonFileSink', () => {
  let dir: string;
  let path: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kubestitch-file-sink-'));
    path = join(dir, 'out', 'nested', 'spans.jsonl');
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  describe('write', () => {
    it('appends one decodable line per batch, creating parent directories', async () => {
      const sink = new OtlpJsonFileSink({ path });
      const [root, ...rest] = sampleTrace();
      expect(await sink.write(root === undefined ? [] : [root])).toEqual({ status: 'ok' });
      expect(await sink.write(rest)).toEqual({ status: 'ok' });
      await sink.shutdown();

      const written = await lines(path);
      expect(written).toHaveLength(2);
      expect(decodeOtlpJsonLine(written[0] ?? '')).toEqual([root]);
      expect(decodeOtlpJsonLine(written[1] ?? '')).toEqual(rest);
    });

    it('keeps call order when writes are not awaited', async () => {
      const sink = new OtlpJsonFileSink({ path });
      const names = ['a', 'b', 'c', 'd', 'e'];
      await Promise.all(names.map((name) => sink.write(batchNamed(name))));
      await sink.flush();
      const firstNames = (await lines(path)).map((line) => decodeOtlpJsonLine(line)[0]?.name);
      expect(firstNames).toEqual(names.map((name) => `${name}/Deployment web rollout`));
    });

    it('appends to an existing file instead of truncating it', async () => {
      const first = new OtlpJsonFileSink({ path });
      await first.write(batchNamed('first'));
      await first.shutdown();
      const second = new OtlpJsonFileSink({ path });
      await second.write(batchNamed('second'));
      await second.shutdown();
      expect(await lines(path)).toHaveLength(2);
    });

    it('writes nothing for an empty batch', async () => {
      const sink = new OtlpJsonFileSink({ path });
      expect(await sink.write([])).toEqual({ status: 'ok' });
      await sink.shutdown();
      expect(existsSync(path)).toBe(false);
    });

    it('answers failed, without throwing, when the path cannot be written', async () => {
      const blocker = join(dir, 'a-file');
      await writeFile(blocker, 'not a directory');
      const sink = new OtlpJsonFileSink({ path: join(blocker, 'spans.jsonl') });
      const result = await sink.write(sampleTrace());
      expect(result.status).toBe('failed');
      if (result.status === 'failed') expect(result.error.message).toContain('a-file');
      await sink.shutdown();
    });

    it('drops exactly the span it cannot encode, counts it, and writes the rest', async () => {
      const sink = new OtlpJsonFileSink({ path });
      const [root, ...rest] = sampleTrace();
      if (root === undefined) throw new Error('empty sample');
      expect((await sink.write([{ ...root, spanId: 'nope' }])).status).toBe('ok');
      // A span stamped 1900 used to fail its whole batch, which a spooling --out retried forever.
      const batch = [{ ...root, startMs: Date.UTC(1900, 0, 1) }, ...rest];
      expect((await sink.write(batch)).status).toBe('ok');
      await sink.shutdown();
      expect(sink.unencodable.dropped).toBe(2);
      const written = await lines(path);
      expect(written).toHaveLength(1);
      const request = JSON.parse(written.join('')) as {
        resourceSpans: { scopeSpans: { spans: unknown[] }[] }[];
      };
      const spans = request.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans));
      expect(spans).toHaveLength(rest.length);
    });

    it('answers failed after shutdown', async () => {
      const sink = new OtlpJsonFileSink({ path });
      await sink.shutdown();
      expect((await sink.write(sampleTrace())).status).toBe('failed');
    });
  });

  describe('flush', () => {
    it('closes the file so a rotated file is replaced by a new one on the next write', async () => {
      const sink = new OtlpJsonFileSink({ path });
      await sink.write(batchNamed('old'));
      await sink.flush();
      await rename(path, `${path}.1`);
      await sink.write(batchNamed('new'));
      await sink.shutdown();
      expect(await lines(`${path}.1`)).toHaveLength(1);
      expect(decodeOtlpJsonLine((await lines(path))[0] ?? '')[0]?.name).toMatch(/^new\//);
    });
  });

  describe('shutdown', () => {
    it('is idempotent', async () => {
      const sink = new OtlpJsonFileSink({ path });
      const pending = sink.write(sampleTrace());
      await Promise.all([sink.shutdown(), sink.shutdown()]);
      await sink.shutdown();
      expect(await pending).toEqual({ status: 'ok' });
      expect(await lines(path)).toHaveLength(1);
    });
  });
});
