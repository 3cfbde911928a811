/** Errors thrown by the storage layer. Each names the directory involved and what to do next. */

/** The store (or the view) was closed; the call did nothing. */
export class StoreClosedError extends Error {
  override readonly name = 'StoreClosedError';

  constructor(what = 'store') {
    super(`storage: the ${what} is closed`);
  }
}

/**
 * The directory belongs to a different schema version (or holds data that is not a kubestitch
 * store). Nothing was read or written; the directory is left as it was.
 */
export class SchemaMismatchError extends Error {
  override readonly name = 'SchemaMismatchError';
  readonly dir: string;
  /** `undefined` when the directory holds data but no kubestitch schema record. */
  readonly storedVersion: number | undefined;
  readonly expectedVersion: number;

  constructor(dir: string, storedVersion: number | undefined, expectedVersion: number) {
    super(schemaMismatchMessage(dir, storedVersion, expectedVersion));
    this.dir = dir;
    this.storedVersion = storedVersion;
    this.expectedVersion = expectedVersion;
  }
}

function schemaMismatchMessage(dir: string, stored: number | undefined, expected: number): string {
  const fresh =
    `Point kubestitch at an empty directory, or stop it, move ${dir} aside (or delete it) and ` +
    'start again; graph state is rebuilt by relisting, but unexported spool entries and stored ' +
    'traces in the old directory are not carried over.';
  if (stored === undefined) {
    return (
      `storage: ${dir} holds LevelDB data without a kubestitch schema record (expected schema ` +
      `version ${expected}); refusing to touch it. ${fresh}`
    );
  }
  if (stored > expected) {
    return (
      `storage: ${dir} has schema version ${stored}, written by a newer kubestitch; this build ` +
      `understands schema version ${expected}. Run a kubestitch that understands version ` +
      `${stored}, or: ${fresh}`
    );
  }
  return (
    `storage: ${dir} has schema version ${stored}, but this kubestitch expects schema version ` +
    `${expected} and does not migrate older data. ${fresh}`
  );
}

/** Another process (or another store in this process) holds the directory's LevelDB LOCK. */
export class StoreLockedError extends Error {
  override readonly name = 'StoreLockedError';
  readonly dir: string;

  constructor(dir: string, options?: ErrorOptions) {
    super(
      `storage: ${dir} is locked by another kubestitch process (or already open in this one); ` +
        'stop the other instance or give this one its own directory. Each replica needs its own ' +
        'data directory.',
      options,
    );
    this.dir = dir;
  }
}

/**
 * The directory could not be opened for another reason (permissions, corruption, disk): see `cause`.
 */
export class StoreOpenError extends Error {
  override readonly name = 'StoreOpenError';
  readonly dir: string;

  constructor(dir: string, options?: ErrorOptions) {
    const detail = options?.cause instanceof Error ? `: ${causeText(options.cause)}` : '';
    super(`storage: cannot open ${dir}${detail}`, options);
    this.dir = dir;
  }
}

// Level wraps the useful LevelDB message in `cause`; surface it in the message operators see.
function causeText(error: Error): string {
  return error.cause instanceof Error ? `${error.message} (${error.cause.message})` : error.message;
}
