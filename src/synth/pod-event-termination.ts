import type { SlimObject } from '../graph/slim.js';
import { ATTR } from '../model/attributes.js';
import { spanIdsFor } from '../model/ids.js';
import type { KubeEvent } from '../model/records.js';
import type { AttrValue, SpanEventData } from '../model/span.js';
import { refineTime } from './context.js';
import { TIMESTAMP_SLACK_MS } from './operation-index.js';
import type { PendingSpan } from './pending-span.js';
import { rememberRecent } from './recent-map.js';
import type { SpanTree } from './span-tree.js';
import { TimerQueue } from './timer-queue.js';

/** `kubestitch.close_reason` of a termination only Events showed, once the pod is seen running again. */
export const RUNNING_AGAIN_REASON = 'pod-running-again';
/** `kubestitch.close_reason` of one closed because nothing more of it came (as Events-only workload operations). */
export const NO_FURTHER_EVIDENCE_REASON = 'no-further-evidence';

// A pod's deletion ends with its DELETED record once its containers stopped (the grace period);
// an Event-opened termination with nothing more of it for this long beyond the grace period will
// not see one (Events-only input, a Killing of a pod that was not deleted, a name reused).
export const EVENT_TERMINATION_IDLE_MS = 60_000;

// Ended Event-only terminations remembered for a deletion of their pod seen later (see ended).
const MAX_ENDED = 10_000;

export type LateDeletion =
  { readonly kind: 'new' | 'ended' } | { readonly kind: 'reopened'; readonly span: PendingSpan };

/** An Event-only termination that closed on evidence: its span while not emitted, and its end. */
export interface EndedKill {
  readonly span: WeakRef<PendingSpan>;
  readonly endMs: number;
}

/**
 * Pod terminations only Events showed (the kubelet's Killing, an owner's SuccessfulDelete naming
 * the pod) while no record of the pod showed its deletion. Nothing may ever end them (no DELETED
 * record comes for a pod that was not deleted), so each ends on evidence: the pod seen running
 * again after the kill, or no further evidence of the termination for the grace period plus
 * EVENT_TERMINATION_IDLE_MS. Record time drives both, so live and a replay of its recording end
 * them alike. Holds open terminations, and those that closed until their pod's deletion is seen
 * (at most MAX_ENDED, oldest forgotten first: a pod never deleted leaves no other trace here).
 */
export class EventTerminations {
  /** Grace period (ms) of each open Event-only termination, by pod uid. */
  readonly #graceMs = new Map<string, number>();
  readonly #timers = new TimerQueue();
  /** Those closed on evidence, by pod uid, oldest first (at most MAX_ENDED). */
  readonly #ended = new Map<string, EndedKill>();

  /** Pods held: open terminations and ended ones remembered. */
  get size(): number {
    return this.#graceMs.size + this.#ended.size;
  }

  has(uid: string): boolean {
    return this.#graceMs.has(uid);
  }

  open(uid: string, requestedMs: number, graceS: number): void {
    const graceMs = graceS * 1000;
    this.#graceMs.set(uid, graceMs);
    this.#timers.push(uid, requestedMs + graceMs + EVENT_TERMINATION_IDLE_MS);
  }

  /** The termination closed, or a record now shows the deletion (it ends as any other then). */
  forget(uid: string): void {
    this.#graceMs.delete(uid);
  }

  /**
   * The termination of `uid` closed on evidence (`span`, just closed): a record of the pod's
   * deletion may still come — the pod's records were late or missing — and is this one kill's.
   */
  ended(uid: string, span: PendingSpan): void {
    rememberRecent(this.#ended, uid, { span: new WeakRef(span), endMs: span.endMs ?? span.startMs }, MAX_ENDED);
  }

  forgetEnded(uid: string): void {
    this.#ended.delete(uid);
  }

  /** A record of `uid`'s deletion after its termination ended (see lateDeletion); forgets it. */
  lateDeletion(uid: string, requestedMs: number, tree: SpanTree): LateDeletion {
    const late = lateDeletion(this.#ended.get(uid), requestedMs, tree);
    this.#ended.delete(uid);
    return late;
  }

  /**
   * Uids whose termination has had no evidence since `lastEvidenceMs(uid)` for its grace period
   * plus the idle time at `nowMs`; the others are checked again when that time comes.
   */
  popIdle(nowMs: number, lastEvidenceMs: (uid: string) => number | undefined): string[] {
    const out: string[] = [];
    for (const uid of this.#timers.popDue(nowMs)) {
      const graceMs = this.#graceMs.get(uid);
      const last = graceMs === undefined ? undefined : lastEvidenceMs(uid);
      if (graceMs === undefined || last === undefined) continue;
      const dueMs = last + graceMs + EVENT_TERMINATION_IDLE_MS;
      if (dueMs > nowMs) this.#timers.push(uid, dueMs);
      else out.push(uid);
    }
    return out;
  }
}

/**
 * True when `pod`, with no deletion, shows it ran on after a termination requested at
 * `requestedMs`: Ready again, or a container started, after it (second-precision times, so
 * strictly later than the request's second — the kubelet restarted the container, or the pod the
 * Event meant by name was an older one).
 */
export function runningAgain(pod: SlimObject, requestedMs: number): boolean {
  if (pod.deletionMs !== undefined) return false;
  const after = (ms: number | undefined): boolean =>
    ms !== undefined && ms >= Math.floor(requestedMs / 1000) * 1000 + 1000;
  const ready = pod.conditions['Ready'];
  if (ready?.status === 'True' && after(ready.lastTransitionMs)) return true;
  return pod.containerStatuses.some((c) => c.state === 'running' && after(c.startedMs));
}

/**
 * What a record showing a pod's deletion, requested at `requestedMs`, means when the pod already
 * had a termination that ended without one (a pod is deleted once, and one kill is one
 * termination, so it never opens a second, instant one with the same span id):
 * - `new`: the termination Events showed closed on evidence and this deletion was requested after
 *   its end (the killed pod ran on, or a later delete): a termination of its own.
 * - `reopened`: that termination closed and is not exported yet: it goes on as an ordinary one
 *   (close_reason withdrawn) and the deletion ends it, as if the record had come before the close.
 * - `ended`: the termination was exported (its id is never sent again), or ended at its maximum
 *   age: nothing opens; the pod's DELETED is a `pod deleted` span event naming it.
 */
function lateDeletion(ended: EndedKill | undefined, requestedMs: number, tree: SpanTree): LateDeletion {
  if (ended === undefined) return { kind: 'ended' };
  if (requestedMs > ended.endMs + TIMESTAMP_SLACK_MS) return { kind: 'new' };
  const span = ended.span.deref();
  if (span === undefined || !tree.reopen(span)) return { kind: 'ended' };
  delete span.attributes['kubestitch.close_reason'];
  return { kind: 'reopened', span };
}
// An Event's time has one-second precision, refined by its receive time as object times are —
// unless it has milliseconds already (a MicroTime eventTime, or the kubelet's Killing that
// event-evidence re-dated): refined again it would move up to a second later.
export function eventSeenMs(event: KubeEvent, receivedMs: number): number {
  return event.lastMs % 1000 === 0 ? refineTime(event.lastMs, receivedMs) : event.lastMs;
}

/**
 * A pod's deletion as an instant fact (deleted without a graceful phase, or after its termination
 * was exported: lateDeletion); `cluster` given when the pod had a termination, which it names.
 */
export function podDeletedEvent(pod: SlimObject, atMs: number, cluster: string | undefined): SpanEventData {
  const attributes: Record<string, AttrValue> = { [ATTR.podName]: pod.name, [ATTR.podUid]: pod.uid };
  if (cluster !== undefined) {
    attributes['kubestitch.termination.span_id'] = spanIdsFor(cluster, `${pod.uid}/termination`).spanId;
  }
  return { name: 'pod deleted', timeMs: atMs, attributes };
}
