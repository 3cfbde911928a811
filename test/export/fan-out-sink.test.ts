import { describe, expect, it } from 'vitest';
import { CaptureSink } from '../../src/export/capture-sink.js';
import { FanOutSink } from '../../src/export/fan-out-sink.js';
import type { ExportResult, SpanSink } from '../../src/export/sink.js';
import { sampleTrace } from './sample-trace.js';

function retryable(afterMs: number, message: string): ExportResult {
  return { status: 'retryable', afterMs, error: new Error(message) };
}

function capture(result?: ExportResult): CaptureSink {
  const sink = new CaptureSink();
  if (result !== undefined) sink.setResult(result);
  return sink;
}

describe('FanOutSink', () => {
  describe('write', () => {
    it('hands the batch to every sink and answers ok when all do', async () => {
      const [file, grpc] = [capture(), capture()];
      expect(await new FanOutSink([file, grpc]).write(sampleTrace())).toEqual({ status: 'ok' });
      expect(file.spans).toEqual(sampleTrace());
      expect(grpc.spans).toEqual(sampleTrace());
    });

    it('answers retryable with the longest wait when some sinks are retryable', async () => {
      const sinks = [capture(), capture(retryable(500, 'busy')), capture(retryable(2_000, 'down'))];
      const result = await new FanOutSink(sinks).write(sampleTrace());
      expect(result).toMatchObject({ status: 'retryable', afterMs: 2_000 });
      if (result.status !== 'ok') expect(result.error.message).toMatch(/busy.*down/);
      expect(sinks[0]?.batches).toHaveLength(1);
    });

    it('answers failed when any sink failed, even if others are retryable', async () => {
      const failing = capture({ status: 'failed', error: new Error('disk full') });
      const result = await new FanOutSink([capture(retryable(100, 'x')), failing]).write(sampleTrace());
      expect(result).toMatchObject({ status: 'failed', error: { message: 'disk full' } });
    });

    it('answers failed for a sink that rejects instead of resolving', async () => {
      const rude: SpanSink = {
        write: () => Promise.reject(new Error('boom')),
        flush: () => Promise.resolve(),
        shutdown: () => Promise.resolve(),
      };
      const result = await new FanOutSink([capture(), rude]).write(sampleTrace());
      expect(result).toMatchObject({ status: 'failed', error: { message: 'boom' } });
    });
  });

  describe('shutdown', () => {
    it('shuts every sink down once, however often it is called', async () => {
      let calls = 0;
      const counting: SpanSink = {
        write: () => Promise.resolve({ status: 'ok' }),
        flush: () => Promise.resolve(),
        shutdown: () => {
          calls += 1;
          return Promise.reject(new Error('already broken'));
        },
      };
      const other = capture();
      const fanOut = new FanOutSink([counting, other]);
      await Promise.all([fanOut.shutdown(), fanOut.shutdown()]);
      await fanOut.shutdown();
      expect(calls).toBe(1);
      expect(other.isShutdown).toBe(true);
    });
  });
});

describe('CaptureSink', () => {
  describe('write', () => {
    it('keeps accepted batches in order and refuses writes after shutdown', async () => {
      const sink = new CaptureSink();
      const [a, b, c] = sampleTrace();
      if (a === undefined || b === undefined || c === undefined) throw new Error('short sample');
      await sink.write([a]);
      await sink.write([b, c]);
      await sink.shutdown();
      expect((await sink.write([a])).status).toBe('failed');
      expect(sink.batches).toEqual([[a], [b, c]]);
      expect(sink.spans).toEqual([a, b, c]);
      expect(sink.writes).toBe(3);
    });

    it('answers with the configured result and does not keep refused batches', async () => {
      const sink = capture(retryable(10, 'later'));
      expect(await sink.write(sampleTrace())).toMatchObject({ status: 'retryable', afterMs: 10 });
      expect(sink.batches).toEqual([]);
    });
  });
});
