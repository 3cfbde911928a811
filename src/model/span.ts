/**
 * kubestitch's own span model: what synth produces and export encodes. Plain data, independent of
 * the OTel SDK, so graph/synth stay free of I/O and of SDK types.
 */
export type AttrValue = string | number | boolean | readonly string[];
export type Attributes = Readonly<Record<string, AttrValue>>;

export type SpanKind = 'internal' | 'server' | 'client' | 'producer' | 'consumer';
export type SpanStatus =
  { readonly code: 'unset' } | { readonly code: 'ok' } | { readonly code: 'error'; readonly message: string };

export interface SpanEventData {
  readonly name: string;
  /** Epoch milliseconds, fraction allowed. */
  readonly timeMs: number;
  readonly attributes: Attributes;
}

export interface SpanLinkData {
  readonly traceId: string;
  readonly spanId: string;
  readonly attributes: Attributes;
}

/** The resource a span belongs to: the actor that did the work (DESIGN §3.3). */
export interface ResourceData {
  readonly attributes: Attributes;
}

export interface SpanData {
  /** 32 lower-case hex chars. */
  readonly traceId: string;
  /** 16 lower-case hex chars. */
  readonly spanId: string;
  /** Absent for a trace root. */
  readonly parentSpanId?: string;
  readonly name: string;
  readonly kind: SpanKind;
  /** Epoch milliseconds, fraction allowed; always < endMs for synthesized spans (DESIGN §3.5). */
  readonly startMs: number;
  readonly endMs: number;
  readonly resource: ResourceData;
  readonly attributes: Attributes;
  readonly events: readonly SpanEventData[];
  readonly links: readonly SpanLinkData[];
  readonly status: SpanStatus;
}
