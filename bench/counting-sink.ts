import { encodeOtlpJsonBytes } from '../src/export/otlp-json.js';
import type { ExportResult, SpanSink } from '../src/export/sink.js';
import type { SpanData } from '../src/model/span.js';

const OK: ExportResult = { status: 'ok' };

/**
 * A null exporter: encodes every batch as one OTLP/JSON line into its bytes, as the file exporter
 * does, and only counts them. `onWrite` (optional) sees each batch as it is handed over, before
 * encoding — the latency benchmark stamps spans there. Never fails.
 */
export class CountingSink implements SpanSink {
  bytes = 0;
  spans = 0;
  batches = 0;
  readonly #onWrite: ((spans: readonly SpanData[]) => void) | undefined;

  constructor(onWrite?: (spans: readonly SpanData[]) => void) {
    this.#onWrite = onWrite;
  }

  write(spans: readonly SpanData[]): Promise<ExportResult> {
    this.#onWrite?.(spans);
    // The line's bytes, newline included, as the file exporter appends them: the bench pays for
    // the UTF-8 encoding a real exporter does, not only for a count.
    this.bytes += encodeOtlpJsonBytes(spans, {}, '\n').length;
    this.spans += spans.length;
    this.batches++;
    return Promise.resolve(OK);
  }

  flush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}
