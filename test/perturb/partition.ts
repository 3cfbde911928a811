import type { SpanData } from '../../src/model/span.js';

/** One operation (or audited request) and where it sits, by identity rather than span id. */
export interface Placement {
  readonly id: string;
  /** Identity of the parent span, or '' for a root. */
  readonly parent: string;
  /** Identity of the trace's root: which operations share a trace. */
  readonly root: string;
  readonly startMs: number;
}

const OPERATION = 'kubestitch.operation';
const UID = 'k8s.object.uid';
// Catch-alls and phases are not operations of their own for the comparison (phases are part of
// their pod startup; what lands in an activity window is judged by the request that is there).
const ACTIVITY = 'object.activity';
const NOT_COUNTED: ReadonlySet<string> = new Set([ACTIVITY, 'pod.phase']);

/**
 * The trace partition of a set of spans: every operation span and audit pseudo-span, with the
 * identities of its parent and its trace root. An operation's identity is its operation type,
 * object uid and ordinal among that object's operations of that type that were still running at
 * `cutMs` (so a recording cut mid-way counts the same operations); an audited request's is its
 * audit id; any other span's is its name under its parent's identity.
 */
export function partition(spans: readonly SpanData[], cutMs = -Infinity): Map<string, Placement> {
  const byId = new Map(spans.map((s) => [`${s.traceId}/${s.spanId}`, s]));
  const ordinals = new Map<SpanData, number>();
  const groups = new Map<string, SpanData[]>();
  for (const s of spans) {
    const op = s.attributes[OPERATION];
    if (typeof op !== 'string' || s.endMs < cutMs) continue;
    const key = `${op}:${String(s.attributes[UID] ?? s.name)}`;
    const list = groups.get(key) ?? [];
    list.push(s);
    groups.set(key, list);
  }
  for (const list of groups.values()) {
    list.sort((a, b) => a.startMs - b.startMs || (a.spanId < b.spanId ? -1 : 1)).forEach((s, i) => ordinals.set(s, i));
  }
  const memo = new Map<SpanData, string>();
  const parentOf = (s: SpanData): SpanData | undefined =>
    s.parentSpanId === undefined ? undefined : byId.get(`${s.traceId}/${s.parentSpanId}`);
  const identity = (s: SpanData): string => {
    const known = memo.get(s);
    if (known !== undefined) return known;
    let id: string;
    const audit = s.attributes['audit-id'];
    const op = s.attributes[OPERATION];
    if (typeof audit === 'string') id = `audit:${audit}`;
    else if (op === ACTIVITY)
      id = `${op}:${String(s.attributes[UID] ?? s.name)}:${String(s.attributes['kubestitch.window.start'])}`;
    else if (typeof op === 'string' && op !== 'pod.phase' && ordinals.has(s))
      id = `${op}:${String(s.attributes[UID] ?? s.name)}#${ordinals.get(s) ?? 0}`;
    else {
      const p = parentOf(s);
      id = `${s.name}@${p === undefined ? '' : identity(p)}`;
    }
    memo.set(s, id);
    return id;
  };
  const out = new Map<string, Placement>();
  for (const s of spans) {
    const op = s.attributes[OPERATION];
    const counted = typeof s.attributes['audit-id'] === 'string' || (typeof op === 'string' && !NOT_COUNTED.has(op));
    if (!counted) continue;
    let root = s;
    for (let p = parentOf(root); p !== undefined; p = parentOf(root)) root = p;
    const p = parentOf(s);
    out.set(identity(s), {
      id: identity(s),
      parent: p === undefined ? '' : identity(p),
      root: identity(root),
      startMs: s.startMs,
    });
  }
  return out;
}

export interface Comparison {
  readonly tried: number;
  readonly matched: number;
  /** A few of the differences (at most compare's maxExamples), for the failure message. */
  readonly examples: string[];
  /** Differences by operation type ('audit' for audited requests) and how: missing or misplaced. */
  readonly misses: Map<string, number>;
}

/** `deployment.rollout missing`, `audit misplaced`: what a difference is, for the tally. */
function missKind(id: string, missing: boolean): string {
  const type = id.startsWith('audit:') ? 'audit' : (id.split(':')[0] ?? id);
  return `${type} ${missing ? 'missing' : 'misplaced'}`;
}

/**
 * How many placements of `expected` (restricted by `include`) come out identically in `actual`:
 * same parent, same trace root.
 */
export function compare(
  expected: ReadonlyMap<string, Placement>,
  actual: ReadonlyMap<string, Placement>,
  include: (p: Placement) => boolean = () => true,
  maxExamples = 5,
): Comparison {
  let tried = 0;
  let matched = 0;
  const examples: string[] = [];
  const misses = new Map<string, number>();
  for (const e of expected.values()) {
    if (!include(e)) continue;
    tried++;
    const a = actual.get(e.id);
    if (a !== undefined && a.parent === e.parent && a.root === e.root) {
      matched++;
      continue;
    }
    const kind = missKind(e.id, a === undefined);
    misses.set(kind, (misses.get(kind) ?? 0) + 1);
    if (examples.length < maxExamples) {
      examples.push(
        a === undefined
          ? `${e.id}: missing`
          : `${e.id}: parent ${a.parent || '(root)'} / root ${a.root}, expected ${e.parent || '(root)'} / root ${e.root}`,
      );
    }
  }
  return { tried, matched, examples, misses };
}
