import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { KvIterateOptions, KvOp, KvStore, KvValue } from '../../storage/index.js';
import { MemoryStore, StoreClosedError, openLevelStore } from '../../storage/index.js';
import type { IntakeEntry, IntakeLogOptions, IntakeRecord } from '../../storage/intake-log.js';
import { IntakeLog, IntakeLogFullError } from '../../storage/intake-log.js';
import { collect } from './kv-store-contract.js';

/** A MemoryStore that counts batches and can hold or fail the next one. */
class GatedStore implements KvStore {
  readonly inner = new MemoryStore();
  batches = 0;
  #gate: Promise<void> | undefined;
  #open: (() => void) | undefined;
  #failNext: Error | undefined;

  hold(): void {
    this.#gate = new Promise((resolve) => (this.#open = resolve));
  }

  release(): void {
    this.#open?.();
    this.#gate = undefined;
  }

  failNext(error: Error): void {
    this.#failNext = error;
  }

  async batch(ops: readonly KvOp[]): Promise<void> {
    this.batches++;
    await this.#gate;
    const failure = this.#failNext;
    this.#failNext = undefined;
    if (failure !== undefined) throw failure;
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

const entries = (...ids: string[]): IntakeEntry[] => ids.map((id) => ({ id, body: `{"auditID":"${id}"}` }));

async function all(records: AsyncIterable<IntakeRecord>): Promise<Array<[number, string]>> {
  const out: Array<[number, string]> = [];
  for await (const record of records) out.push([record.seq, record.id]);
  return out;
}

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

async function levelLog(options: IntakeLogOptions = {}, dir?: string) {
  const where = dir ?? (await mkdtemp(join(tmpdir(), 'kubestitch-intake-')));
  if (dir === undefined) dirs.push(where);
  const store = await openLevelStore(where, { schemaVersion: 1 });
  const log = await IntakeLog.open(store.namespace('audit-intake'), options);
  return { dir: where, log, close: async () => (await log.close(), await store.close()) };
}

describe('IntakeLog', () => {
  describe('append', () => {
    it('numbers entries from 1 and reads them back in append order past nine (zero-padded keys)', async () => {
      const log = await IntakeLog.open(new MemoryStore());
      const ids = Array.from({ length: 12 }, (_, i) => `a${i}/ResponseComplete`);
      const result = await log.append(entries(...ids));
      expect(result).toMatchObject({ accepted: 12, duplicates: 0 });
      expect(await all(log.readFrom(9))).toEqual(ids.slice(8).map((id, i) => [i + 9, id]));
      expect((await all(log.pending())).map(([seq]) => seq)).toEqual(ids.map((_, i) => i + 1));
    });

    it('drops ids seen before, within one batch and across redeliveries', async () => {
      const log = await IntakeLog.open(new MemoryStore());
      expect(await log.append(entries('x/RequestReceived', 'x/ResponseComplete', 'x/ResponseComplete'))).toMatchObject({
        accepted: 2,
        duplicates: 1,
      });
      const redelivered = await log.append(entries('x/RequestReceived', 'x/ResponseComplete', 'y/ResponseComplete'));
      expect(redelivered).toMatchObject({ accepted: 1, duplicates: 2 });
      expect(redelivered.records.map((r) => [r.seq, r.id])).toEqual([[3, 'y/ResponseComplete']]);
      expect(log.stats()).toMatchObject({ accepted: 3, duplicates: 3, pendingEntries: 3 });
    });

    it('resolves only after the store batch has resolved, and shares one batch among concurrent appends', async () => {
      const store = new GatedStore();
      const log = await IntakeLog.open(store);
      store.hold();
      let settled = 0;
      const appends = [log.append(entries('a')), log.append(entries('b')), log.append(entries('a'))].map((p) =>
        p.then((r) => (settled++, r)),
      );
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(settled).toBe(0);
      expect(store.batches).toBe(1);
      store.release();
      const results = await Promise.all(appends);
      expect(results.map((r) => [r.accepted, r.duplicates])).toEqual([
        [1, 0],
        [1, 0],
        [0, 1],
      ]);
      expect(store.batches).toBe(1);
    });

    it('stores nothing of an append whose store write fails, and accepts the same entries on retry', async () => {
      const store = new GatedStore();
      const log = await IntakeLog.open(store);
      store.failNext(new Error('disk full'));
      await expect(log.append(entries('a', 'b'))).rejects.toThrow('disk full');
      expect(await collect(store.inner)).toEqual([]);
      expect(await log.append(entries('a', 'b'))).toMatchObject({ accepted: 2, duplicates: 0 });
      expect(await all(log.pending())).toEqual([
        [1, 'a'],
        [2, 'b'],
      ]);
    });

    it('refuses an append past maxBytes with IntakeLogFullError, storing nothing, until a commit frees room', async () => {
      const log = await IntakeLog.open(new MemoryStore(), { maxBytes: 400 });
      await log.append([{ id: 'big', body: 'x'.repeat(250) }]);
      const refused = log.append([{ id: 'next', body: 'y'.repeat(250) }]);
      await expect(refused).rejects.toBeInstanceOf(IntakeLogFullError);
      await expect(refused).rejects.toThrow(/intake log full/);
      expect(await all(log.pending())).toEqual([[1, 'big']]);
      expect(log.stats().rejectedFull).toBe(1);
      await log.commit(1);
      expect(await log.append([{ id: 'next', body: 'y'.repeat(250) }])).toMatchObject({ accepted: 1 });
    });

    it('rejects an entry without an id alone, with TypeError', async () => {
      const log = await IntakeLog.open(new MemoryStore());
      await expect(log.append([{ id: '', body: '{}' }])).rejects.toBeInstanceOf(TypeError);
      await expect(log.append([{ id: 'bad\ud800', body: '{}' }])).rejects.toBeInstanceOf(TypeError);
      expect(await log.append(entries('ok'))).toMatchObject({ accepted: 1 });
    });

    it('rejects with StoreClosedError after close()', async () => {
      const log = await IntakeLog.open(new MemoryStore());
      await log.close();
      await expect(log.append(entries('a'))).rejects.toBeInstanceOf(StoreClosedError);
      await expect(log.close()).resolves.toBeUndefined();
    });
  });

  describe('dedupe window', () => {
    it('forgets an id once it is older than dedupeWindowMs', async () => {
      let now = 1_000;
      const log = await IntakeLog.open(new MemoryStore(), { dedupeWindowMs: 60_000, nowMs: () => now });
      await log.append(entries('a'));
      now += 59_999;
      expect(await log.append(entries('a'))).toMatchObject({ accepted: 0, duplicates: 1 });
      now += 1;
      expect(await log.append(entries('a'))).toMatchObject({ accepted: 1, duplicates: 0 });
      expect(log.stats().dedupeEntries).toBe(1);
    });

    it('retains at most dedupeMaxEntries ids, forgetting the oldest first', async () => {
      const store = new MemoryStore();
      const log = await IntakeLog.open(store, { dedupeMaxEntries: 3 });
      await log.append(entries('a', 'b', 'c'));
      await log.append(entries('d'));
      expect(log.stats().dedupeEntries).toBe(3);
      expect(await log.append(entries('b', 'c', 'd'))).toMatchObject({ duplicates: 3 });
      expect(await log.append(entries('a'))).toMatchObject({ accepted: 1 });
      const dedupeKeys = (await collect(store)).filter(([key]) => key.startsWith('d/'));
      expect(dedupeKeys).toHaveLength(3);
    });

    it('survives a restart (LevelDB)', async () => {
      const first = await levelLog();
      await first.log.append(entries('a/ResponseComplete'));
      await first.close();
      const second = await levelLog({}, first.dir);
      expect(await second.log.append(entries('a/ResponseComplete', 'b/ResponseComplete'))).toMatchObject({
        accepted: 1,
        duplicates: 1,
      });
      await second.close();
    });
  });

  describe('commit', () => {
    it('removes committed entries from pending() and from the store', async () => {
      const store = new MemoryStore();
      const log = await IntakeLog.open(store);
      await log.append(entries('a', 'b', 'c'));
      await log.commit(2);
      expect(await all(log.pending())).toEqual([[3, 'c']]);
      expect(await all(log.readFrom(0))).toEqual([[3, 'c']]);
      expect((await collect(store)).filter(([key]) => key.startsWith('e/'))).toHaveLength(1);
      expect(log.stats()).toMatchObject({ committedSeq: 2, pendingEntries: 1 });
      await log.commit(1);
      expect(log.committedSeq).toBe(2);
    });

    it('refuses a sequence beyond the last durable one with RangeError', async () => {
      const log = await IntakeLog.open(new MemoryStore());
      await log.append(entries('a'));
      await expect(log.commit(2)).rejects.toBeInstanceOf(RangeError);
    });

    it('keeps checkpoint, pending entries, byte usage and the sequence across restarts (LevelDB)', async () => {
      const first = await levelLog();
      await first.log.append(entries('a', 'b', 'c'));
      await first.log.commit(1);
      const bytes = first.log.stats().pendingBytes;
      await first.close();

      const second = await levelLog({}, first.dir);
      expect(await all(second.log.pending())).toEqual([
        [2, 'b'],
        [3, 'c'],
      ]);
      expect(second.log.stats()).toMatchObject({ committedSeq: 1, lastSeq: 3, pendingEntries: 2, pendingBytes: bytes });
      await second.log.commit(3);
      await second.close();

      const third = await levelLog({}, first.dir);
      expect(await all(third.log.pending())).toEqual([]);
      const appended = await third.log.append(entries('d'));
      expect(appended.records[0]?.seq).toBe(4);
      await third.close();
    });
  });
});
