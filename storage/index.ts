/**
 * The persistence layer: the only code in kubestitch that touches LevelDB. Everything else sees
 * `KvStore` (usually a `namespace()` of the one store opened in main).
 */
export type { KvIterateOptions, KvOp, KvStore, KvValue } from './kv-store.js';
export type { LevelStoreOptions, StorageLogger } from './level-store.js';
export { openLevelStore } from './level-store.js';
export { MemoryStore } from './memory-store.js';
export { SchemaMismatchError, StoreClosedError, StoreLockedError, StoreOpenError } from './errors.js';
export { IntakeLog, IntakeLogFullError } from './intake-log.js';
export type { AppendResult, IntakeEntry, IntakeLogOptions, IntakeLogStats, IntakeRecord } from './intake-log.js';
export {
  DATA_DIR_SCHEMA_VERSION,
  TRACE_STORE_NAMESPACE,
  TraceStore,
  TraceStoreFullError,
  openTraceStore,
} from './trace-store.js';
export {
  ExportSpool,
  ExportSpoolFullError,
  type ExportSpoolOptions,
  type ExportSpoolStats,
  type SpoolAppendResult,
  type SpoolDropReason,
  type SpoolLogger,
  type SpoolOverflowPolicy,
  type SpooledBatch,
} from './export-spool.js';
