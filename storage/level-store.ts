import { mkdir, realpath } from 'node:fs/promises';
import { Level } from 'level';
import type { KvOp, KvStore, KvValue } from './kv-store.js';
import type { RawKv, RawRange } from './key-space.js';
import { KeySpaceView, META_PREFIX } from './key-space.js';
import { decodeValue, encodeValue } from './value-codec.js';
import { SchemaMismatchError, StoreClosedError, StoreLockedError, StoreOpenError } from './errors.js';

/** The slice of a pino logger the store uses (a `logger.child({ mod: 'storage' })` fits). */
export interface StorageLogger {
  info(context: object, message: string): void;
}

export interface LevelStoreOptions {
  /**
   * The on-disk format version this build writes. Recorded on first open; a directory with
   * another version is refused with `SchemaMismatchError`. A positive integer.
   */
  readonly schemaVersion: number;
  /**
   * fsync every batch before it resolves (default true), so a resolved batch survives power loss.
   * With false, a resolved batch survives a process crash but not an OS crash; use it only for
   * state that can be rebuilt. The intake log, export spool and trace store each amortise the fsync
   * by group commit: one batch per event-loop turn's worth of queued work.
   */
  readonly sync?: boolean;
  readonly logger?: StorageLogger;
}

const SCHEMA_KEY = `${META_PREFIX}schema-version`;
const ITERATOR_CHUNK = 256;

type Db = Level<string, Uint8Array>;

/*
 * Directories open in this process. LevelDB's LOCK is an fcntl lock, and POSIX drops a process's
 * fcntl locks when it closes *any* descriptor of the file — which LevelDB does when a second open
 * in the same process fails. That would silently let another process open the directory too, so a
 * second in-process open is refused here, before LevelDB sees it. Process-wide on purpose: the
 * lock it protects is process-wide.
 */
const openDirs = new Set<string>();

/**
 * Opens (creating if missing) a LevelDB store in `dir` and returns its root view.
 *
 * Failure semantics — every failure leaves nothing open and the directory unchanged:
 * - `StoreLockedError` at once (no waiting) when another process, or another store in this
 *   process, has the directory open;
 * - `SchemaMismatchError` when the directory records another schema version, or holds data without
 *   a kubestitch schema record;
 * - `StoreOpenError` (with `cause`) when the directory cannot be created or LevelDB cannot open it;
 * - `TypeError` for a schema version that is not a positive integer.
 *
 * Afterwards: a batch that resolves is on disk (fsynced unless `sync: false`); a batch that
 * rejects applied nothing. After a disk write error LevelDB may refuse every later write until the
 * store is reopened, so callers treat each rejection as "not durable" (the audit webhook answers
 * 5xx and the apiserver retries) rather than as a one-off.
 */
export async function openLevelStore(dir: string, options: LevelStoreOptions): Promise<KvStore> {
  const { schemaVersion, sync = true, logger } = options;
  if (!Number.isSafeInteger(schemaVersion) || schemaVersion < 1) {
    throw new TypeError(`storage: schemaVersion must be a positive integer, got ${schemaVersion}`);
  }
  const location = await resolveDir(dir);
  if (openDirs.has(location)) throw new StoreLockedError(location);
  openDirs.add(location);
  try {
    const db = await openDb(location);
    const created = await checkSchema(db, location, schemaVersion).catch(async (error: unknown) => {
      await db.close();
      throw error;
    });
    logger?.info({ dir: location, schemaVersion, created, sync }, 'storage opened');
    const release = (): void => {
      openDirs.delete(location);
      logger?.info({ dir: location }, 'storage closed');
    };
    return new KeySpaceView(new LevelBackend(db, sync, release), true);
  } catch (error: unknown) {
    openDirs.delete(location);
    throw error;
  }
}

async function resolveDir(dir: string): Promise<string> {
  try {
    await mkdir(dir, { recursive: true });
    // The real path, so two spellings of one directory hit the same in-process guard.
    return await realpath(dir);
  } catch (error: unknown) {
    throw new StoreOpenError(dir, { cause: error });
  }
}

async function openDb(location: string): Promise<Db> {
  const db: Db = new Level<string, Uint8Array>(location, {
    keyEncoding: 'utf8',
    valueEncoding: 'view',
  });
  try {
    await db.open({ createIfMissing: true });
    return db;
  } catch (error: unknown) {
    if (isLockedError(error)) throw new StoreLockedError(location, { cause: error });
    throw new StoreOpenError(location, { cause: error });
  }
}

/** Verifies or writes the schema record; resolves whether the store was created just now. */
async function checkSchema(db: Db, location: string, expected: number): Promise<boolean> {
  const stored = await db.get(SCHEMA_KEY);
  if (stored === undefined) {
    const anyKeys = await db.keys({ limit: 1 }).all();
    if (anyKeys.length > 0) throw new SchemaMismatchError(location, undefined, expected);
    await db.put(SCHEMA_KEY, encodeValue(String(expected)), { sync: true });
    return true;
  }
  const text = decodeValue(stored, SCHEMA_KEY);
  const version = typeof text === 'string' && /^\d+$/.test(text) ? Number(text) : undefined;
  if (version !== expected) throw new SchemaMismatchError(location, version, expected);
  return false;
}

// Level reports a held LOCK as LEVEL_DATABASE_NOT_OPEN with the LEVEL_LOCKED error as its cause.
function isLockedError(error: unknown): boolean {
  const cause = error instanceof Error ? error.cause : undefined;
  return typeof cause === 'object' && cause !== null && 'code' in cause && cause.code === 'LEVEL_LOCKED';
}

/** `RawKv` over one open LevelDB handle. Keys are UTF-8; values carry a type tag (value-codec). */
class LevelBackend implements RawKv {
  readonly #db: Db;
  readonly #sync: boolean;
  readonly #release: () => void;
  readonly #inFlight = new Set<Promise<unknown>>();
  #closing: Promise<void> | undefined;

  constructor(db: Db, sync: boolean, release: () => void) {
    this.#db = db;
    this.#sync = sync;
    this.#release = release;
  }

  async get(key: string): Promise<KvValue | undefined> {
    this.#assertOpen();
    const stored = await this.#track(this.#db.get(key));
    return stored === undefined ? undefined : decodeValue(stored, key);
  }

  async batch(ops: readonly KvOp[]): Promise<void> {
    this.#assertOpen();
    const levelOps = ops.map((op) =>
      op.type === 'put'
        ? { type: 'put' as const, key: op.key, value: encodeValue(op.value) }
        : { type: 'del' as const, key: op.key },
    );
    await this.#track(this.#db.batch(levelOps, { sync: this.#sync }));
  }

  iterate(range: RawRange): AsyncIterable<readonly [string, KvValue]> {
    return this.#walk(range);
  }

  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  async #shutdown(): Promise<void> {
    // Let accepted reads and writes finish so their callers get an answer, not a closed error.
    await Promise.allSettled([...this.#inFlight]);
    try {
      await this.#db.close();
    } finally {
      this.#release();
    }
  }

  async *#walk(range: RawRange): AsyncGenerator<readonly [string, KvValue]> {
    this.#assertOpen();
    const iterator = this.#db.iterator({
      gte: range.gte,
      lt: range.lt,
      reverse: range.reverse,
      limit: range.limit === Infinity ? -1 : range.limit,
    });
    try {
      for (;;) {
        const entries = await iterator.nextv(ITERATOR_CHUNK).catch((error: unknown) => {
          throw this.#closing === undefined ? error : new StoreClosedError();
        });
        if (entries.length === 0) return;
        for (const [key, value] of entries) yield [key, decodeValue(value, key)];
      }
    } finally {
      await iterator.close();
    }
  }

  #track<T>(operation: Promise<T>): Promise<T> {
    this.#inFlight.add(operation);
    const forget = (): void => {
      this.#inFlight.delete(operation);
    };
    operation.then(forget, forget);
    return operation;
  }

  #assertOpen(): void {
    if (this.#closing !== undefined) throw new StoreClosedError();
  }
}
