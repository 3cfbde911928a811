import { ATTR } from '../model/attributes.js';
import type { SpanData, SpanEventData } from '../model/span.js';
import { type InProgress, inProgress } from '../synth/in-progress.js';
import { kubeEventToSpanEvent } from '../synth/kube-event-span-event.js';
import type { PendingSpan } from '../synth/pending-span.js';
import type { OpenOperation, OpenOperationsSource } from '../ui/open-operations.js';

/**
 * The live synthesizer's open operations for the query API and viewer (issue 15). Reads synth's
 * state between records (one thread: never a half-applied record); ids are the ones the spans
 * will be exported under.
 */
export class LiveOpenOperations implements OpenOperationsSource {
  readonly #synth: { readonly inProgress: InProgress };

  constructor(synth: { readonly inProgress: InProgress }) {
    this.#synth = synth;
  }

  list(nowMs: number): readonly OpenOperation[] {
    const progress = this.#synth.inProgress;
    return progress.roots().map((root) => ({
      traceID: root.traceId,
      spanID: root.spanId,
      operation: root.name,
      kind: String(root.attributes[ATTR.objectKind] ?? ''),
      namespace: String(root.attributes[ATTR.namespaceName] ?? ''),
      name: String(root.attributes[ATTR.objectName] ?? ''),
      startTime: Math.round(root.startMs * 1000),
      elapsedMs: Math.max(0, Math.round(nowMs - root.startMs)),
      waitingOn: progress.waitingOn(root, nowMs),
    }));
  }

  /**
   * The trace's spans not exported yet: open ones — and closed ones above an open span, whose end
   * will grow over it — drawn to `nowMs` with `kubestitch.open=true`; closed ones still waiting
   * out the adoption window with their own end (without them a closed parent of exported children
   * would be missing from the tree for up to 15 s).
   */
  openSpans(traceId: string, nowMs: number): readonly SpanData[] {
    return this.#synth.inProgress.pendingSpans(traceId).map((s) => toSpanData(s, nowMs));
  }
}

function toSpanData(s: PendingSpan, nowMs: number): SpanData {
  const open = inProgress(s);
  const ownEnd = Math.max(s.endMs ?? s.startMs, s.childMaxEndMs);
  // A parent covers its children (DESIGN §3.5): an open span reaches now, or past a child's end.
  const endMs = Math.max(open ? nowMs : ownEnd, s.childMaxEndMs, s.startMs + 1);
  const events: SpanEventData[] = [...s.events, ...[...s.kubeEvents.values()].map(kubeEventToSpanEvent)];
  events.sort((a, b) => a.timeMs - b.timeMs);
  return {
    traceId: s.traceId,
    spanId: s.spanId,
    ...(s.parent !== undefined ? { parentSpanId: s.parent.spanId } : {}),
    name: s.name,
    kind: s.kind,
    startMs: s.startMs,
    endMs,
    resource: { attributes: s.resource },
    attributes: open ? { ...s.attributes, [ATTR.open]: true } : { ...s.attributes },
    events,
    links: [...s.links],
    status: s.status,
  };
}
