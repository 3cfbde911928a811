/** Reads what `npm run e2e` left in test-artifacts/e2e/ and answers questions about its traces. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeOtlpJsonLine } from '../../test/support/otlp-json-decode.js';
import type { SpanData } from '../../src/model/span.js';

export const ART = fileURLToPath(new URL('../../test-artifacts/e2e/', import.meta.url));

export function readSpans(file: string): SpanData[] {
  const path = join(ART, file);
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .flatMap((l) => decodeOtlpJsonLine(l));
}

export const attr = (s: SpanData, key: string): string | undefined => {
  const v = s.attributes[key] ?? s.resource.attributes[key];
  return v === undefined ? undefined : String(v);
};
export const service = (s: SpanData): string => String(s.resource.attributes['service.name'] ?? '');

/** The spans of one export, indexed for walking trees. */
export class Traces {
  readonly spans: readonly SpanData[];
  readonly #byId = new Map<string, SpanData>();
  readonly #children = new Map<string, SpanData[]>();

  constructor(spans: readonly SpanData[]) {
    this.spans = spans;
    for (const s of spans) this.#byId.set(`${s.traceId}/${s.spanId}`, s);
    for (const s of spans) {
      if (s.parentSpanId === undefined) continue;
      const k = `${s.traceId}/${s.parentSpanId}`;
      const list = this.#children.get(k);
      if (list === undefined) this.#children.set(k, [s]);
      else list.push(s);
    }
  }

  children(s: SpanData): SpanData[] {
    return this.#children.get(`${s.traceId}/${s.spanId}`) ?? [];
  }

  parent(s: SpanData): SpanData | undefined {
    return s.parentSpanId === undefined ? undefined : this.#byId.get(`${s.traceId}/${s.parentSpanId}`);
  }

  trace(traceId: string): SpanData[] {
    return this.spans.filter((s) => s.traceId === traceId);
  }

  root(s: SpanData): SpanData {
    let cur = s;
    for (let p = this.parent(cur); p !== undefined; p = this.parent(cur)) cur = p;
    return cur;
  }

  /** Operation spans (kubestitch.operation set) matching a name and attribute values. */
  ops(name: string, attrs: Record<string, string> = {}): SpanData[] {
    return this.spans.filter((s) => s.name === name && Object.entries(attrs).every(([k, v]) => attr(s, k) === v));
  }

  /** `s` and everything under it. */
  subtree(s: SpanData): SpanData[] {
    const out = [s];
    for (const c of this.children(s)) out.push(...this.subtree(c));
    return out;
  }
}

/**
 * A trace as a user compares two of them: the operations (not audit requests, not real spans) as
 * "name object" lines, indented by depth and sorted, so a live run and a replay of its recording can
 * be held side by side without depending on ids or times.
 */
export function operationShape(t: Traces, root: SpanData): string {
  const lines: string[] = [];
  const walk = (s: SpanData, depth: number): void => {
    const op = attr(s, 'kubestitch.operation');
    // Phases are left out: a step under a millisecond live is a span event, not a span.
    if (op === undefined || op === 'pod.phase') return;
    const object = attr(s, 'k8s.object.name') ?? attr(s, 'k8s.pod.name') ?? '';
    lines.push(`${'  '.repeat(depth)}${s.name} ${object}`);
    for (const c of t.children(s)) walk(c, depth + 1);
  };
  walk(root, 0);
  return [lines[0] ?? '', ...lines.slice(1).sort()].join('\n');
}
