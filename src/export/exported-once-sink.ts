import type { KvOp, KvStore } from '../../storage/index.js';
import type { SpanData } from '../model/span.js';
import type { ExportResult, SpanSink } from './sink.js';

export interface ExportedOnceOptions {
  /** Span ids are remembered this long; default 3 h (longer than the journal's retention). */
  readonly ttlMs?: number;
  readonly nowMs?: () => number;
}

/** Counters for /metrics. */
export interface ExportedOnceStats {
  /** Spans not sent because the backend already has them (re-derived after a restart). */
  readonly skippedSpans: number;
}

const ID = 'i/';
const BY_TIME = 't/';
const SWEEP_EVERY_MS = 60_000;

/**
 * Sends each span id to the inner sink at most once across restarts: after a crash the live
 * pipeline re-derives the spans of entries it had not committed yet — deterministic ids, same
 * content — and this filter drops the ones the backend already acknowledged. Ids are persisted
 * after the inner sink answered `ok` (a crash in between re-sends that one batch: OTLP gives no
 * more than at-least-once there) and forgotten after `ttlMs`. A store failure fails open: the
 * batch is sent unfiltered (a duplicate span id is better than a lost span) and counted.
 */
export class ExportedOnceSink implements SpanSink {
  readonly #inner: SpanSink;
  readonly #store: KvStore;
  readonly #ttlMs: number;
  readonly #nowMs: () => number;
  #skipped = 0;
  #lastSweepMs = 0;

  constructor(inner: SpanSink, store: KvStore, options: ExportedOnceOptions = {}) {
    this.#inner = inner;
    this.#store = store;
    this.#ttlMs = options.ttlMs ?? 3 * 3_600_000;
    this.#nowMs = options.nowMs ?? Date.now;
  }

  get stats(): ExportedOnceStats {
    return { skippedSpans: this.#skipped };
  }

  async write(spans: readonly SpanData[]): Promise<ExportResult> {
    let fresh: readonly SpanData[] = spans;
    try {
      const seen = await Promise.all(spans.map((s) => this.#store.get(ID + key(s))));
      fresh = spans.filter((_, i) => seen[i] === undefined);
      this.#skipped += spans.length - fresh.length;
    } catch {
      fresh = spans;
    }
    if (fresh.length === 0) return { status: 'ok' };
    const result = await this.#inner.write(fresh);
    if (result.status !== 'ok') return result;
    const now = this.#nowMs();
    const ops: KvOp[] = [];
    for (const s of fresh) {
      ops.push({ type: 'put', key: ID + key(s), value: String(now) });
      ops.push({ type: 'put', key: `${BY_TIME}${String(now).padStart(15, '0')}/${key(s)}`, value: '' });
    }
    try {
      await this.#store.batch(ops);
      if (now - this.#lastSweepMs >= SWEEP_EVERY_MS) await this.#sweep(now);
    } catch {
      // Exported anyway; only a later re-derivation of these spans could send them again.
    }
    return result;
  }

  flush(): Promise<void> {
    return this.#inner.flush();
  }

  shutdown(): Promise<void> {
    return this.#inner.shutdown();
  }

  async #sweep(now: number): Promise<void> {
    this.#lastSweepMs = now;
    const ops: KvOp[] = [];
    const before = `${BY_TIME}${String(now - this.#ttlMs).padStart(15, '0')}`;
    for await (const [k] of this.#store.iterate({ gte: BY_TIME, lt: before, limit: 50_000 })) {
      ops.push({ type: 'del', key: k }, { type: 'del', key: ID + k.slice(k.indexOf('/', BY_TIME.length) + 1) });
    }
    if (ops.length === 0) return;
    await this.#store.batch(ops);
  }
}

// Trace and span id together: a stitched real span keeps its span id under a new trace id.
function key(s: SpanData): string {
  return `${s.traceId}${s.spanId}`;
}
