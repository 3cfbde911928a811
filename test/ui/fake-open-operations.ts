import { ATTR } from '../../src/model/attributes.js';
import type { SpanData } from '../../src/model/span.js';
import type { OpenOperation, OpenOperationsSource } from '../../src/ui/open-operations.js';

/**
 * An OpenOperationsSource over fixed spans, as the live service would answer: each span listed as
 * open is drawn to `nowMs` with `kubestitch.open = true`; each root among them is an open operation.
 */
export class FakeOpenOperations implements OpenOperationsSource {
  #open: readonly SpanData[];
  readonly #waitingOn: ReadonlyMap<string, string>;

  /** `waitingOn` by root span id. */
  constructor(open: readonly SpanData[], waitingOn: ReadonlyMap<string, string> = new Map()) {
    this.#open = open;
    this.#waitingOn = waitingOn;
  }

  /** What is open from now on (an operation ends: its spans leave). */
  setOpen(open: readonly SpanData[]): void {
    this.#open = open;
  }

  list(nowMs: number): readonly OpenOperation[] {
    return this.#open
      .filter((s) => s.parentSpanId === undefined)
      .sort((a, b) => a.startMs - b.startMs)
      .map((s) => ({
        traceID: s.traceId,
        spanID: s.spanId,
        operation: s.name,
        kind: String(s.attributes[ATTR.objectKind] ?? ''),
        namespace: String(s.attributes[ATTR.namespaceName] ?? ''),
        name: String(s.attributes[ATTR.objectName] ?? ''),
        startTime: Math.floor(s.startMs * 1000),
        elapsedMs: nowMs - s.startMs,
        waitingOn: this.#waitingOn.get(s.spanId) ?? '',
      }));
  }

  openSpans(traceId: string, nowMs: number): readonly SpanData[] {
    return this.#open
      .filter((s) => s.traceId === traceId)
      .map((s) => ({
        ...s,
        endMs: nowMs,
        status: { code: 'unset' },
        attributes: { ...s.attributes, [ATTR.open]: true },
      }));
  }
}
