import type { SpanData } from '../model/span.js';
import type { ExportResult, SpanSink } from '../export/sink.js';
import { formatDuration } from './waterfall-text.js';
import { fromSpanData, isOperation } from './trace-view.js';
import type { ViewSpan } from './trace-view.js';

/** Operations shown as the slowest. */
const SLOWEST = 5;

/**
 * What `kubestitch replay` without an output prints: operations by kind and outcome and the five
 * slowest. Keeps counts and those five, not the operations: a replay of 400,000 pods has more
 * than a million of them.
 */
export class OperationSummarySink implements SpanSink {
  /** Operation name → outcome → count, each in order of first appearance. */
  readonly #byKind = new Map<string, Map<string, number>>();
  /** The slowest so far, slowest first; of equal durations, the earlier first. */
  readonly #slowest: ViewSpan[] = [];
  #operations = 0;

  write(spans: readonly SpanData[]): Promise<ExportResult> {
    for (const s of spans) {
      const v = fromSpanData(s);
      if (isOperation(v)) this.#count(v);
    }
    return Promise.resolve({ status: 'ok' });
  }

  flush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }

  #count(o: ViewSpan): void {
    this.#operations++;
    const outcomes = this.#byKind.get(o.name) ?? new Map<string, number>();
    outcomes.set(o.outcome ?? '?', (outcomes.get(o.outcome ?? '?') ?? 0) + 1);
    this.#byKind.set(o.name, outcomes);
    const slowest = this.#slowest;
    let at = slowest.length;
    while (at > 0 && duration(slowest[at - 1]) < duration(o)) at--;
    if (at >= SLOWEST) return;
    slowest.splice(at, 0, o);
    slowest.length = Math.min(slowest.length, SLOWEST);
  }

  /** The summary as terminal text; `clean` escapes what came from the cluster (object names). */
  render(clean: (s: string) => string): string {
    const byKind = this.#byKind;
    if (this.#operations === 0) return 'No operations found (no rollout, scale, pod startup, … in the recording).\n';
    const width = Math.max(...[...byKind.keys()].map((k) => k.length));
    const lines = [`Operations (${this.#operations}):`];
    for (const [kind, outcomes] of [...byKind].sort((a, b) => total(b[1]) - total(a[1]) || cmp(a[0], b[0]))) {
      const parts = [...outcomes].sort((a, b) => b[1] - a[1]).map(([outcome, n]) => `${n} ${outcome}`);
      lines.push(`  ${clean(kind).padEnd(width)}  ${String(total(outcomes)).padStart(5)}  ${parts.join(', ')}`);
    }
    lines.push('', 'Slowest:');
    for (const o of this.#slowest) {
      const what = `${o.name}${o.object !== undefined ? ` of ${o.object}` : ''}`;
      lines.push(`  ${formatDuration(o.endMs - o.startMs).padStart(9)}  ${clean(what)}  (${clean(o.outcome ?? '?')})`);
    }
    return `${lines.join('\n')}\n`;
  }
}

function duration(s: ViewSpan | undefined): number {
  return s === undefined ? Infinity : s.endMs - s.startMs;
}

function total(m: ReadonlyMap<string, number>): number {
  let n = 0;
  for (const v of m.values()) n += v;
  return n;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
