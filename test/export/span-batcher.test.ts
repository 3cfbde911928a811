import { describe, expect, it } from 'vitest';
import { CaptureSink } from '../../src/export/capture-sink.js';
import type { ExportResult, SpanSink } from '../../src/export/sink.js';
import { SpanBatcher } from '../../src/export/span-batcher.js';
import type { SpanData } from '../../src/model/span.js';
import { sampleTrace } from './sample-trace.js';

/** A sink whose writes stay unanswered until the test answers them, oldest first. */
class HeldSink implements SpanSink {
  readonly written: (readonly SpanData[])[] = [];
  readonly #answers: ((r: ExportResult) => void)[] = [];

  write(spans: readonly SpanData[]): Promise<ExportResult> {
    this.written.push(spans);
    return new Promise((resolve) => this.#answers.push(resolve));
  }
  answer(result: ExportResult = { status: 'ok' }): void {
    this.#answers.shift()?.(result);
  }
  flush(): Promise<void> {
    return Promise.resolve();
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

function spans(n: number): SpanData[] {
  const one = sampleTrace()[0];
  if (one === undefined) throw new Error('sample trace is empty');
  return Array.from({ length: n }, (_, i) => ({ ...one, name: `span ${i}` }));
}

describe('SpanBatcher', () => {
  it('gathers many small batches into writes of at most maxSpans, in order', async () => {
    const sink = new CaptureSink();
    const batcher = new SpanBatcher(sink, { maxSpans: 4 });
    const all = spans(10);
    for (let i = 0; i < all.length; i += 1) expect(batcher.add(all.slice(i, i + 1))).toBeUndefined();
    expect(await batcher.finish()).toEqual({ spans: 10, writes: 3, failures: [] });
    expect(sink.batches.map((b) => b.length)).toEqual([4, 4, 2]);
    expect(sink.spans.map((s) => s.name)).toEqual(all.map((s) => s.name));
  });

  it('splits one batch larger than maxSpans', async () => {
    const sink = new CaptureSink();
    const batcher = new SpanBatcher(sink, { maxSpans: 3 });
    await batcher.add(spans(7));
    await batcher.finish();
    expect(sink.batches.map((b) => b.length)).toEqual([3, 3, 1]);
  });

  it('asks the producer to wait only while maxInFlight writes are unanswered', async () => {
    const sink = new HeldSink();
    const batcher = new SpanBatcher(sink, { maxSpans: 1, maxInFlight: 2 });
    expect(batcher.add(spans(1))).toBeUndefined();
    const wait = batcher.add(spans(1));
    expect(wait).toBeInstanceOf(Promise);
    let resumed = false;
    void wait?.then(() => (resumed = true));
    await Promise.resolve();
    expect(resumed).toBe(false);
    sink.answer();
    await wait;
    expect(resumed).toBe(true);
    sink.answer();
    expect(await batcher.finish()).toMatchObject({ writes: 2, failures: [] });
  });

  it('reports writes the sink did not accept, and goes on', async () => {
    const sink = new CaptureSink();
    sink.setResult({ status: 'failed', error: new Error('disk full') });
    const batcher = new SpanBatcher(sink, { maxSpans: 2 });
    void batcher.add(spans(3));
    expect(await batcher.finish()).toEqual({ spans: 3, writes: 2, failures: ['disk full', 'disk full'] });
  });
});
