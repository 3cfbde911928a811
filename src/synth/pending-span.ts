import type { KubeEvent } from '../model/records.js';
import type { AttrValue, Attributes, SpanEventData, SpanKind, SpanLinkData, SpanStatus } from '../model/span.js';

/** Lifecycle of a span under construction. */
export type PendingState = 'open' | 'closing' | 'emitted';

/**
 * A span that synth is still building. Mutable by design: operations fill it in as records
 * arrive; SpanTree turns it into immutable SpanData once it and all its children are closed and
 * its place in the forest is settled (ADR 0004).
 */
export class PendingSpan {
  readonly key: string;
  readonly spanId: string;
  /** The trace id this span gives its trace when it is the root. */
  readonly ownTraceId: string;
  /** Set once; a provisional root gets one when its owner's operation adopts it. */
  parent: PendingSpan | undefined;
  readonly kind: SpanKind;
  resource: Attributes;
  readonly attributes: Record<string, AttrValue>;
  // The collections below are made on first use and the children's set is dropped when it empties:
  // most spans never get a Kubernetes Event, a link or a child, and a storm of pending pods holds
  // two open spans per pod (the empty Map, Set and two arrays were ~400 B of each).
  #events: SpanEventData[] | undefined;
  #kubeEvents: Map<string, KubeEvent> | undefined;
  #links: SpanLinkData[] | undefined;
  #openChildren: Set<PendingSpan> | undefined;
  name: string;
  startMs: number;
  /** The span's own end (its operation's end condition); children may extend it. */
  endMs: number | undefined;
  status: SpanStatus = UNSET;
  state: PendingState = 'open';
  /** When an operation reached its goal but may still continue (e.g. the next scale step). */
  settledAtMs: number | undefined;
  /** Latest end among emitted children. */
  childMaxEndMs = -Infinity;
  /**
   * A root whose owner's operation may still arrive: until this record time it may be adopted,
   * and nothing of its subtree is emitted (ADR 0004). Undefined once its place is settled.
   */
  awaitingOwnerUntilMs: number | undefined;
  /**
   * Under its parent only tentatively until this record time: a later operation (its owner's
   * deletion, seen late) may still take it into its own trace, so nothing of it is announced or
   * emitted before (SpanTree.retake). Undefined once its place is settled.
   */
  tentativeUntilMs: number | undefined;
  /** Record time before which a closed span is not emitted: late evidence may still join it. */
  lingerUntilMs = -Infinity;
  /** Whether onOpen has seen this span (it is told once the span's place is settled). */
  announced = false;

  constructor(init: {
    key: string;
    traceId: string;
    spanId: string;
    parent: PendingSpan | undefined;
    kind: SpanKind;
    name: string;
    startMs: number;
    resource: Attributes;
    attributes: Record<string, AttrValue>;
  }) {
    this.key = init.key;
    this.ownTraceId = init.traceId;
    this.spanId = init.spanId;
    this.parent = init.parent;
    this.kind = init.kind;
    this.name = init.name;
    this.startMs = init.startMs;
    this.resource = init.resource;
    this.attributes = init.attributes;
  }

  get events(): readonly SpanEventData[] {
    return this.#events ?? NONE;
  }

  /** Kubernetes Events by Event key: a repeated Event updates its entry, it never adds one. */
  get kubeEvents(): ReadonlyMap<string, KubeEvent> {
    return this.#kubeEvents ?? NO_KUBE_EVENTS;
  }

  get links(): readonly SpanLinkData[] {
    return this.#links ?? NONE;
  }

  /** Children not emitted yet (open, closing, or waiting for their own place to settle). */
  get openChildren(): ReadonlySet<PendingSpan> {
    return this.#openChildren ?? NO_CHILDREN;
  }

  addEvent(event: SpanEventData): void {
    (this.#events ??= []).push(event);
  }

  setKubeEvent(event: KubeEvent): void {
    (this.#kubeEvents ??= new Map()).set(event.key, event);
  }

  addLink(link: SpanLinkData): void {
    (this.#links ??= []).push(link);
  }

  addChild(child: PendingSpan): void {
    (this.#openChildren ??= new Set()).add(child);
  }

  removeChild(child: PendingSpan): void {
    const children = this.#openChildren;
    if (children?.delete(child) === true && children.size === 0) this.#openChildren = undefined;
  }

  /** The trace id of the span's root: decided by where the span is placed, not where it opened. */
  get traceId(): string {
    return this.root.ownTraceId;
  }

  get root(): PendingSpan {
    return this.parent === undefined ? this : this.parent.root;
  }

  /** True when no span on the way to the root may still be adopted or taken: the trace id is final. */
  get placed(): boolean {
    if (this.tentativeUntilMs !== undefined) return false;
    return this.parent === undefined ? this.awaitingOwnerUntilMs === undefined : this.parent.placed;
  }

  get isOpen(): boolean {
    return this.state === 'open';
  }
}

/** The status of a span not ended yet; shared (frozen), every change assigns a new status. */
export const UNSET: SpanStatus = Object.freeze({ code: 'unset' });
const NONE: readonly never[] = Object.freeze([]);
const NO_KUBE_EVENTS: ReadonlyMap<string, KubeEvent> = new Map();
const NO_CHILDREN: ReadonlySet<PendingSpan> = new Set();
