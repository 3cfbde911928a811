import { mkdir, open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import type { SpanData } from '../model/span.js';
import { UnencodableSpanFilter } from './encodable-spans.js';
import { encodeOtlpJsonBytes } from './otlp-json.js';
import type { ExportResult, SpanSink } from './sink.js';

const NEWLINE = Buffer.from('\n');

/** Options for OtlpJsonFileSink. */
export interface OtlpJsonFileSinkOptions {
  /** File to append to (e.g. `spans.jsonl`); parent directories are created on first write. */
  readonly path: string;
  /** kubestitch's version, written as the instrumentation scope version. */
  readonly scopeVersion?: string;
  /** Receives problems that have no caller to return them to (closing the file). */
  readonly logger?: Logger;
}

/**
 * OTLP/JSON lines file (`--out spans.jsonl`) in the Collector file-exporter format: one
 * ExportTraceServiceRequest per line, one line per non-empty write().
 *
 * Writes are appended strictly in call order, even when called concurrently. The file is opened
 * lazily in append mode and closed by flush(), so an external rotation (mv) takes effect at the
 * next write; a failed open is retried by the next write.
 */
export class OtlpJsonFileSink implements SpanSink {
  readonly #path: string;
  readonly #scopeVersion: string | undefined;
  readonly #logger: Logger | undefined;
  #file: FileHandle | undefined;
  /** Set after a failed append, which may have left a partial line behind. */
  #lineBroken = false;
  /** Tail of the serial chain of appends and closes; never rejects. */
  #tail: Promise<unknown> = Promise.resolve();
  #shutdown: Promise<void> | undefined;
  /** Drops the unencodable spans of a batch so the rest is written (and `--out` never stalls). */
  readonly unencodable: UnencodableSpanFilter;

  constructor(options: OtlpJsonFileSinkOptions) {
    this.#path = options.path;
    this.#scopeVersion = options.scopeVersion;
    this.#logger = options.logger?.child({ mod: 'otlp-json-file-sink' });
    this.unencodable = new UnencodableSpanFilter(this.#logger);
  }

  /**
   * Appends the batch as one line. Resolves `ok` once the line is handed to the OS, `failed` if
   * the batch cannot be encoded or the file cannot be opened or written (or after shutdown).
   * Never rejects. An empty batch writes nothing and resolves `ok`.
   */
  write(batch: readonly SpanData[]): Promise<ExportResult> {
    if (this.#shutdown !== undefined) {
      return Promise.resolve(failed(new Error(`file sink ${this.#path} is shut down`)));
    }
    const spans = this.unencodable.keep(batch);
    if (spans.length === 0) return Promise.resolve({ status: 'ok' });
    let line: Buffer;
    try {
      // Encoded now, so the line reflects the batch as it was when handed over.
      line = encodeOtlpJsonBytes(spans, this.#options(), '\n');
    } catch (error: unknown) {
      return Promise.resolve(failed(error));
    }
    return this.#enqueue(() => this.#append(line));
  }

  /**
   * Resolves after every earlier write has been appended, then closes the file (the next write
   * reopens it). Never rejects; a failure to close is logged.
   */
  flush(): Promise<void> {
    return this.#enqueue(() => this.#close());
  }

  /** Flushes and refuses later writes. Idempotent; never rejects. */
  shutdown(): Promise<void> {
    this.#shutdown ??= this.flush();
    return this.#shutdown;
  }

  #options(): { scopeVersion?: string } {
    return this.#scopeVersion === undefined ? {} : { scopeVersion: this.#scopeVersion };
  }

  #enqueue<T>(step: () => Promise<T>): Promise<T> {
    const next = this.#tail.then(step);
    this.#tail = next.catch(() => undefined);
    return next;
  }

  async #append(line: Buffer): Promise<ExportResult> {
    try {
      const file = await this.#openFile();
      // A newline first isolates a fragment left by a failed append on its own (bad) line, so
      // readers lose that one batch rather than this one too.
      await file.appendFile(this.#lineBroken ? Buffer.concat([NEWLINE, line]) : line);
      this.#lineBroken = false;
      return { status: 'ok' };
    } catch (error: unknown) {
      this.#lineBroken ||= this.#file !== undefined;
      await this.#close();
      return failed(error, `cannot append to ${this.#path}`);
    }
  }

  async #openFile(): Promise<FileHandle> {
    if (this.#file === undefined) {
      await mkdir(dirname(this.#path), { recursive: true });
      this.#file = await open(this.#path, 'a');
    }
    return this.#file;
  }

  async #close(): Promise<void> {
    const file = this.#file;
    this.#file = undefined;
    if (file === undefined) return;
    try {
      await file.close();
    } catch (error: unknown) {
      this.#logger?.warn({ err: error, path: this.#path }, 'closing the span file failed');
    }
  }
}

function failed(error: unknown, context?: string): ExportResult {
  const cause = error instanceof Error ? error : new Error(String(error));
  return {
    status: 'failed',
    error: context === undefined ? cause : new Error(`${context}: ${cause.message}`, { cause }),
  };
}
