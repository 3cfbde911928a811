/**
 * Clues: what in a real trace can tie it to a pseudo-span (DESIGN §4), and the keys under which a
 * trace waits for its anchor. Pure functions over span entries.
 */
import type { AttrValue, SpanLinkData } from '../model/span.js';
import type { AnchorInput, StitchRule } from './stitch-types.js';
import { STITCH_ATTR } from '../model/attributes.js';
import { nanosToMs } from '../otlp/otlp-message.js';
import type { SpanEntry } from './span-entries.js';
import { SPAN_KIND_SERVER, firstStringAttr, hexOf, isRootSpan, serviceNameOf, stringAttr } from './span-entries.js';

export type PodPhase = 'pod-startup' | 'pod-termination';

export interface HttpClue {
  readonly method: string;
  readonly path: string;
  readonly userAgent: string | undefined;
  readonly startMs: number;
  readonly entry: SpanEntry;
}

export interface TraceClues {
  /** A span of the trace without a parent, once seen. */
  readonly root?: SpanEntry;
  /**
   * Synth makes no pseudo-span for the request this trace serves: a read (GET/HEAD, or a
   * Get/List/Watch handler) or a write of an Event object (ADR 0002), so it never waits.
   */
  readonly read?: boolean;
  readonly audit?: { readonly auditId: string; readonly entry: SpanEntry };
  readonly pod?: {
    readonly uid: string;
    readonly phase: PodPhase;
    readonly startMs: number;
    readonly entry: SpanEntry;
  };
  readonly http?: HttpClue;
}

/** kubelet span names (pkg/kubelet/kubelet.go) → the pod operation they belong to. */
const KUBELET_SYNC: Readonly<Record<string, PodPhase>> = {
  syncPod: 'pod-startup',
  syncTerminatingPod: 'pod-termination',
  syncTerminatedPod: 'pod-termination',
};

/** kube-apiserver endpoint handler spans of read requests. */
const READ_HANDLERS: ReadonlySet<string> = new Set(['Get', 'List', 'Watch']);
const READ_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD']);
// core/v1 and events.k8s.io Event objects, namespaced or not, with or without a name.
const EVENTS_PATH = /^\/(?:api\/v1|apis\/events\.k8s\.io\/v1(?:beta1)?)\/(?:namespaces\/[^/]+\/)?events(?:\/|$)/;

/** Kubernetes verb → HTTP method, to compare audit anchors with HTTP server spans. */
const VERB_METHOD: Readonly<Record<string, string>> = {
  create: 'POST',
  update: 'PUT',
  patch: 'PATCH',
  delete: 'DELETE',
  deletecollection: 'DELETE',
  get: 'GET',
  list: 'GET',
  watch: 'GET',
};

/**
 * The clues in `entries` (spans of one original trace). `apiserverServices` are the
 * `service.name`s whose HTTP server spans may match by method/path/user agent/time.
 */
export function cluesOf(entries: readonly SpanEntry[], apiserverServices: ReadonlySet<string>): TraceClues {
  let clues: TraceClues = {};
  for (const entry of entries) clues = mergeClues(clues, cluesOfSpan(entry, apiserverServices));
  return clues;
}

type MutableClues = { -readonly [K in keyof TraceClues]: TraceClues[K] };

function cluesOfSpan(entry: SpanEntry, apiserverServices: ReadonlySet<string>): TraceClues {
  const { span } = entry;
  const out: MutableClues = {};
  if (isRootSpan(span)) out.root = entry;
  const method = firstStringAttr(span.attributes, [STITCH_ATTR.httpMethod, STITCH_ATTR.httpMethodOld]);
  if (READ_HANDLERS.has(span.name ?? '') || (method !== undefined && READ_METHODS.has(method.toUpperCase()))) {
    out.read = true;
  }
  const auditId = stringAttr(span.attributes, STITCH_ATTR.auditId);
  if (auditId !== undefined && auditId !== '') out.audit = { auditId, entry };
  const pod = podClueOf(entry);
  if (pod !== undefined) out.pod = pod;
  if (span.kind === SPAN_KIND_SERVER && apiserverServices.has(serviceNameOf(entry))) {
    addApiserverClues(out, entry, method);
  }
  return out;
}

// A kubelet sync span names the pod it works on by uid: the clue to its pod operation.
function podClueOf(entry: SpanEntry): TraceClues['pod'] {
  const { span } = entry;
  const phase = KUBELET_SYNC[span.name ?? ''];
  const uid = stringAttr(span.attributes, STITCH_ATTR.podUid);
  if (phase === undefined || uid === undefined || uid === '') return undefined;
  return { uid, phase, startMs: nanosToMs(span.startTimeUnixNano), entry };
}

/**
 * An apiserver's HTTP server span: a write of an Event object is a read for stitching (no
 * pseudo-span comes for it, ADR 0002); any request with a method and path is an HTTP clue.
 */
function addApiserverClues(out: MutableClues, entry: SpanEntry, method: string | undefined): void {
  const { span } = entry;
  const target = firstStringAttr(span.attributes, [STITCH_ATTR.urlPath, STITCH_ATTR.httpTarget]);
  const path = target?.split('?')[0];
  if (path === undefined) return;
  if (EVENTS_PATH.test(path)) out.read = true;
  if (method === undefined || path === '') return;
  const userAgent = firstStringAttr(span.attributes, [STITCH_ATTR.userAgent, STITCH_ATTR.userAgentOld]);
  out.http = { method: method.toUpperCase(), path, userAgent, startMs: nanosToMs(span.startTimeUnixNano), entry };
}

/**
 * Clues of a trace seen in parts. For each kind of clue the one on the root span wins, else the
 * earliest-starting span's: the outermost request of a trace is the one its audit event describes.
 */
export function mergeClues(a: TraceClues | undefined, b: TraceClues): TraceClues {
  if (a === undefined) return b;
  const out: MutableClues = { ...a };
  if (b.root !== undefined && a.root === undefined) out.root = b.root;
  if (b.read === true) out.read = true;
  const audit = pick(a.audit, b.audit);
  const pod = pick(a.pod, b.pod);
  const http = pick(a.http, b.http);
  if (audit !== undefined) out.audit = audit;
  if (pod !== undefined) out.pod = pod;
  if (http !== undefined) out.http = http;
  return out;
}

function pick<T extends { readonly entry: SpanEntry }>(a: T | undefined, b: T | undefined): T | undefined {
  if (a === undefined || b === undefined) return a ?? b;
  if (isRootSpan(a.entry.span) !== isRootSpan(b.entry.span)) return isRootSpan(a.entry.span) ? a : b;
  return nanosToMs(b.entry.span.startTimeUnixNano) < nanosToMs(a.entry.span.startTimeUnixNano) ? b : a;
}

/** Whether the trace carries anything an anchor could match. */
export function hasCandidate(clues: TraceClues): boolean {
  return clues.audit !== undefined || clues.pod !== undefined || clues.http !== undefined;
}

/** The span a pseudo-span links to: the trace's root when seen, else the span that matched. */
export function linkTargetOf(clues: TraceClues): SpanEntry | undefined {
  return clues.root ?? clues.audit?.entry ?? clues.pod?.entry ?? clues.http?.entry;
}

/** Keys a trace with these clues waits under for its anchor. */
export function clueKeys(clues: TraceClues): string[] {
  const keys: string[] = [];
  if (clues.audit !== undefined) keys.push(`audit:${clues.audit.auditId}`);
  if (clues.pod !== undefined) keys.push(`${clues.pod.phase}:${clues.pod.uid}`);
  if (clues.http !== undefined) keys.push(httpKey(clues.http.method, clues.http.path));
  return keys;
}

/** Keys under which traces waiting for `anchor` are found. */
export function anchorKeys(anchor: AnchorInput): string[] {
  if (anchor.kind !== 'audit') return [`${anchor.kind}:${anchor.podUid}`];
  const keys = [`audit:${anchor.auditId}`];
  const http = anchorHttpKey(anchor);
  if (http !== undefined) keys.push(http);
  return keys;
}

/** The `http:` key of an audit anchor that carries request facts. */
export function anchorHttpKey(anchor: AnchorInput): string | undefined {
  if (anchor.kind !== 'audit' || anchor.verb === undefined || anchor.path === undefined) return undefined;
  const method = VERB_METHOD[anchor.verb];
  return method === undefined ? undefined : httpKey(method, anchor.path.split('?')[0] ?? '');
}

export function httpKey(method: string, path: string): string {
  return `http:${method} ${path}`;
}

/**
 * How far (ms) an HTTP clue's start is from an audit anchor's, or undefined when they do not
 * match: same method and path (by key), user agents equal or one a prefix of the other (audit
 * and span truncate differently) when both are known, starts within `toleranceMs`.
 */
export function httpDistance(clue: HttpClue, anchor: AnchorInput, toleranceMs: number): number | undefined {
  if (anchor.kind !== 'audit' || anchor.startMs === undefined) return undefined;
  if (anchorHttpKey(anchor) !== httpKey(clue.method, clue.path)) return undefined;
  const a = anchor.userAgent ?? '';
  const b = clue.userAgent ?? '';
  if (a !== '' && b !== '' && !a.startsWith(b) && !b.startsWith(a)) return undefined;
  const distance = Math.abs(clue.startMs - anchor.startMs);
  return distance <= toleranceMs ? distance : undefined;
}

/** Whether a kubelet sync span starting at `startMs` belongs to the pod operation anchored at `anchorMs`. */
export function podSyncInWindow(startMs: number, anchorMs: number, skewMs: number, windowMs: number): boolean {
  return startMs >= anchorMs - skewMs && startMs <= anchorMs + windowMs;
}

/** A link from a pseudo-span to the real trace (its root, else the span that matched). */
export function linkTo(traceId: Buffer, clues: TraceClues, rule: StitchRule, late: boolean): SpanLinkData | undefined {
  const spanId = linkTargetOf(clues)?.span.spanId;
  if (spanId === undefined || spanId.length !== 8) return undefined;
  const attributes: Record<string, AttrValue> = { [STITCH_ATTR.rule]: rule };
  if (late) attributes[STITCH_ATTR.late] = true;
  return { traceId: traceId.toString('hex'), spanId: hexOf(spanId), attributes };
}
