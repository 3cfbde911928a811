import { ATTR, type Outcome } from '../model/attributes.js';
import { spanIdsFor } from '../model/ids.js';
import type { KubeEvent } from '../model/records.js';
import type {
  AttrValue,
  Attributes,
  SpanData,
  SpanEventData,
  SpanKind,
  SpanLinkData,
  SpanStatus,
} from '../model/span.js';
import { kubeEventToSpanEvent } from './kube-event-span-event.js';
import { DeadlineQueue } from './deadline-queue.js';
import { PendingSpan, UNSET } from './pending-span.js';
import { ResourceInterner } from './resource-interner.js';

export interface OpenSpanSpec {
  /** Unique, deterministic key; the span id derives from it, the trace id from the root's key. */
  readonly key: string;
  readonly name: string;
  readonly startMs: number;
  /** Actor attributes (service.name, kubestitch.controller.name, k8s.node.name); the cluster is added. */
  readonly resource: Attributes;
  readonly attributes: Record<string, AttrValue>;
  /**
   * Must be open — or closing (not yet emitted) when `joinClosing` — else the span starts a
   * trace of its own (callers link instead).
   */
  readonly parent?: PendingSpan | undefined;
  /** Let a closing parent take this child: the request that ended an operation joins it. */
  readonly joinClosing?: boolean;
  /**
   * Without a parent: the operation's owner may still arrive (its operation opens later, or
   * its records are late), so the span waits in the adoption window before it becomes a root.
   */
  readonly awaitOwner?: boolean;
  /**
   * With a parent: placed there only tentatively for the adoption window — an operation seen
   * late (the owner's deletion) may still take it (retake) — and announced once that has passed.
   */
  readonly tentative?: boolean;
  readonly kind?: SpanKind;
}

export interface SpanTreeOptions {
  /**
   * How long (record time) a root waits for its owner's operation to adopt it, and a closed span
   * for late evidence to join it, before its place is final and it is emitted (ADR 0004). 0 (the
   * default) emits as soon as a span and its children are closed.
   */
  readonly adoptionWindowMs?: number;
}

export interface CloseSpec {
  readonly outcome: Outcome;
  readonly status?: SpanStatus;
  /**
   * Evidence for the span may be dated up to here though its drawn end is earlier: an activity
   * window ends at its last evidence but covers its whole period (ADR 0006), so evidence of the
   * period's end still on its way must find it lingering.
   */
  readonly coversUntilMs?: number;
}

/** Marks a root span whose data gave it no measurable length (see emit). */
const INSTANT_ROOT_MS = 1;

/**
 * Builds the span forest. Guarantees DESIGN §3.5 structurally: a parent is emitted only after all
 * its children, its interval grows to cover theirs; a span that would last zero time becomes a
 * span event on its parent; ids are derived from keys. Pure: no I/O, no clock.
 */
export class SpanTree {
  readonly #cluster: string;
  readonly #clusterResource: Attributes;
  /** One merged resource per actor, shared by its spans (see ResourceInterner). */
  readonly #resources = new ResourceInterner();
  #batch: SpanData[] = [];
  #deferring = false;
  readonly #deferred: PendingSpan[] = [];
  #emittedCount = 0;
  readonly #windowMs: number;
  #nowMs = -Infinity;
  #draining = false;
  // Both queues get entries with a deadline of now + window on a clock that never runs back, so
  // each is ordered by deadline; stale entries (adopted, emitted) are skipped when reached.
  readonly #provisional = new DeadlineQueue();
  readonly #lingering = new DeadlineQueue();
  readonly #tentative = new DeadlineQueue();
  /** Keys of spans not yet emitted: a second span with a key in use gets a distinct one. */
  readonly #liveKeys = new Set<string>();

  readonly #onOpen: ((span: PendingSpan) => void) | undefined;
  readonly #onEmitted: ((span: PendingSpan, endMs: number) => void) | undefined;

  /**
   * `onOpen` sees every span as it opens (ids final), e.g. to index stitching anchors;
   * `onEmitted` sees it leave with its final end.
   */
  constructor(
    cluster: string,
    onOpen?: (span: PendingSpan) => void,
    onEmitted?: (span: PendingSpan, endMs: number) => void,
    options: SpanTreeOptions = {},
  ) {
    this.#cluster = cluster;
    this.#windowMs = Math.max(0, options.adoptionWindowMs ?? 0);
    this.#onOpen = onOpen;
    this.#onEmitted = onEmitted;
    this.#clusterResource = { [ATTR.clusterName]: cluster };
  }

  get emittedCount(): number {
    return this.#emittedCount;
  }

  get adoptionWindowMs(): number {
    return this.#windowMs;
  }

  /** Spans held back: provisional roots waiting for an owner, closed spans waiting for late evidence. */
  get heldCount(): number {
    return this.#provisional.size + this.#lingering.size + this.#tentative.size;
  }

  /**
   * Opens a span; when the parent is not open, the span starts a trace of its own — at once, or
   * with `awaitOwner` after the adoption window unless an owner's operation adopts it first.
   */
  open(spec: OpenSpanSpec): PendingSpan {
    const p = spec.parent;
    const parent =
      p !== undefined && (p.isOpen || (spec.joinClosing === true && p.state === 'closing')) ? p : undefined;
    const key = this.#uniqueKey(spec.key);
    const { traceId, spanId } = spanIdsFor(this.#cluster, key);
    const span = new PendingSpan({
      key,
      traceId,
      spanId,
      parent: undefined,
      kind: spec.kind ?? 'internal',
      name: spec.name,
      startMs: spec.startMs,
      resource: this.#resources.merged(spec.resource, this.#clusterResource),
      attributes: spec.attributes,
    });
    if (parent !== undefined) {
      this.#attach(span, parent);
      if (spec.tentative === true && this.#windowMs > 0) {
        span.tentativeUntilMs = Math.max(this.#nowMs, spec.startMs) + this.#windowMs;
        this.#tentative.push(span, span.tentativeUntilMs);
      }
    } else if (spec.awaitOwner === true && this.#windowMs > 0) {
      span.awaitingOwnerUntilMs = Math.max(this.#nowMs, spec.startMs) + this.#windowMs;
      this.#provisional.push(span, span.awaitingOwnerUntilMs);
    }
    if (span.placed) this.#announce(span);
    return span;
  }

  /**
   * Makes the provisional root `child` (with its subtree) a child of `parent`: the owner's
   * operation arrived within the adoption window. The subtree takes the parent's trace. Returns
   * false (and changes nothing) when `child` is not waiting or `parent` is already emitted.
   */
  adopt(child: PendingSpan, parent: PendingSpan): boolean {
    if (child.parent !== undefined || child.awaitingOwnerUntilMs === undefined) return false;
    if (child.state === 'emitted' || parent.state === 'emitted' || parent.root === child) return false;
    child.awaitingOwnerUntilMs = undefined;
    this.#attach(child, parent);
    if (child.placed) this.#place(child);
    return true;
  }

  /**
   * Moves a span placed under a farther owner's operation (a pod's termination under the rollout,
   * because its ReplicaSet's scale-down was not seen yet) to `parent`, the nearer owner's
   * operation that opened since — within one trace, before anything of it left. Returns false
   * (and changes nothing) otherwise.
   */
  moveUnder(span: PendingSpan, parent: PendingSpan): boolean {
    const from = span.parent;
    if (from === undefined || from === parent || span.state === 'emitted' || parent.state === 'emitted') return false;
    if (parent.root !== span.root) return false;
    for (let p: PendingSpan | undefined = parent; p !== undefined; p = p.parent) if (p === span) return false;
    from.removeChild(span);
    this.#attach(span, parent);
    return true;
  }

  /**
   * Moves a span placed tentatively (open's `tentative`) with its subtree under `parent`, into
   * parent's trace: nothing of it was announced or emitted. Returns false (and changes nothing)
   * when it is no longer tentative or either is emitted.
   */
  retake(span: PendingSpan, parent: PendingSpan): boolean {
    const from = span.parent;
    if (span.tentativeUntilMs === undefined || from === undefined || from === parent) return false;
    if (span.state === 'emitted' || parent.state === 'emitted') return false;
    for (let p: PendingSpan | undefined = parent; p !== undefined; p = p.parent) if (p === span) return false;
    from.removeChild(span);
    this.#attach(span, parent);
    this.#settleTentative(span);
    this.#maybeEmit(from);
    return true;
  }

  // Its tentative time passed (or another operation took it): its place is final once its
  // trace's is.
  #settleTentative(span: PendingSpan): void {
    if (span.tentativeUntilMs === undefined) return;
    span.tentativeUntilMs = undefined;
    if (span.placed) this.#place(span);
  }

  /** True while `span` is a root that an owner's operation may still adopt. */
  isAwaitingOwner(span: PendingSpan): boolean {
    return span.parent === undefined && span.awaitingOwnerUntilMs !== undefined;
  }

  /**
   * Moves record time to `nowMs`: roots whose adoption window has passed become roots for good,
   * closed spans whose linger has passed are emitted (when their children are).
   */
  advance(nowMs: number): void {
    if (nowMs > this.#nowMs) this.#nowMs = nowMs;
    for (let s = this.#provisional.popDue(this.#nowMs); s !== undefined; s = this.#provisional.popDue(this.#nowMs)) {
      this.#placeAsRoot(s);
    }
    for (let s = this.#tentative.popDue(this.#nowMs); s !== undefined; s = this.#tentative.popDue(this.#nowMs)) {
      this.#settleTentative(s);
    }
    for (let s = this.#lingering.popDue(this.#nowMs); s !== undefined; s = this.#lingering.popDue(this.#nowMs)) {
      this.#maybeEmit(s);
    }
  }

  /**
   * End of input: every waiting root becomes a root and every closed span is emitted without
   * waiting for its linger. Call after closing everything.
   */
  releaseAll(): void {
    this.#draining = true;
    try {
      for (let s = this.#provisional.popDue(Infinity); s !== undefined; s = this.#provisional.popDue(Infinity)) {
        this.#placeAsRoot(s);
      }
      for (let s = this.#tentative.popDue(Infinity); s !== undefined; s = this.#tentative.popDue(Infinity)) {
        this.#settleTentative(s);
      }
      for (let s = this.#lingering.popDue(Infinity); s !== undefined; s = this.#lingering.popDue(Infinity)) {
        this.#maybeEmit(s);
      }
    } finally {
      this.#draining = false;
    }
  }

  // Two operations from the same instant (a state seen again out of order) must not share an id;
  // the second gets a suffix, deterministically (DESIGN §3.5 invariant 6).
  #uniqueKey(key: string): string {
    let unique = key;
    for (let n = 2; this.#liveKeys.has(unique); n++) unique = `${key}#${n}`;
    this.#liveKeys.add(unique);
    return unique;
  }

  #attach(span: PendingSpan, parent: PendingSpan): void {
    span.parent = parent;
    parent.addChild(span);
    for (let p: PendingSpan | undefined = parent; p !== undefined; p = p.parent) {
      if (p.startMs > span.startMs) p.startMs = span.startMs;
    }
  }

  #announce(span: PendingSpan): void {
    if (span.announced) return;
    span.announced = true;
    this.#onOpen?.(span);
  }

  #placeAsRoot(span: PendingSpan): void {
    if (span.awaitingOwnerUntilMs === undefined || span.parent !== undefined) return;
    span.awaitingOwnerUntilMs = undefined;
    // It waited for an owner's operation to continue in; none came, so a settled one is done.
    if (span.isOpen && span.settledAtMs !== undefined) {
      this.close(span, span.settledAtMs, { outcome: 'ok', status: { code: 'ok' } });
    }
    this.#place(span);
  }

  // The subtree's place (and trace id) is final: tell onOpen, then emit what is ready, leaves first.
  #place(root: PendingSpan): void {
    const order: PendingSpan[] = [];
    const walk = (s: PendingSpan): void => {
      // A tentative subtree is placed when its tentative time ends (settleTentative).
      if (s.tentativeUntilMs !== undefined) return;
      this.#announce(s);
      for (const c of [...s.openChildren]) walk(c);
      order.push(s);
    };
    walk(root);
    for (const s of order) this.#maybeEmit(s);
  }

  /** Records a Kubernetes Event; a repeat of the same Event object replaces the earlier count. */
  addKubeEvent(span: PendingSpan, event: KubeEvent): void {
    if (span.state === 'emitted') return;
    span.setKubeEvent(event);
  }

  addEvent(span: PendingSpan, event: SpanEventData): void {
    if (span.state !== 'emitted') span.addEvent(event);
  }

  addLink(span: PendingSpan, link: SpanLinkData): void {
    if (span.state === 'emitted') return;
    if (span.links.some((l) => l.spanId === link.spanId && l.traceId === link.traceId)) return;
    span.addLink(link);
  }

  /** The operation reached its goal at `atMs` but stays open for a continuation. */
  settle(span: PendingSpan, atMs: number): void {
    if (span.isOpen) span.settledAtMs = atMs;
  }

  unsettle(span: PendingSpan): void {
    span.settledAtMs = undefined;
  }

  /**
   * Ends a span's own work at `endMs`. It is emitted as soon as all its children are emitted;
   * settled children are closed at their settle time. Closing twice is a no-op.
   */
  close(span: PendingSpan, endMs: number, spec: CloseSpec): void {
    if (!span.isOpen) return;
    span.state = 'closing';
    span.endMs = Math.max(endMs, span.startMs);
    // Evidence of the span's time may still be on its way (informer skew, audit batches) unless
    // the span ended longer than the window ago (an activity window closed by a late tick).
    const ownEnd = Math.max(span.endMs, span.childMaxEndMs, spec.coversUntilMs ?? -Infinity);
    if (this.#windowMs > 0 && Number.isFinite(this.#nowMs) && ownEnd + this.#windowMs > this.#nowMs) {
      span.lingerUntilMs = this.#nowMs + this.#windowMs;
      this.#lingering.push(span, span.lingerUntilMs);
    }
    span.attributes[ATTR.outcome] = spec.outcome;
    if (spec.status !== undefined) span.status = spec.status;
    for (const child of [...span.openChildren]) {
      if (child.isOpen && child.settledAtMs !== undefined) {
        this.close(child, child.settledAtMs, { outcome: 'ok', status: { code: 'ok' } });
      }
    }
    this.#maybeEmit(span);
  }

  /**
   * Takes a close back: late evidence shows `span`'s operation went on (a pod's deletion seen after
   * the termination only Events showed had closed for want of evidence). Its outcome, status and
   * end are withdrawn; a later close ends it. False (nothing changes) unless it is closed and not
   * emitted — an emitted span id is never sent again.
   */
  reopen(span: PendingSpan): boolean {
    if (span.state !== 'closing') return false;
    span.state = 'open';
    span.endMs = undefined;
    span.lingerUntilMs = -Infinity;
    span.status = UNSET;
    delete span.attributes[ATTR.outcome];
    return true;
  }

  /**
   * Until releaseEmission(), spans whose work ends stay `closing` (joinable with `joinClosing`)
   * instead of being emitted. Not nestable; releaseEmission() without it is a no-op.
   */
  deferEmission(): void {
    this.#deferring = true;
  }

  /** Emits what deferEmission() held back, in the order it was closed. */
  releaseEmission(): void {
    if (!this.#deferring) return;
    this.#deferring = false;
    const held = this.#deferred.splice(0);
    for (const span of held) this.#maybeEmit(span);
  }

  /**
   * The latest evidence `span` holds — its start, settle time, span events, Kubernetes Events and
   * children — capped at `capMs`: where an operation still open at the end of input ends
   * (`unfinished`), instead of being stretched to the end of the replay.
   */
  lastEvidenceMs(span: PendingSpan, capMs: number): number {
    let last = Math.max(span.startMs, span.settledAtMs ?? -Infinity, span.childMaxEndMs);
    for (const e of span.events) last = Math.max(last, e.timeMs);
    for (const e of span.kubeEvents.values()) last = Math.max(last, e.lastMs);
    for (const c of span.openChildren) last = Math.max(last, c.endMs ?? this.lastEvidenceMs(c, capMs));
    return Math.max(span.startMs, Math.min(last, capMs));
  }

  /** Takes the spans emitted since the last call, in emission order. */
  takeBatch(): SpanData[] {
    const out = this.#batch;
    this.#batch = [];
    return out;
  }

  #maybeEmit(span: PendingSpan): void {
    if (span.state !== 'closing' || span.openChildren.size > 0) return;
    // Its place may still change, or late evidence may still join it (ADR 0004).
    if (!span.placed || (!this.#draining && span.lingerUntilMs > this.#nowMs)) return;
    if (this.#deferring) {
      if (!this.#deferred.includes(span)) this.#deferred.push(span);
      return;
    }
    span.state = 'emitted';
    this.#liveKeys.delete(span.key);
    const parent = span.parent;
    const endMs = Math.max(span.endMs ?? span.startMs, span.childMaxEndMs);
    if (endMs <= span.startMs && parent !== undefined && parent.state !== 'emitted') {
      this.#foldIntoParent(span, parent);
    } else {
      this.#emit(span, endMs);
    }
    if (parent !== undefined) {
      parent.removeChild(span);
      if (endMs > parent.childMaxEndMs) parent.childMaxEndMs = endMs;
      this.#maybeEmit(parent);
    }
  }

  // An instantaneous fact is a span event, not a zero-length span (DESIGN §3.5 invariant 2).
  // Its error status travels as event attributes and its links move to the parent, so the fold
  // loses nothing a user would look for.
  #foldIntoParent(span: PendingSpan, parent: PendingSpan): void {
    const attributes: Record<string, AttrValue> = { ...span.attributes };
    if (span.status.code === 'error') {
      attributes['otel.status_code'] = 'ERROR';
      attributes['otel.status_description'] = span.status.message;
    }
    parent.addEvent({ name: span.name, timeMs: span.startMs, attributes });
    for (const e of span.events) parent.addEvent(e);
    for (const e of span.kubeEvents.values()) parent.setKubeEvent(e);
    for (const l of span.links) this.addLink(parent, l);
  }

  #emit(span: PendingSpan, endMs: number): void {
    const instant = endMs <= span.startMs;
    const attributes = instant ? { ...span.attributes, 'kubestitch.instant': true } : span.attributes;
    const events = [...span.events, ...[...span.kubeEvents.values()].map(kubeEventToSpanEvent)];
    events.sort(compareEvents);
    const data: SpanData = {
      traceId: span.traceId,
      spanId: span.spanId,
      ...(span.parent !== undefined ? { parentSpanId: span.parent.spanId } : {}),
      name: span.name,
      kind: span.kind,
      startMs: span.startMs,
      endMs: instant ? span.startMs + INSTANT_ROOT_MS : endMs,
      resource: { attributes: span.resource },
      attributes: sortedAttributes(attributes),
      events,
      links: [...span.links].sort((a, b) => (a.spanId < b.spanId ? -1 : a.spanId > b.spanId ? 1 : 0)),
      status: span.status,
    };
    this.#batch.push(data);
    this.#emittedCount++;
    this.#onEmitted?.(span, data.endMs);
  }
}

function compareEvents(a: SpanEventData, b: SpanEventData): number {
  if (a.timeMs !== b.timeMs) return a.timeMs - b.timeMs;
  if (a.name !== b.name) return a.name < b.name ? -1 : 1;
  const sa = JSON.stringify(sortedAttributes(a.attributes));
  const sb = JSON.stringify(sortedAttributes(b.attributes));
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

function sortedAttributes(attrs: Attributes): Attributes {
  const out: Record<string, AttrValue> = {};
  for (const k of Object.keys(attrs).sort()) {
    const v = attrs[k];
    if (v !== undefined) out[k] = v;
  }
  return out;
}
