import { afterEach, describe, expect, it, vi } from 'vitest';
import type { KvIterateOptions, KvOp, KvStore, KvValue } from '../../storage/index.js';
import { MemoryStore, StoreClosedError, WriteBatcher, WriteBatcherFullError } from '../../storage/index.js';

/** A MemoryStore that records every batch and can hold batches until released or failed. */
class RecordingStore implements KvStore {
  readonly inner = new MemoryStore();
  readonly batches: KvOp[][] = [];
  #gate: Promise<void> | undefined;
  #open: (() => void) | undefined;
  #failWith: Error | undefined;

  hold(): void {
    this.#gate = new Promise((resolve) => {
      this.#open = resolve;
    });
  }

  release(): void {
    this.#open?.();
    this.#gate = undefined;
  }

  failNext(error: Error): void {
    this.#failWith = error;
  }

  async batch(ops: readonly KvOp[]): Promise<void> {
    this.batches.push([...ops]);
    await this.#gate;
    const failure = this.#failWith;
    this.#failWith = undefined;
    if (failure) throw failure;
    await this.inner.batch(ops);
  }

  get(key: string): Promise<KvValue | undefined> {
    return this.inner.get(key);
  }

  iterate(options?: KvIterateOptions): AsyncIterable<readonly [string, KvValue]> {
    return this.inner.iterate(options);
  }

  namespace(name: string): KvStore {
    return this.inner.namespace(name);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

/** Lets pending timers, immediates and I/O callbacks of this turn run. */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 5));
}

function puts(batcher: WriteBatcher, n: number, prefix = 'k'): Array<Promise<void>> {
  return Array.from({ length: n }, (_, i) => batcher.put(`${prefix}${i}`, `v${i}`));
}

describe('WriteBatcher', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  describe('put', () => {
    it('coalesces writes issued in one turn into one store batch', async () => {
      const store = new RecordingStore();
      const batcher = new WriteBatcher(store);
      await Promise.all(puts(batcher, 100));
      expect(store.batches).toHaveLength(1);
      expect(store.batches[0]).toHaveLength(100);
      expect(await store.get('k99')).toBe('v99');
      expect(batcher.stats()).toMatchObject({ batchesWritten: 1, opsWritten: 100, queuedOps: 0 });
    });

    it('splits at maxBatchOps', async () => {
      const store = new RecordingStore();
      const batcher = new WriteBatcher(store, { maxBatchOps: 10 });
      await Promise.all(puts(batcher, 25));
      expect(store.batches.map((batch) => batch.length)).toEqual([10, 10, 5]);
    });

    it('splits at maxBatchBytes, sending an oversized write alone', async () => {
      const store = new RecordingStore();
      const batcher = new WriteBatcher(store, { maxBatchBytes: 100 });
      await Promise.all([
        batcher.put('a', 'x'.repeat(40)),
        batcher.put('b', 'x'.repeat(40)),
        batcher.put('c', 'x'.repeat(40)),
        batcher.put('big', new Uint8Array(500)),
        batcher.put('d', 'x'),
      ]);
      expect(store.batches.map((batch) => batch.map((op) => op.key))).toEqual([['a', 'b'], ['c'], ['big'], ['d']]);
    });

    it('resolves only after the store batch holding it has resolved', async () => {
      const store = new RecordingStore();
      const batcher = new WriteBatcher(store);
      store.hold();
      let resolved = false;
      const write = batcher.put('k', 'v').then(() => {
        resolved = true;
      });
      await nextTurn();
      expect(store.batches).toHaveLength(1);
      expect(resolved).toBe(false);
      store.release();
      await write;
      expect(await store.get('k')).toBe('v');
    });

    it('keeps one batch in flight and applies writes in call order', async () => {
      const store = new RecordingStore();
      const batcher = new WriteBatcher(store);
      store.hold();
      const first = batcher.put('k', 'old');
      await nextTurn();
      const later = [batcher.put('k', 'new'), batcher.del('gone'), batcher.put('x', '1')];
      await nextTurn();
      expect(store.batches).toHaveLength(1);
      store.release();
      await Promise.all([first, ...later]);
      expect(store.batches).toHaveLength(2);
      expect(store.batches[1]).toHaveLength(3);
      expect(await store.get('k')).toBe('new');
    });

    it('rejects every write of a failed batch with the store error, and keeps working', async () => {
      const store = new RecordingStore();
      const batcher = new WriteBatcher(store);
      const disk = new Error('disk full');
      store.failNext(disk);
      const failed = puts(batcher, 3).map((p) => p.catch((e: unknown) => e));
      expect(await Promise.all(failed)).toEqual([disk, disk, disk]);
      expect(await store.get('k0')).toBeUndefined();
      await batcher.put('after', 'ok');
      expect(await store.get('after')).toBe('ok');
      expect(batcher.stats()).toMatchObject({ batchesFailed: 1, batchesWritten: 1 });
    });

    it('rejects a malformed write alone, without failing its neighbours', async () => {
      const store = new RecordingStore();
      const batcher = new WriteBatcher(store);
      const good = batcher.put('good', 'v');
      const bad = batcher.put('bad', 'lone \uD800');
      await expect(bad).rejects.toThrow(TypeError);
      await expect(good).resolves.toBeUndefined();
      expect(store.batches).toEqual([[{ type: 'put', key: 'good', value: 'v' }]]);
    });

    it('rejects writes beyond maxQueuedOps with WriteBatcherFullError and counts them', async () => {
      const store = new RecordingStore();
      const batcher = new WriteBatcher(store, { maxBatchOps: 2, maxQueuedOps: 3 });
      store.hold();
      const inFlight = puts(batcher, 2, 'a');
      await nextTurn();
      const queued = puts(batcher, 3, 'b');
      await expect(batcher.put('c', 'v')).rejects.toBeInstanceOf(WriteBatcherFullError);
      expect(batcher.stats()).toMatchObject({ rejectedFull: 1, queuedOps: 3 });
      store.release();
      await Promise.all([...inFlight, ...queued]);
      expect(store.batches.map((batch) => batch.length)).toEqual([2, 2, 1]);
    });

    it('waits lingerMs for company before writing', async () => {
      vi.useFakeTimers();
      const store = new RecordingStore();
      const batcher = new WriteBatcher(store, { lingerMs: 1000 });
      const first = batcher.put('a', '1');
      await vi.advanceTimersByTimeAsync(600);
      const second = batcher.put('b', '2');
      expect(store.batches).toHaveLength(0);
      await vi.advanceTimersByTimeAsync(500);
      await Promise.all([first, second]);
      expect(store.batches).toEqual([
        [
          { type: 'put', key: 'a', value: '1' },
          { type: 'put', key: 'b', value: '2' },
        ],
      ]);
    });

    it.each([0, 60_000])('does not keep the process alive while waiting (lingerMs %i)', async (lingerMs) => {
      const batcher = new WriteBatcher(new RecordingStore(), { lingerMs });
      const before = process.getActiveResourcesInfo().filter((r) => r === 'Timeout' || r === 'Immediate');
      const write = batcher.put('k', 'v');
      const during = process.getActiveResourcesInfo().filter((r) => r === 'Timeout' || r === 'Immediate');
      expect(during).toEqual(before);
      await batcher.close();
      await write;
    });
  });

  describe('flush', () => {
    it('writes queued writes without waiting for the timer', async () => {
      const store = new RecordingStore();
      const batcher = new WriteBatcher(store, { lingerMs: 60_000 });
      const write = batcher.put('k', 'v');
      await batcher.flush();
      await write;
      expect(await store.get('k')).toBe('v');
      await batcher.close();
    });

    it('resolves even when the flushed batch failed', async () => {
      const store = new RecordingStore();
      const batcher = new WriteBatcher(store);
      store.failNext(new Error('io'));
      const write = batcher.put('k', 'v').catch((e: unknown) => e);
      await expect(batcher.flush()).resolves.toBeUndefined();
      expect(await write).toEqual(new Error('io'));
    });
  });

  describe('close', () => {
    it('flushes queued writes, is idempotent, and refuses later writes', async () => {
      const store = new RecordingStore();
      const batcher = new WriteBatcher(store, { lingerMs: 60_000 });
      const writes = puts(batcher, 5);
      const closed = batcher.close();
      expect(batcher.close()).toBe(closed);
      await closed;
      await Promise.all(writes);
      expect(store.batches).toHaveLength(1);
      await expect(batcher.close()).resolves.toBeUndefined();
      await expect(batcher.put('late', 'v')).rejects.toBeInstanceOf(StoreClosedError);
      expect(await store.get('late')).toBeUndefined();
    });

    it('waits for the batch in flight and leaves the store open', async () => {
      const store = new RecordingStore();
      const batcher = new WriteBatcher(store);
      store.hold();
      const write = batcher.put('k', 'v');
      await nextTurn();
      let closed = false;
      const closing = batcher.close().then(() => {
        closed = true;
      });
      await nextTurn();
      expect(closed).toBe(false);
      store.release();
      await closing;
      await write;
      expect(await store.get('k')).toBe('v');
    });
  });
});
