import type { SpanData } from '../model/span.js';
import type { ExportResult, SpanSink } from '../export/sink.js';
import { formatDuration } from './waterfall-text.js';
import { fromSpanData, isOperation } from './trace-view.js';
import type { ViewSpan } from './trace-view.js';

/**
 * What `kubestitch replay` without an output prints: operations by kind and outcome and the five
 * slowest. Keeps only operation spans (a handful per object), not every span of the replay.
 */
export class OperationSummarySink implements SpanSink {
  readonly #operations: ViewSpan[] = [];

  write(spans: readonly SpanData[]): Promise<ExportResult> {
    for (const s of spans) {
      const v = fromSpanData(s);
      if (isOperation(v)) this.#operations.push(v);
    }
    return Promise.resolve({ status: 'ok' });
  }

  flush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }

  /** The summary as terminal text; `clean` escapes what came from the cluster (object names). */
  render(clean: (s: string) => string): string {
    const ops = this.#operations;
    if (ops.length === 0) return 'No operations found (no rollout, scale, pod startup, … in the recording).\n';
    const byKind = new Map<string, Map<string, number>>();
    for (const o of ops) {
      const outcomes = byKind.get(o.name) ?? new Map<string, number>();
      outcomes.set(o.outcome ?? '?', (outcomes.get(o.outcome ?? '?') ?? 0) + 1);
      byKind.set(o.name, outcomes);
    }
    const width = Math.max(...[...byKind.keys()].map((k) => k.length));
    const lines = [`Operations (${ops.length}):`];
    for (const [kind, outcomes] of [...byKind].sort((a, b) => total(b[1]) - total(a[1]) || cmp(a[0], b[0]))) {
      const parts = [...outcomes].sort((a, b) => b[1] - a[1]).map(([outcome, n]) => `${n} ${outcome}`);
      lines.push(`  ${clean(kind).padEnd(width)}  ${String(total(outcomes)).padStart(5)}  ${parts.join(', ')}`);
    }
    lines.push('', 'Slowest:');
    const slowest = [...ops].sort((a, b) => b.endMs - b.startMs - (a.endMs - a.startMs)).slice(0, 5);
    for (const o of slowest) {
      const what = `${o.name}${o.object !== undefined ? ` of ${o.object}` : ''}`;
      lines.push(`  ${formatDuration(o.endMs - o.startMs).padStart(9)}  ${clean(what)}  (${clean(o.outcome ?? '?')})`);
    }
    return `${lines.join('\n')}\n`;
  }
}

function total(m: ReadonlyMap<string, number>): number {
  let n = 0;
  for (const v of m.values()) n += v;
  return n;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
