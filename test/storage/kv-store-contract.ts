import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { KvIterateOptions, KvStore, KvValue } from '../../storage/index.js';
import { StoreClosedError } from '../../storage/index.js';

/** Opens a fresh, empty store; `cleanup` runs after the test (the store may already be closed). */
export interface StoreFixture {
  readonly store: KvStore;
  cleanup(): Promise<void>;
}

export async function collect(store: KvStore, options?: KvIterateOptions): Promise<Array<readonly [string, KvValue]>> {
  const out: Array<readonly [string, KvValue]> = [];
  for await (const entry of store.iterate(options)) out.push(entry);
  return out;
}

async function keysOf(store: KvStore, options?: KvIterateOptions): Promise<string[]> {
  return (await collect(store, options)).map(([key]) => key);
}

async function putAll(store: KvStore, keys: readonly string[]): Promise<void> {
  await store.batch(keys.map((key) => ({ type: 'put', key, value: `v:${key}` })));
}

/** The behaviour every `KvStore` backend must share; run once per backend. */
export function describeKvStoreContract(name: string, open: () => Promise<StoreFixture>): void {
  describe(`${name} (KvStore contract)`, () => {
    let fixture: StoreFixture;
    let store: KvStore;

    beforeEach(async () => {
      fixture = await open();
      store = fixture.store;
    });

    afterEach(async () => {
      await store.close();
      await fixture.cleanup();
    });

    describe('get', () => {
      it('resolves undefined for a missing key', async () => {
        expect(await store.get('nope')).toBeUndefined();
      });

      it('returns strings as strings and bytes as plain Uint8Array copies', async () => {
        await store.batch([
          { type: 'put', key: 's', value: 'héllo \u{1F600}' },
          { type: 'put', key: 'b', value: new Uint8Array([0, 1, 255]) },
          { type: 'put', key: 'empty', value: '' },
        ]);
        expect(await store.get('s')).toBe('héllo \u{1F600}');
        expect(await store.get('empty')).toBe('');
        const bytes = await store.get('b');
        expect(bytes).toBeInstanceOf(Uint8Array);
        expect(Buffer.isBuffer(bytes)).toBe(false);
        expect(bytes).toEqual(new Uint8Array([0, 1, 255]));
        if (bytes instanceof Uint8Array) bytes[0] = 42;
        expect(await store.get('b')).toEqual(new Uint8Array([0, 1, 255]));
      });

      it('is not affected by mutating the array that was written', async () => {
        const written = new Uint8Array([1, 2, 3]);
        await store.batch([{ type: 'put', key: 'b', value: written }]);
        written[0] = 9;
        expect(await store.get('b')).toEqual(new Uint8Array([1, 2, 3]));
      });
    });

    describe('batch', () => {
      it('applies puts and dels in order, the later op on a key winning', async () => {
        await putAll(store, ['a', 'b']);
        await store.batch([
          { type: 'del', key: 'a' },
          { type: 'put', key: 'c', value: '1' },
          { type: 'put', key: 'c', value: '2' },
          { type: 'put', key: 'd', value: 'x' },
          { type: 'del', key: 'd' },
        ]);
        expect(await collect(store)).toEqual([
          ['b', 'v:b'],
          ['c', '2'],
        ]);
      });

      it('writes nothing when one op is malformed', async () => {
        await expect(
          store.batch([
            { type: 'put', key: 'good', value: 'x' },
            { type: 'put', key: 'bad', value: 'lone \uD800 surrogate' },
          ]),
        ).rejects.toThrow(TypeError);
        await expect(store.batch([{ type: 'put', key: '\uDC00', value: 'x' }])).rejects.toThrow(/lone surrogate/);
        expect(await collect(store)).toEqual([]);
      });

      it('resolves an empty batch', async () => {
        await expect(store.batch([])).resolves.toBeUndefined();
      });
    });

    describe('iterate', () => {
      beforeEach(async () => {
        await putAll(store, ['d', 'a', 'c', 'e', 'b']);
      });

      it('walks keys in order', async () => {
        expect(await collect(store, { limit: 2 })).toEqual([
          ['a', 'v:a'],
          ['b', 'v:b'],
        ]);
        expect(await keysOf(store)).toEqual(['a', 'b', 'c', 'd', 'e']);
      });

      it('orders keys by UTF-8 bytes, as LevelDB does', async () => {
        // JS `<` puts the surrogate pair of U+1F600 before U+E000; UTF-8 puts it after.
        await putAll(store, ['\u{1F600}', '\uE000', 'é', 'aa']);
        expect(await keysOf(store)).toEqual(['a', 'aa', 'b', 'c', 'd', 'e', 'é', '\uE000', '\u{1F600}']);
      });

      it('honours gte (inclusive) and lt (exclusive)', async () => {
        expect(await keysOf(store, { gte: 'b', lt: 'd' })).toEqual(['b', 'c']);
        expect(await keysOf(store, { gte: 'bb' })).toEqual(['c', 'd', 'e']);
        expect(await keysOf(store, { lt: 'b' })).toEqual(['a']);
        expect(await keysOf(store, { gte: 'd', lt: 'b' })).toEqual([]);
      });

      it('walks backwards with reverse, limit taking the highest keys', async () => {
        expect(await keysOf(store, { reverse: true })).toEqual(['e', 'd', 'c', 'b', 'a']);
        expect(await keysOf(store, { reverse: true, limit: 2, lt: 'e' })).toEqual(['d', 'c']);
        expect(await keysOf(store, { reverse: true, gte: 'c' })).toEqual(['e', 'd', 'c']);
      });

      it('stops at limit; limit 0 yields nothing', async () => {
        expect(await keysOf(store, { limit: 3 })).toEqual(['a', 'b', 'c']);
        expect(await keysOf(store, { limit: 0 })).toEqual([]);
        expect(await keysOf(store, { limit: 99 })).toHaveLength(5);
      });

      it('rejects a malformed limit', () => {
        expect(() => store.iterate({ limit: -1 })).toThrow(TypeError);
        expect(() => store.iterate({ limit: 1.5 })).toThrow(TypeError);
      });

      it('reads a snapshot: writes after the walk started are not seen', async () => {
        const seen: Array<readonly [string, KvValue]> = [];
        for await (const entry of store.iterate()) {
          if (entry[0] === 'a') {
            await store.batch([
              { type: 'put', key: 'c2', value: 'x' },
              { type: 'put', key: 'd', value: 'changed' },
              { type: 'del', key: 'e' },
            ]);
          }
          seen.push(entry);
        }
        expect(seen).toEqual(['a', 'b', 'c', 'd', 'e'].map((key) => [key, `v:${key}`]));
        expect(await collect(store, { gte: 'c' })).toEqual([
          ['c', 'v:c'],
          ['c2', 'x'],
          ['d', 'changed'],
        ]);
      });

      it('can be abandoned with break', async () => {
        for await (const [key] of store.iterate()) if (key === 'b') break;
        expect(await keysOf(store, { limit: 1 })).toEqual(['a']);
      });
    });

    describe('namespace', () => {
      it('keeps sibling, parent and child key spaces apart', async () => {
        const a = store.namespace('a');
        const ab = store.namespace('ab');
        const aChild = a.namespace('b');
        await store.batch([{ type: 'put', key: 'k', value: 'root' }]);
        await a.batch([
          { type: 'put', key: 'k', value: 'a' },
          { type: 'put', key: '\u0000b\u0001k', value: 'tricky' },
        ]);
        await ab.batch([{ type: 'put', key: 'k', value: 'ab' }]);
        await aChild.batch([{ type: 'put', key: 'k', value: 'a/b' }]);

        expect(await store.get('k')).toBe('root');
        expect(await a.get('k')).toBe('a');
        expect(await ab.get('k')).toBe('ab');
        expect(await aChild.get('k')).toBe('a/b');
        expect(await collect(store)).toEqual([['k', 'root']]);
        expect(await collect(a)).toEqual([
          ['\u0000b\u0001k', 'tricky'],
          ['k', 'a'],
        ]);
        expect(await collect(a, { reverse: true, limit: 1 })).toEqual([['k', 'a']]);
        expect(await collect(aChild)).toEqual([['k', 'a/b']]);
        expect(await collect(store.namespace('a').namespace('b'))).toEqual([['k', 'a/b']]);
      });

      it('deletes only within its own key space', async () => {
        const a = store.namespace('a');
        await store.batch([{ type: 'put', key: 'k', value: 'root' }]);
        await a.batch([{ type: 'put', key: 'k', value: 'a' }]);
        await a.batch([{ type: 'del', key: 'k' }]);
        expect(await a.get('k')).toBeUndefined();
        expect(await store.get('k')).toBe('root');
      });

      it('rejects empty names and names holding the separators', () => {
        expect(() => store.namespace('')).toThrow(TypeError);
        expect(() => store.namespace('a\u0000b')).toThrow(TypeError);
        expect(() => store.namespace('a\u0001')).toThrow(TypeError);
      });

      it('closing a view leaves the store and other views usable', async () => {
        const a = store.namespace('a');
        const b = store.namespace('b');
        await a.close();
        await expect(a.get('k')).rejects.toBeInstanceOf(StoreClosedError);
        await b.batch([{ type: 'put', key: 'k', value: 'b' }]);
        expect(await b.get('k')).toBe('b');
      });
    });

    describe('close', () => {
      it('is idempotent and makes later calls reject with StoreClosedError', async () => {
        const view = store.namespace('v');
        const first = store.close();
        expect(store.close()).toBe(first);
        await first;
        await expect(store.close()).resolves.toBeUndefined();
        await expect(store.get('k')).rejects.toBeInstanceOf(StoreClosedError);
        await expect(store.batch([{ type: 'put', key: 'k', value: 'x' }])).rejects.toBeInstanceOf(StoreClosedError);
        await expect(collect(store)).rejects.toBeInstanceOf(StoreClosedError);
        await expect(view.get('k')).rejects.toBeInstanceOf(StoreClosedError);
      });
    });
  });
}
