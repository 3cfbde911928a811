import type { TraceStore } from '../../storage/index.js';
import { StoreClosedError } from '../../storage/index.js';
import type { SpanData } from '../model/span.js';
import type { ExportResult, SpanSink } from './sink.js';

export interface TraceStoreSinkOptions {
  /** Close the store on `shutdown()` (the sink owns it). Default false: the caller closes it. */
  readonly closeStore?: boolean;
  /** Told about spans the store refused as malformed (counted by the store as well). */
  readonly onRejected?: (rejected: readonly { readonly spanId: string; readonly reason: string }[]) => void;
}

// How long a caller waits before retrying a full queue or a failed disk write.
const RETRY_AFTER_MS = 1_000;

/**
 * The embedded trace store as an export sink (DESIGN §5): the default output when neither
 * `--otlp-endpoint` nor `--out` is given. `write` resolves once the spans are stored; it never
 * rejects: a full write queue or a store write error is `retryable` (re-exporting is safe, the
 * store keeps each span id once), a closed store is `failed`. Malformed spans are skipped and
 * reported through `onRejected`, not failed.
 */
export class TraceStoreSink implements SpanSink {
  readonly #store: TraceStore;
  readonly #options: TraceStoreSinkOptions;
  #shutdown: Promise<void> | undefined;

  constructor(store: TraceStore, options: TraceStoreSinkOptions = {}) {
    this.#store = store;
    this.#options = options;
  }

  async write(spans: readonly SpanData[]): Promise<ExportResult> {
    if (spans.length === 0) return { status: 'ok' };
    try {
      const result = await this.#store.write(spans);
      if (result.rejected.length > 0) this.#options.onRejected?.(result.rejected);
      return { status: 'ok' };
    } catch (error: unknown) {
      const err = error instanceof Error ? error : new Error(String(error));
      if (err instanceof StoreClosedError) return { status: 'failed', error: err };
      // A full queue (TraceStoreFullError) or a write error: the spans were not stored; retry.
      return { status: 'retryable', afterMs: RETRY_AFTER_MS, error: err };
    }
  }

  /** Resolves when every write so far has been stored or failed. Never rejects. */
  flush(): Promise<void> {
    return this.#store.flush();
  }

  /** Flushes; closes the store when `closeStore` is set. Idempotent; rejects only if closing fails. */
  shutdown(): Promise<void> {
    this.#shutdown ??= (async () => {
      await this.#store.flush();
      if (this.#options.closeStore === true) await this.#store.close();
    })();
    return this.#shutdown;
  }
}
