import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Level } from 'level';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { KvStore, StorageLogger } from '../../storage/index.js';
import { SchemaMismatchError, StoreClosedError, StoreLockedError, openLevelStore } from '../../storage/index.js';
import { collect, describeKvStoreContract } from './kv-store-contract.js';

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'kubestitch-storage-'));
}

describeKvStoreContract('LevelDB store', async () => {
  const dir = await tempDir();
  return {
    store: await openLevelStore(dir, { schemaVersion: 1 }),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
});

// Runs a plain-Node child that opens `dir` with `level` directly, as another process would.
const CHILD = `
import { Level } from 'level';
const db = new Level(process.argv[1]);
try { await db.open(); } catch (e) { console.log('failed:' + e.cause?.code); process.exit(0); }
console.log('opened');
process.stdin.resume();
process.stdin.on('end', async () => { await db.close(); process.exit(0); });
`;

function startChild(dir: string): { firstLine: Promise<string>; stop(): Promise<void> } {
  const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD, dir], {
    cwd: process.cwd(),
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = once(child, 'exit');
  const firstLine = new Promise<string>((resolve, reject) => {
    let text = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      text += chunk;
      if (text.includes('\n')) resolve(text.trim());
    });
    child.on('exit', () => reject(new Error(`child exited without a line (got ${JSON.stringify(text)})`)));
  });
  return {
    firstLine,
    stop: async () => {
      child.stdin.end();
      await exited;
    },
  };
}

function captureLogger(): {
  logger: StorageLogger;
  lines: Array<{ context: object; message: string }>;
} {
  const lines: Array<{ context: object; message: string }> = [];
  return { logger: { info: (context, message) => lines.push({ context, message }) }, lines };
}

describe('openLevelStore', () => {
  let dir: string;
  const open: KvStore[] = [];

  beforeEach(async () => {
    dir = await tempDir();
  });

  afterEach(async () => {
    await Promise.all(open.splice(0).map((store) => store.close()));
    await rm(dir, { recursive: true, force: true });
  });

  async function openStore(schemaVersion = 1, logger?: StorageLogger): Promise<KvStore> {
    const store = await openLevelStore(dir, logger ? { schemaVersion, logger } : { schemaVersion });
    open.push(store);
    return store;
  }

  describe('reopen', () => {
    it('keeps data, value types and namespaces across close and open', async () => {
      const first = await openStore();
      await first.batch([
        { type: 'put', key: 'k', value: 'text' },
        { type: 'put', key: 'bytes', value: new Uint8Array([7, 0, 7]) },
      ]);
      await first.namespace('ns').batch([{ type: 'put', key: 'k', value: 'in ns' }]);
      await first.close();

      const second = await openStore();
      expect(await collect(second)).toEqual([
        ['bytes', new Uint8Array([7, 0, 7])],
        ['k', 'text'],
      ]);
      expect(await second.namespace('ns').get('k')).toBe('in ns');
    });

    it('lets an in-flight batch finish before closing', async () => {
      const first = await openStore();
      const write = first.batch([{ type: 'put', key: 'late', value: 'x' }]);
      const closed = first.close();
      await expect(write).resolves.toBeUndefined();
      await closed;
      expect(await (await openStore()).get('late')).toBe('x');
    });

    it('logs whether the store was created', async () => {
      const { logger, lines } = captureLogger();
      await (await openStore(1, logger)).close();
      await openStore(1, logger);
      const opened = lines.filter((line) => line.message === 'storage opened');
      expect(opened.map((line) => line.context)).toMatchObject([{ created: true }, { created: false }]);
    });

    it('accepts a pino logger', async () => {
      const logger: StorageLogger = pino({ enabled: false }).child({ mod: 'storage' });
      await expect(openStore(1, logger)).resolves.toBeDefined();
    });
  });

  describe('schema version', () => {
    it('refuses an older stored version, naming both versions, the directory and the way out', async () => {
      await (await openStore(1)).close();
      const error = await openStore(2).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SchemaMismatchError);
      expect(error).toMatchObject({ storedVersion: 1, expectedVersion: 2 });
      const message = error instanceof Error ? error.message : '';
      expect(message).toContain(dir);
      expect(message).toMatch(/schema version 1\b.*expects schema version 2\b/);
      expect(message).toMatch(/empty directory|move .* aside/);
    });

    it('refuses a newer stored version and says it came from a newer kubestitch', async () => {
      await (await openStore(3)).close();
      await expect(openStore(2)).rejects.toThrow(/schema version 3, written by a newer kubestitch/);
    });

    it('leaves the directory unchanged and unlocked after refusing it', async () => {
      const first = await openStore(1);
      await first.batch([{ type: 'put', key: 'k', value: 'v' }]);
      await first.close();
      await expect(openStore(2)).rejects.toBeInstanceOf(SchemaMismatchError);
      expect(await (await openStore(1)).get('k')).toBe('v');
    });

    it('refuses a LevelDB directory that is not a kubestitch store', async () => {
      const foreign = new Level(dir);
      await foreign.put('someone', 'else');
      await foreign.close();
      const error = await openStore(1).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SchemaMismatchError);
      expect(error).toMatchObject({ storedVersion: undefined });
      expect(String(error)).toContain('without a kubestitch schema record');
    });

    it('rejects a schema version that is not a positive integer', async () => {
      await expect(openStore(0)).rejects.toThrow(TypeError);
      await expect(openStore(1.5)).rejects.toThrow(TypeError);
    });
  });

  describe('lock', () => {
    it('fails at once with StoreLockedError while another process holds the directory', async () => {
      const holder = startChild(dir);
      try {
        expect(await holder.firstLine).toBe('opened');
        const error = await openStore().catch((e: unknown) => e);
        expect(error).toBeInstanceOf(StoreLockedError);
        expect(String(error)).toContain(dir);
      } finally {
        await holder.stop();
      }
      await expect(openStore()).resolves.toBeDefined();
    });

    it('refuses a second open in this process and keeps other processes out meanwhile', async () => {
      const first = await openStore();
      await expect(openStore()).rejects.toBeInstanceOf(StoreLockedError);
      // A failed second LevelDB open in-process would drop the fcntl lock; check it is still held.
      const intruder = startChild(dir);
      expect(await intruder.firstLine).toBe('failed:LEVEL_LOCKED');
      await intruder.stop();
      await first.close();
      await expect(openStore()).resolves.toBeDefined();
    });
  });

  describe('failure semantics', () => {
    it('rejects writes and reads after close instead of losing them silently', async () => {
      const store = await openStore();
      await store.close();
      await expect(store.batch([{ type: 'put', key: 'k', value: 'v' }])).rejects.toBeInstanceOf(StoreClosedError);
      await expect(store.get('k')).rejects.toBeInstanceOf(StoreClosedError);
    });

    it('ends an iteration with StoreClosedError when the store closes under it', async () => {
      const store = await openStore();
      await store.batch(
        Array.from({ length: 600 }, (_, i) => ({
          type: 'put' as const,
          key: `k${String(i).padStart(4, '0')}`,
          value: 'v',
        })),
      );
      const walk = (async () => {
        let count = 0;
        for await (const _entry of store.iterate()) if (++count === 1) await store.close();
        return count;
      })();
      await expect(walk).rejects.toBeInstanceOf(StoreClosedError);
    });
  });
});
