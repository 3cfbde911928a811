import { describe, expect, it } from 'vitest';
import { MemoryStore, TraceStore } from '../../storage/index.js';
import { TraceStoreSink } from '../../src/export/trace-store-sink.js';
import { sampleTrace } from '../export/sample-trace.js';

describe('TraceStoreSink', () => {
  it('stores written spans and answers ok; a re-export is ok and stored once', async () => {
    const store = await TraceStore.open(new MemoryStore());
    const sink = new TraceStoreSink(store, { closeStore: true });
    const spans = sampleTrace();
    expect(await sink.write(spans)).toEqual({ status: 'ok' });
    expect(await sink.write(spans)).toEqual({ status: 'ok' });
    expect(store.stats()).toMatchObject({ spans: spans.length, duplicateSpans: spans.length });
    await sink.shutdown();
    await sink.shutdown();
    expect((await sink.write(spans)).status).toBe('failed');
  });

  it('reports malformed spans through onRejected and still stores the rest', async () => {
    const store = await TraceStore.open(new MemoryStore());
    const rejected: string[] = [];
    const sink = new TraceStoreSink(store, { onRejected: (r) => rejected.push(...r.map((x) => x.reason)) });
    const [first, ...rest] = sampleTrace();
    expect(await sink.write([{ ...first, startMs: Number.NaN } as never, ...rest])).toEqual({ status: 'ok' });
    expect(rejected).toEqual(['start/end are not finite epoch milliseconds']);
    expect(store.stats().spans).toBe(rest.length);
    await store.close();
  });

  it('answers retryable when the store write queue is full', async () => {
    const store = await TraceStore.open(new MemoryStore(), { maxQueuedSpans: 2 });
    const sink = new TraceStoreSink(store);
    const spans = sampleTrace();
    const first = sink.write(spans);
    const second = await sink.write(spans);
    expect(second).toMatchObject({ status: 'retryable', afterMs: 1000 });
    expect(await first).toEqual({ status: 'ok' });
    await store.close();
  });
});
