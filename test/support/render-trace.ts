import type { AttrValue, SpanData } from '../../src/model/span.js';

// Attributes worth a glance in a golden line; everything else is checked by targeted tests.
const KEY_ATTRS = [
  'kubestitch.outcome',
  'kubestitch.replicas.from',
  'kubestitch.replicas.to',
  'kubestitch.revision',
  'k8s.pod.name',
  'k8s.container.name',
  'kubestitch.condition.reason',
  'k8s.container.restart_count',
  'k8s.object.name',
] as const;

/**
 * Renders spans as golden text (kspan style): one line per span, indented by depth, with name,
 * actor, offset from the trace start, duration, key attributes, status, span events (reason ×
 * count) and link count. Traces are ordered by start time, children by start then name.
 */
export function renderTraces(spans: readonly SpanData[]): string {
  const byParent = new Map<string, SpanData[]>();
  const ids = new Set(spans.map((s) => `${s.traceId}/${s.spanId}`));
  const roots: SpanData[] = [];
  for (const s of spans) {
    if (s.parentSpanId !== undefined && ids.has(`${s.traceId}/${s.parentSpanId}`)) {
      const k = `${s.traceId}/${s.parentSpanId}`;
      const list = byParent.get(k);
      if (list === undefined) byParent.set(k, [s]);
      else list.push(s);
    } else {
      roots.push(s);
    }
  }
  const lines: string[] = [];
  const walk = (s: SpanData, depth: number, t0: number): void => {
    lines.push(renderLine(s, depth, t0));
    const children = byParent.get(`${s.traceId}/${s.spanId}`) ?? [];
    for (const c of children.sort(bySpanOrder)) walk(c, depth + 1, t0);
  };
  for (const r of roots.sort(bySpanOrder)) walk(r, 0, r.startMs);
  return lines.join('\n') + '\n';
}

function bySpanOrder(a: SpanData, b: SpanData): number {
  return a.startMs - b.startMs || cmp(a.name, b.name) || cmp(a.spanId, b.spanId);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function renderLine(s: SpanData, depth: number, t0: number): string {
  const parts = [
    `${'  '.repeat(depth)}${s.name}`,
    `[${actorOf(s)}]`,
    `+${secs(s.startMs - t0)}`,
    secs(s.endMs - s.startMs),
  ];
  for (const k of KEY_ATTRS) {
    const v = s.attributes[k];
    if (v !== undefined) parts.push(`${k.replace(/^(kubestitch|k8s)\./, '')}=${fmt(v)}`);
  }
  if (s.status.code === 'error') parts.push(`ERROR(${s.status.message})`);
  else if (s.status.code === 'ok') parts.push('OK');
  if (s.events.length > 0) parts.push(`events=[${s.events.map(eventLabel).join(', ')}]`);
  if (s.links.length > 0) parts.push(`links=${s.links.length}`);
  return parts.join(' ');
}

function actorOf(s: SpanData): string {
  const r = s.resource.attributes;
  let out = String(r['service.name'] ?? '?');
  if (r['kubestitch.controller.name'] !== undefined) out += `/${String(r['kubestitch.controller.name'])}`;
  if (r['k8s.node.name'] !== undefined) out += `@${String(r['k8s.node.name'])}`;
  return out;
}

function eventLabel(e: SpanData['events'][number]): string {
  const count = e.attributes['kubestitch.event.count'];
  const warn = e.attributes['kubestitch.event.type'] === 'Warning' ? '!' : '';
  return `${warn}${e.name}${typeof count === 'number' && count > 1 ? `×${count}` : ''}`;
}

function secs(ms: number): string {
  return `${(ms / 1000).toFixed(3)}s`;
}

function fmt(v: AttrValue): string {
  return Array.isArray(v) ? `[${v.join(',')}]` : String(v);
}
