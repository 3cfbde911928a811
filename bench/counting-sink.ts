import { encodeOtlpJson } from '../src/export/otlp-json.js';
import type { ExportResult, SpanSink } from '../src/export/sink.js';
import type { SpanData } from '../src/model/span.js';

const OK: ExportResult = { status: 'ok' };

/**
 * A null exporter: encodes every batch as one OTLP/JSON line, as the file exporter would, and
 * only counts the bytes. `onWrite` (optional) sees each batch as it is handed over, before
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
    // +1: the newline a JSON-lines file would add.
    this.bytes += Buffer.byteLength(encodeOtlpJson(spans)) + 1;
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
