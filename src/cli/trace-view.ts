/**
 * The flat span shape the terminal views (`kubestitch trace`, the replay summary) draw from,
 * built from the store's SpanData or from the query API's Jaeger JSON, so each source needs one
 * small adapter and the rendering one code path.
 */
import { ATTR, OPERATION } from '../model/attributes.js';
import type { SpanData } from '../model/span.js';

export interface ViewSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId?: string;
  readonly name: string;
  /** service.name, plus /controller or @node: who did it. */
  readonly actor: string;
  readonly startMs: number;
  readonly endMs: number;
  readonly outcome?: string;
  readonly error: boolean;
  /** `kubestitch.operation`, when it is one of kubestitch's operation spans. */
  readonly operation?: string;
  /** The object it is about, `Kind ns/name` (or `Kind name`). */
  readonly object?: string;
}

type Attrs = Readonly<Record<string, unknown>>;

function text(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

export function actorOf(resource: Attrs): string {
  let out = text(resource[ATTR.serviceName]) ?? '?';
  const controller = text(resource['kubestitch.controller.name']);
  const node = text(resource[ATTR.nodeName]);
  if (controller !== undefined) out += `/${controller}`;
  if (node !== undefined) out += `@${node}`;
  return out;
}

export function objectOf(attrs: Attrs): string | undefined {
  const kind = text(attrs[ATTR.objectKind]);
  const name = text(attrs[ATTR.objectName]);
  if (kind === undefined || name === undefined) return undefined;
  const ns = text(attrs[ATTR.namespaceName]);
  return `${kind} ${ns !== undefined && kind !== 'Node' ? `${ns}/` : ''}${name}`;
}

/** A view of one span; `resource` and `attributes` as stored or as decoded from Jaeger tags. */
export function viewSpan(
  ids: { traceId: string; spanId: string; parentSpanId?: string | undefined },
  name: string,
  startMs: number,
  endMs: number,
  resource: Attrs,
  attributes: Attrs,
  error: boolean,
): ViewSpan {
  const outcome = text(attributes[ATTR.outcome]);
  const operation = text(attributes[ATTR.operation]);
  const object = objectOf(attributes);
  return {
    traceId: ids.traceId,
    spanId: ids.spanId,
    ...(ids.parentSpanId !== undefined ? { parentSpanId: ids.parentSpanId } : {}),
    name,
    actor: actorOf(resource),
    startMs,
    endMs,
    error: error || (outcome !== undefined && FAILING.has(outcome)),
    ...(outcome !== undefined ? { outcome } : {}),
    ...(operation !== undefined ? { operation } : {}),
    ...(object !== undefined ? { object } : {}),
  };
}

const FAILING: ReadonlySet<string> = new Set(['failed', 'progress-deadline-exceeded']);

export function fromSpanData(s: SpanData): ViewSpan {
  return viewSpan(s, s.name, s.startMs, s.endMs, s.resource.attributes, s.attributes, s.status.code === 'error');
}

/** Operation spans a person asks about; activity windows and phases are context, not operations. */
export function isOperation(s: ViewSpan): boolean {
  return (
    s.operation !== undefined &&
    s.operation !== OPERATION.activityWindow &&
    s.operation !== OPERATION.podPhase &&
    s.outcome !== undefined
  );
}
