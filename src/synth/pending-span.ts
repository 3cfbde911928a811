import type { KubeEvent } from '../model/records.js';
import type { AttrValue, Attributes, SpanEventData, SpanKind, SpanLinkData, SpanStatus } from '../model/span.js';

/** Lifecycle of a span under construction. */
export type PendingState = 'open' | 'closing' | 'emitted';

/**
 * A span that synth is still building. Mutable by design: operations fill it in as records
 * arrive; SpanTree turns it into immutable SpanData once it and all its children are closed.
 */
export class PendingSpan {
  readonly key: string;
  readonly traceId: string;
  readonly spanId: string;
  readonly parent: PendingSpan | undefined;
  readonly kind: SpanKind;
  resource: Attributes;
  readonly attributes: Record<string, AttrValue>;
  readonly events: SpanEventData[] = [];
  /** Kubernetes Events by Event key: a repeated Event updates its entry, it never adds one. */
  readonly kubeEvents = new Map<string, KubeEvent>();
  readonly links: SpanLinkData[] = [];
  readonly openChildren = new Set<PendingSpan>();
  name: string;
  startMs: number;
  /** The span's own end (its operation's end condition); children may extend it. */
  endMs: number | undefined;
  status: SpanStatus = { code: 'unset' };
  state: PendingState = 'open';
  /** When an operation reached its goal but may still continue (e.g. the next scale step). */
  settledAtMs: number | undefined;
  /** Latest end among emitted children. */
  childMaxEndMs = -Infinity;

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
    this.traceId = init.traceId;
    this.spanId = init.spanId;
    this.parent = init.parent;
    this.kind = init.kind;
    this.name = init.name;
    this.startMs = init.startMs;
    this.resource = init.resource;
    this.attributes = init.attributes;
  }

  get isOpen(): boolean {
    return this.state === 'open';
  }
}
