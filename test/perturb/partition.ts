import type { SpanData } from '../../src/model/span.js';

/** One operation (or audited request) and where it sits, by identity rather than span id. */
export interface Placement {
  readonly id: string;
  /** Identity of the parent span, or '' for a root. */
  readonly parent: string;
  /** Identity of the trace's root: which operations share a trace. */
  readonly root: string;
  readonly startMs: number;
  /** Identities of every span above it, its parent first, its root last (none for a root). */
  readonly ancestors?: readonly string[];
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
    const ancestors: string[] = [];
    let root = s;
    for (let p = parentOf(root); p !== undefined; p = parentOf(root)) {
      ancestors.push(identity(p));
      root = p;
    }
    out.set(identity(s), {
      id: identity(s),
      parent: ancestors[0] ?? '',
      root: identity(root),
      startMs: s.startMs,
      ancestors,
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
  /**
   * Placements not judged as such, by reason (see Hidden): each present in `actual`, and under its
   * expected parent wherever that parent is itself observable. Any other difference is a miss.
   */
  readonly unobservable: Map<string, number>;
}

/**
 * Why the operation of this identity cannot be in the perturbed input (snapshot-only input has no
 * deletion; a cut does not show an object gone before it), or undefined when it can.
 */
export type Hidden = (id: string) => string | undefined;

/** The object uid of an operation identity (`replicaset.scale:<uid>#1`), or undefined. */
export function operationUid(id: string): string | undefined {
  return /^[a-z][\w.-]*:([^#:@]+)#\d+$/.exec(id)?.[1];
}

/**
 * Whether a placement is unobservable as such and right in what is observable: the reason when it
 * (or one of its ancestors) is hidden, and it exists and sits under its expected parent unless
 * that parent is hidden too. Undefined when it is judged in full, or wrong in an observable part.
 */
function unobservable(e: Placement, a: Placement | undefined, hidden: Hidden): string | undefined {
  const own = hidden(e.id);
  if (own !== undefined) return `${own} (the operation itself)`;
  const reason = (e.ancestors ?? []).map(hidden).find((r) => r !== undefined);
  if (reason === undefined || a === undefined) return undefined;
  const parentHidden = e.parent !== '' && hidden(e.parent) !== undefined;
  return parentHidden || a.parent === e.parent ? reason : undefined;
}

/** `deployment.rollout missing`, `audit misplaced`: what a difference is, for the tally. */
function missKind(id: string, missing: boolean): string {
  const type = id.startsWith('audit:') ? 'audit' : (id.split(':')[0] ?? id);
  return `${type} ${missing ? 'missing' : 'misplaced'}`;
}

/**
 * How many placements of `expected` (restricted by `include`) come out identically in `actual`:
 * same parent, same trace root. Those under an operation `hidden` names are tallied apart when
 * what is observable of them matches.
 */
export function compare(
  expected: ReadonlyMap<string, Placement>,
  actual: ReadonlyMap<string, Placement>,
  include: (p: Placement) => boolean = () => true,
  maxExamples = 5,
  hidden: Hidden = () => undefined,
): Comparison {
  let tried = 0;
  let matched = 0;
  const examples: string[] = [];
  const misses = new Map<string, number>();
  const unobserved = new Map<string, number>();
  for (const e of expected.values()) {
    if (!include(e)) continue;
    const a = actual.get(e.id);
    const reason = unobservable(e, a, hidden);
    if (reason !== undefined) {
      unobserved.set(reason, (unobserved.get(reason) ?? 0) + 1);
      continue;
    }
    tried++;
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
  return { tried, matched, examples, misses, unobservable: unobserved };
}
