/**
 * A trace as a terminal waterfall: one row per span (indented tree), its actor, offset, duration,
 * a bar scaled to the terminal width and its outcome; `*` marks the critical path. Below it, what
 * answers "why was it slow": the longest phase of each pod and the longest waits between steps.
 */
import type { ViewSpan } from './trace-view.js';

export interface WaterfallRow {
  readonly span: ViewSpan;
  readonly depth: number;
  readonly offsetMs: number;
  readonly durationMs: number;
  readonly critical: boolean;
}

export interface SlowPhase {
  readonly operation: string;
  readonly phase: string;
  readonly durationMs: number;
  readonly share: number;
}

export interface Wait {
  readonly after: string;
  readonly before: string;
  readonly within: string;
  readonly durationMs: number;
  /** Operations running through most of the wait: what it was likely waiting for. */
  readonly meanwhile: readonly string[];
}

export interface TraceAnalysis {
  readonly rows: readonly WaterfallRow[];
  readonly slowPhases: readonly SlowPhase[];
  readonly waits: readonly Wait[];
}

/** 850µs, 12.490ms, 3.622s, 2m05.3s; a negative value keeps its sign in front. */
export function formatDuration(ms: number): string {
  const sign = ms < 0 ? '-' : '';
  const a = Math.abs(ms);
  if (a < 1) return `${sign}${Math.round(a * 1000)}µs`;
  if (a < 1000) return `${sign}${a.toFixed(a < 100 ? 3 : 1)}ms`;
  if (a < 60_000) return `${sign}${(a / 1000).toFixed(3)}s`;
  const minutes = Math.floor(a / 60_000);
  return `${sign}${minutes}m${((a - minutes * 60_000) / 1000).toFixed(1).padStart(4, '0')}s`;
}

/** `pod termination of web-7d4-x`: a span named with the object it is about. */
function label(s: ViewSpan): string {
  return s.object !== undefined ? `${s.name} of ${s.object.slice(s.object.lastIndexOf('/') + 1)}` : s.name;
}

function meanwhile(spans: readonly ViewSpan[], from: number, to: number, skip: ReadonlySet<string>): string[] {
  const overlaps = spans.filter(
    (x) =>
      x.operation !== undefined &&
      x.operation !== 'pod.phase' &&
      !skip.has(x.spanId) &&
      Math.min(x.endMs, to) - Math.max(x.startMs, from) > (to - from) / 2,
  );
  return overlaps.slice(0, 3).map(label);
}

function byStart(a: ViewSpan, b: ViewSpan): number {
  return a.startMs - b.startMs || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}

function childrenIndex(spans: readonly ViewSpan[]): Map<string, ViewSpan[]> {
  const ids = new Set(spans.map((s) => s.spanId));
  const index = new Map<string, ViewSpan[]>();
  for (const s of spans) {
    const key = s.parentSpanId !== undefined && ids.has(s.parentSpanId) ? s.parentSpanId : '';
    const list = index.get(key) ?? [];
    list.push(s);
    index.set(key, list);
  }
  for (const list of index.values()) list.sort(byStart);
  return index;
}

// Jaeger's rule: from the end, the child that finished last, then the one that finished last
// before that child started, and so on, each recursively.
function markCritical(span: ViewSpan, children: Map<string, ViewSpan[]>, out: Set<string>): void {
  out.add(span.spanId);
  const kids = [...(children.get(span.spanId) ?? [])].sort((a, b) => b.endMs - a.endMs);
  let cursor = span.endMs;
  for (const child of kids) {
    if (child.endMs > cursor + 1e-6 || child.endMs <= span.startMs - 1e-6) continue;
    markCritical(child, children, out);
    cursor = child.startMs;
  }
}

/** Rows in tree order plus the slow-phase and wait findings. Pure. */
export function analyseTrace(spans: readonly ViewSpan[]): TraceAnalysis {
  const children = childrenIndex(spans);
  const roots = children.get('') ?? [];
  const t0 = Math.min(...spans.map((s) => s.startMs));
  const critical = new Set<string>();
  for (const r of roots) markCritical(r, children, critical);
  const rows: WaterfallRow[] = [];
  const slowPhases: SlowPhase[] = [];
  const waits: Wait[] = [];
  const walk = (s: ViewSpan, depth: number): void => {
    const isCritical = critical.has(s.spanId);
    rows.push({ span: s, depth, offsetMs: s.startMs - t0, durationMs: s.endMs - s.startMs, critical: isCritical });
    const kids = children.get(s.spanId) ?? [];
    const longest = [...kids].sort((a, b) => b.endMs - b.startMs - (a.endMs - a.startMs))[0];
    if (s.operation === 'pod.startup' && longest !== undefined && s.endMs > s.startMs) {
      const d = longest.endMs - longest.startMs;
      slowPhases.push({ operation: label(s), phase: longest.name, durationMs: d, share: d / (s.endMs - s.startMs) });
    }
    // A wait: time on the critical path where no child of this span was running.
    let prev: ViewSpan | undefined;
    for (const k of kids.filter((x) => critical.has(x.spanId))) {
      const gap = k.startMs - (prev?.endMs ?? s.startMs);
      if (isCritical && gap > 0) {
        const from = prev?.endMs ?? s.startMs;
        waits.push({
          after: prev !== undefined ? label(prev) : `start of ${s.name}`,
          before: label(k),
          within: label(s),
          durationMs: gap,
          meanwhile: meanwhile(spans, from, k.startMs, critical),
        });
      }
      prev = k;
    }
    for (const k of kids) walk(k, depth + 1);
  };
  for (const r of roots) walk(r, 0);
  const total = Math.max(...spans.map((s) => s.endMs)) - t0;
  // Waits under 1% of the trace (or 1 ms) are scheduling noise, not an answer.
  const worth = waits.filter((w) => w.durationMs >= Math.max(1, total * 0.01));
  return { rows, slowPhases, waits: worth.sort((a, b) => b.durationMs - a.durationMs).slice(0, 5) };
}

function fit(s: string, width: number): string {
  return s.length <= width ? s.padEnd(width) : `${s.slice(0, Math.max(0, width - 1))}…`;
}

function bar(row: WaterfallRow, t0: number, total: number, width: number): string {
  const scale = total > 0 ? width / total : 0;
  const from = Math.min(width - 1, Math.floor((row.offsetMs - t0) * scale));
  const len = Math.max(1, Math.round(row.durationMs * scale));
  const cells = Math.min(len, width - from);
  return `${' '.repeat(from)}${(row.critical ? '█' : '▒').repeat(cells)}${' '.repeat(width - from - cells)}`;
}

/**
 * The waterfall as lines no wider than `columns`. `clean` escapes text that came from the
 * cluster (names, actors) so control characters cannot drive the terminal.
 */
export function renderWaterfall(analysis: TraceAnalysis, columns: number, clean: (s: string) => string): string[] {
  const rows = analysis.rows;
  if (rows.length === 0) return [];
  const t0 = Math.min(...rows.map((r) => r.offsetMs));
  const total = Math.max(...rows.map((r) => r.offsetMs + r.durationMs)) - t0;
  const labels = rowLabels(rows, clean);
  const actors = rows.map((r) => clean(shortActor(r.span.actor)));
  const outcomeW = Math.max(7, ...rows.map((r) => (r.span.outcome ?? 'error').length));
  // Marker, separators, offset, duration and outcome; what is left goes to name, actor and bar.
  const room = columns - 37 - outcomeW;
  const barMin = Math.max(16, Math.floor(columns / 5));
  const widest = labels.map((l) => l.head.length + (l.object === '' ? 0 : l.object.length + 1));
  let nameW = Math.min(48, Math.max(12, ...widest.map((w) => w + 2)));
  let actorW = Math.min(24, Math.max(6, ...actors.map((a) => a.length)));
  // A narrow terminal shortens names first, then actors, before the bars get too short to read.
  nameW = Math.max(Math.min(nameW, 24), Math.min(nameW, room - barMin - actorW));
  actorW = Math.max(Math.min(actorW, 15), Math.min(actorW, room - barMin - nameW));
  const barW = Math.max(10, room - nameW - actorW);
  const header = `  ${fit('NAME', nameW - 2)} ${fit('ACTOR', actorW)} ${'OFFSET'.padStart(9)} ${'DURATION'.padStart(9)}  ${fit('', barW)}  OUTCOME`;
  const lines = [header.trimEnd()];
  rows.forEach((r, i) => {
    const outcome = r.span.outcome ?? (r.span.error ? 'error' : '');
    const offset = `+${formatDuration(r.offsetMs - t0)}`;
    lines.push(
      `${r.critical ? '*' : ' '} ${fitLabel(labels[i] ?? { head: '', object: '' }, nameW - 2)} ${fit(actors[i] ?? '', actorW)} ${offset.padStart(9)} ${formatDuration(r.durationMs).padStart(9)} |${bar(r, t0, total, barW)}| ${clean(outcome)}`.trimEnd(),
    );
  });
  return lines;
}

/** The controller (deployment-ctrl) or node (kubelet@node-3) that acted; else the service. */
function shortActor(actor: string): string {
  const slash = actor.indexOf('/');
  return (slash >= 0 ? actor.slice(slash + 1) : actor).replace(/-controller$/, '-ctrl');
}

/**
 * Indented span names, with the object's name where it changes from the parent's (each "pod
 * startup" says which pod; its phases, about the same pod, do not repeat it).
 */
function rowLabels(rows: readonly WaterfallRow[], clean: (s: string) => string): { head: string; object: string }[] {
  const objectOf = new Map(rows.map((r) => [r.span.spanId, r.span.object]));
  return rows.map((r) => {
    const object = r.span.object;
    const changed = object !== undefined && object !== objectOf.get(r.span.parentSpanId ?? '');
    // `Pod shop/web-7c9-x` → `web-7c9-x`: kind and namespace are the trace's context.
    const name = changed ? object.slice(object.lastIndexOf('/') + 1).replace(/^\S+ /, '') : '';
    return { head: `${'  '.repeat(r.depth)}${clean(r.span.name)}`, object: clean(name) };
  });
}

/** A label in `width`: when short of room the object keeps its end (`…c59d-gx8jv`), where pods differ. */
function fitLabel(label: { head: string; object: string }, width: number): string {
  const full = label.object === '' ? label.head : `${label.head} ${label.object}`;
  if (full.length <= width || label.object === '') return fit(full, width);
  const keep = width - label.head.length - 2;
  return keep >= 6 ? fit(`${label.head} …${label.object.slice(-keep)}`, width) : fit(full, width);
}

/** The "why was it slow" lines under a waterfall. */
export function renderFindings(analysis: TraceAnalysis, clean: (s: string) => string): string[] {
  const lines: string[] = [];
  if (analysis.slowPhases.length > 0) {
    lines.push('Longest phase per pod:');
    for (const p of analysis.slowPhases) {
      const pct = Math.round(p.share * 100);
      lines.push(`  ${clean(p.operation)}: ${clean(p.phase)} ${formatDuration(p.durationMs)} (${pct}%)`);
    }
  }
  if (analysis.waits.length > 0) {
    lines.push('Waits on the critical path:');
    for (const w of analysis.waits) {
      lines.push(
        `  ${formatDuration(w.durationMs).padStart(9)}  ${clean(w.within)}: after ${clean(w.after)}, before ${clean(w.before)}` +
          (w.meanwhile.length > 0 ? ` (meanwhile: ${clean(w.meanwhile.join(', '))})` : ''),
      );
    }
  }
  return lines;
}
