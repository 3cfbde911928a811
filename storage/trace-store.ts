/**
 * The embedded trace store: kubestitch's own small trace backend on a `KvStore` (LevelDB in
 * production, `MemoryStore` in tests), so a user without Jaeger or Tempo still gets traces, a
 * Jaeger-compatible query API and the viewer. Key layout: see trace-store-keys.ts.
 */
import type { SpanData } from '../src/model/span.js';
import { StoreClosedError } from './errors.js';
import type { KvStore } from './kv-store.js';
import { openLevelStore } from './level-store.js';
import { KEY, spanKey } from './trace-store-keys.js';
import type { ObjectMatch, ObjectSearchOptions } from './trace-store-objects.js';
import { searchObjects } from './trace-store-objects.js';
import type { TraceQuery, TraceSearchResult } from './trace-store-query.js';
import {
  dependencyLinks,
  distinctComponents,
  findTraceIds,
  listSummaries,
  readSummary,
  readTrace,
} from './trace-store-query.js';
import { invalidSpanReason } from './trace-store-record.js';
import type { TraceSummary } from './trace-store-summary.js';
import type { StoredTotals } from './trace-store-write.js';
import { planDelete, planWrite } from './trace-store-write.js';

export type { ObjectMatch, ObjectSearchOptions, StoredObject } from './trace-store-objects.js';
export type { TraceQuery, TraceSearchResult } from './trace-store-query.js';
export type { TraceRootInfo, TraceSummary } from './trace-store-summary.js';

/** The `namespace()` of the data-dir store the trace store lives in (shared with `run`). */
export const TRACE_STORE_NAMESPACE = 'trace-store';
/**
 * The data directory's schema version: `kubestitch run`, `serve` and `replay --data-dir` open it
 * with this one. Bump it (with a migration or an ADR) whenever a stored layout changes.
 * 2: the audit intake log became the journal of every source, retained for restarts.
 */
export const DATA_DIR_SCHEMA_VERSION = 2;

/** The slice of a pino logger the store uses. */
export interface TraceStoreLogger {
  info(context: object, message: string): void;
  warn(context: object, message: string): void;
}

export interface TraceStoreOptions {
  /** Traces not written to for this long are deleted, oldest first. Default 72 h; `Infinity` keeps all. */
  readonly retentionMs?: number;
  /** Above this many stored bytes the least recently written traces are deleted. Default 2 GiB. */
  readonly maxBytes?: number;
  /** How often age retention runs without writes. Default 60 s. */
  readonly retentionIntervalMs?: number;
  /** Most spans waiting for a write pass; beyond it `write` rejects with `TraceStoreFullError`. Default 100,000. */
  readonly maxQueuedSpans?: number;
  readonly nowMs?: () => number;
  readonly logger?: TraceStoreLogger;
}

/** Counters for /metrics and the CLI. */
export interface TraceStoreStats extends StoredTotals {
  readonly spansWritten: number;
  readonly duplicateSpans: number;
  readonly rejectedSpans: number;
  readonly writePasses: number;
  readonly tracesExpired: number;
  readonly tracesEvicted: number;
  readonly queuedSpans: number;
}

/** What a `write` did with its spans. */
export interface TraceWriteResult {
  /** Spans stored (new, or replacing a different version of the same span id). */
  readonly stored: number;
  /** Spans already stored byte for byte (a re-export): nothing written. */
  readonly duplicates: number;
  /** Spans that could not be stored, with why (also counted in `rejectedSpans`). */
  readonly rejected: readonly { readonly spanId: string; readonly reason: string }[];
}

/** The write was refused because `maxQueuedSpans` spans are already waiting; nothing was queued. */
export class TraceStoreFullError extends Error {
  override readonly name = 'TraceStoreFullError';

  constructor(max: number) {
    super(`trace store: write queue full (${max} spans waiting); retry later`);
  }
}

interface Job {
  readonly spans: readonly SpanData[];
  readonly resolve: (r: TraceWriteResult) => void;
  readonly reject: (e: unknown) => void;
}

const DEFAULT_RETENTION_MS = 72 * 3600_000;
const DEFAULT_MAX_BYTES = 2 * 1024 ** 3;
// Bounds one retention run so a huge backlog never stalls writes for long; the next pass goes on.
const MAX_DELETES_PER_RUN = 200;

/**
 * Spans grouped by trace with indexes by service, operation, object, time, duration and tags;
 * summaries kept current as spans arrive in any order; retention by age and size running after
 * each write pass and on a timer. One owner per store view (not safe for two instances).
 *
 * Writes are group-committed: `write` calls issued while a pass runs share the next atomic batch.
 */
export class TraceStore {
  readonly #kv: KvStore;
  readonly #onClose: (() => Promise<void>) | undefined;
  readonly #retentionMs: number;
  readonly #maxBytes: number;
  readonly #maxQueued: number;
  readonly #nowMs: () => number;
  readonly #logger: TraceStoreLogger | undefined;
  readonly #timer: NodeJS.Timeout;
  #queue: Job[] = [];
  #queued = 0;
  #loop: Promise<void> | undefined;
  #maintenanceDue = false;
  #closing: Promise<void> | undefined;
  #totals: StoredTotals = { bytes: 0, traces: 0, spans: 0 };
  #counts = {
    spansWritten: 0,
    duplicateSpans: 0,
    rejectedSpans: 0,
    writePasses: 0,
    tracesExpired: 0,
    tracesEvicted: 0,
  };

  private constructor(kv: KvStore, options: TraceStoreOptions, onClose?: () => Promise<void>) {
    this.#kv = kv;
    this.#onClose = onClose;
    this.#retentionMs = positive('retentionMs', options.retentionMs ?? DEFAULT_RETENTION_MS);
    this.#maxBytes = positive('maxBytes', options.maxBytes ?? DEFAULT_MAX_BYTES);
    this.#maxQueued = positive('maxQueuedSpans', options.maxQueuedSpans ?? 100_000);
    this.#nowMs = options.nowMs ?? Date.now;
    this.#logger = options.logger;
    const every = positive('retentionIntervalMs', options.retentionIntervalMs ?? 60_000);
    this.#timer = setInterval(() => this.runRetention(), Math.min(every, 2 ** 31 - 1)).unref();
  }

  /**
   * Opens the store on `kv` (give it its own namespace, e.g. `store.namespace(TRACE_STORE_NAMESPACE)`).
   * `onClose` runs after `close()` drained the writes (e.g. closing a LevelDB the store owns).
   * Rejects with `TypeError` for bad options or the store's read error.
   */
  static async open(kv: KvStore, options: TraceStoreOptions = {}, onClose?: () => Promise<void>): Promise<TraceStore> {
    const store = new TraceStore(kv, options, onClose);
    try {
      const stored = await kv.get(KEY.stats);
      if (typeof stored === 'string') store.#totals = JSON.parse(stored) as StoredTotals;
    } catch (error: unknown) {
      clearInterval(store.#timer);
      throw error;
    }
    return store;
  }

  /**
   * Stores spans. Resolves after the batch holding them is written (durable when the store
   * fsyncs). Invalid spans are skipped and reported in the result, never thrown. Rejects — with
   * nothing of this call written — with `TraceStoreFullError` when the queue is full,
   * `StoreClosedError` after `close()`, or the store's read/write error (every call sharing that
   * pass rejects with it).
   */
  write(spans: readonly SpanData[]): Promise<TraceWriteResult> {
    if (this.#closing !== undefined) return Promise.reject(new StoreClosedError('trace store'));
    if (this.#queued + spans.length > this.#maxQueued && this.#queued > 0) {
      return Promise.reject(new TraceStoreFullError(this.#maxQueued));
    }
    return new Promise((resolve, reject) => {
      this.#queue.push({ spans, resolve, reject });
      this.#queued += spans.length;
      this.#kick();
    });
  }

  /** Resolves once every write issued so far has settled. Never rejects. */
  async flush(): Promise<void> {
    while (this.#loop !== undefined) await this.#loop;
  }

  /**
   * Runs age and size retention now (it also runs after writes and on the timer). Never rejects:
   * a failure is logged and retried on the next run.
   */
  runRetention(): Promise<void> {
    if (this.#closing !== undefined) return Promise.resolve();
    this.#maintenanceDue = true;
    this.#kick();
    return this.flush();
  }

  /** Stops accepting writes, drains the queue, stops the timer, then runs `onClose`. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      clearInterval(this.#timer);
      await this.flush();
      await this.#onClose?.();
    })();
    return this.#closing;
  }

  stats(): TraceStoreStats {
    return { ...this.#totals, ...this.#counts, queuedSpans: this.#queued };
  }

  /** Every span of a trace by start time, or `undefined`. Rejects with the store's read error. */
  getTrace(traceId: string): Promise<SpanData[] | undefined> {
    return readTrace(this.#kv, traceId);
  }

  getSummary(traceId: string): Promise<TraceSummary | undefined> {
    return readSummary(this.#kv, traceId);
  }

  /** Traces matching a Jaeger-style search, newest first (see `findTraceIds`). */
  findTraces(query: TraceQuery): Promise<TraceSearchResult> {
    return findTraceIds(this.#kv, query);
  }

  /** Newest traces by start time, optionally within [startUs, endUs]. */
  listTraces(options: { limit: number; startUs?: number; endUs?: number }): Promise<TraceSummary[]> {
    return listSummaries(this.#kv, options);
  }

  /** Every service (`service.name` of a span's resource) with stored spans, sorted. */
  async services(): Promise<string[]> {
    return (await distinctComponents(this.#kv, KEY.byService)).map(([s]) => s);
  }

  /** Span names (with the span kind of their newest-keyed span) of one service, or of all. */
  async operations(service?: string): Promise<{ service: string; name: string; spanKind: string }[]> {
    const services = service === undefined ? await this.services() : [service];
    const out: { service: string; name: string; spanKind: string }[] = [];
    for (const svc of services) {
      const prefix = `${KEY.byOperation}${encodeURIComponent(svc)}/`;
      for (const [name, value] of await distinctComponents(this.#kv, prefix)) {
        out.push({ service: svc, name, spanKind: value.split(' ')[1] ?? 'internal' });
      }
    }
    return out;
  }

  searchObjects(q: string, options?: ObjectSearchOptions): Promise<ObjectMatch[]> {
    return searchObjects(this.#kv, q, options);
  }

  dependencies(endUs: number, lookbackUs: number): Promise<{ parent: string; child: string; callCount: number }[]> {
    return dependencyLinks(this.#kv, endUs, lookbackUs);
  }

  #kick(): void {
    if (this.#loop !== undefined) return;
    this.#loop = this.#run().finally(() => {
      this.#loop = undefined;
      if (this.#queue.length > 0 || this.#maintenanceDue) this.#kick();
    });
  }

  async #run(): Promise<void> {
    // One event-loop turn of company, so writes issued together share one batch.
    await new Promise((resolve) => setImmediate(resolve));
    while (this.#queue.length > 0) {
      const jobs = this.#queue;
      this.#queue = [];
      await this.#pass(jobs);
      this.#maintenanceDue = true;
    }
    if (this.#maintenanceDue) {
      this.#maintenanceDue = false;
      await this.#retention().catch((error: unknown) => {
        this.#logger?.warn({ err: error }, 'trace store retention failed; retrying on the next run');
      });
    }
  }

  async #pass(jobs: readonly Job[]): Promise<void> {
    const staged = new Map<string, SpanData>();
    const results = jobs.map((job) => {
      const rejected: { spanId: string; reason: string }[] = [];
      for (const span of job.spans) {
        const reason = invalidSpanReason(span);
        if (reason === undefined) staged.set(spanKey(span.traceId, span.spanId), span);
        else rejected.push({ spanId: String((span as { spanId?: unknown } | null)?.spanId ?? ''), reason });
      }
      this.#counts.rejectedSpans += rejected.length;
      return rejected;
    });
    const count = jobs.reduce((n, j) => n + j.spans.length, 0);
    try {
      const plan = await planWrite(this.#kv, staged, this.#totals, this.#nowMs());
      await this.#kv.batch(plan.ops);
      this.#totals = plan.totals;
      this.#counts.writePasses++;
      this.#counts.spansWritten += staged.size - plan.duplicateKeys.size;
      this.#counts.duplicateSpans += plan.duplicateKeys.size;
      jobs.forEach((job, i) => {
        const rejected = results[i] ?? [];
        const valid = job.spans.length - rejected.length;
        const duplicates = job.spans.filter((s) => plan.duplicateKeys.has(spanKey(s.traceId, s.spanId))).length;
        job.resolve({ stored: valid - duplicates, duplicates, rejected });
      });
    } catch (error: unknown) {
      for (const job of jobs) job.reject(error);
    } finally {
      this.#queued -= count;
    }
  }

  async #retention(): Promise<void> {
    const cutoff = Number.isFinite(this.#retentionMs) ? this.#nowMs() - this.#retentionMs : -Infinity;
    for (let i = 0; i < MAX_DELETES_PER_RUN; i++) {
      const oldest = await this.#oldest();
      if (oldest === undefined) return;
      const tooBig = this.#totals.bytes > this.#maxBytes;
      const tooOld = oldest.updatedMs < cutoff;
      if (!tooBig && !tooOld) return;
      const plan = await planDelete(this.#kv, oldest.traceId, oldest.key);
      const totals: StoredTotals = {
        bytes: Math.max(0, this.#totals.bytes - plan.bytes),
        traces: Math.max(0, this.#totals.traces - (plan.existed ? 1 : 0)),
        spans: Math.max(0, this.#totals.spans - plan.spans),
      };
      await this.#kv.batch([...plan.ops, { type: 'put', key: KEY.stats, value: JSON.stringify(totals) }]);
      this.#totals = totals;
      if (tooOld) this.#counts.tracesExpired++;
      else this.#counts.tracesEvicted++;
    }
  }

  async #oldest(): Promise<{ key: string; updatedMs: number; traceId: string } | undefined> {
    for await (const [key] of this.#kv.iterate({
      gte: KEY.traceByUpdate,
      lt: `${KEY.traceByUpdate}\uffff`,
      limit: 1,
    })) {
      const [updated = '', traceId = ''] = key.slice(KEY.traceByUpdate.length).split('/');
      return { key, updatedMs: Number(updated), traceId };
    }
    return undefined;
  }
}

function positive(name: string, value: number): number {
  if (!(value > 0)) throw new TypeError(`trace store: ${name} must be a positive number, got ${value}`);
  return value;
}

/**
 * Opens the trace store of a data directory on its own (for `serve` and `replay --data-dir`): the
 * directory's LevelDB, namespace `trace-store`; `close()` closes the LevelDB too. Rejects like
 * `openLevelStore` (`StoreLockedError` when `kubestitch run` has the directory open, …).
 */
export async function openTraceStore(dir: string, options: TraceStoreOptions = {}): Promise<TraceStore> {
  const level = await openLevelStore(dir, { schemaVersion: DATA_DIR_SCHEMA_VERSION });
  try {
    return await TraceStore.open(level.namespace(TRACE_STORE_NAMESPACE), options, () => level.close());
  } catch (error: unknown) {
    await level.close();
    throw error;
  }
}
