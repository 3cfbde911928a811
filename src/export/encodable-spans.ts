import type { Logger } from 'pino';
import type { SpanData } from '../model/span.js';
import { assertEncodable } from './otlp-common.js';

/**
 * Keeps one bad span from failing its batch: a span the OTLP encoders cannot express (a time
 * before 1970 or past the µs range, a malformed id) is dropped and counted here, and the rest of
 * the batch goes on. Without this one span stamped 1900 failed the whole write, which a spooling
 * `--out` retried forever (DESIGN §3.5: a bad record never fails a batch of good ones).
 */
export class UnencodableSpanFilter {
  readonly #logger: Pick<Logger, 'warn'> | undefined;
  #dropped = 0;

  constructor(logger?: Pick<Logger, 'warn'>) {
    this.#logger = logger;
  }

  /** Spans dropped as unencodable since construction. */
  get dropped(): number {
    return this.#dropped;
  }

  /** The encodable spans of `spans` (the same array when all are). Never throws. */
  keep(spans: readonly SpanData[]): readonly SpanData[] {
    let kept: SpanData[] | undefined;
    for (const [index, span] of spans.entries()) {
      const problem = encodingProblem(span);
      if (problem === undefined) {
        kept?.push(span);
        continue;
      }
      kept ??= spans.slice(0, index);
      this.#dropped++;
      this.#logger?.warn({ spanId: span.spanId, reason: problem }, 'dropped a span that cannot be encoded');
    }
    return kept ?? spans;
  }
}

function encodingProblem(span: SpanData): string | undefined {
  try {
    assertEncodable(span);
    return undefined;
  } catch (error: unknown) {
    return error instanceof Error ? error.message : String(error);
  }
}
