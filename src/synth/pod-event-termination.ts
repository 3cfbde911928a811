import type { SlimObject } from '../graph/slim.js';
import { TimerQueue } from './timer-queue.js';

/** `kubestitch.close_reason` of a termination only Events showed, once the pod is seen running again. */
export const RUNNING_AGAIN_REASON = 'pod-running-again';
/** `kubestitch.close_reason` of one closed because nothing more of it came (as Events-only workload operations). */
export const NO_FURTHER_EVIDENCE_REASON = 'no-further-evidence';

// A pod's deletion ends with its DELETED record once its containers stopped (the grace period);
// an Event-opened termination with nothing more of it for this long beyond the grace period will
// not see one (Events-only input, a Killing of a pod that was not deleted, a name reused).
export const EVENT_TERMINATION_IDLE_MS = 60_000;

/**
 * Pod terminations only Events showed (the kubelet's Killing, an owner's SuccessfulDelete naming
 * the pod) while no record of the pod showed its deletion. Nothing may ever end them (no DELETED
 * record comes for a pod that was not deleted), so each ends on evidence: the pod seen running
 * again after the kill, or no further evidence of the termination for the grace period plus
 * EVENT_TERMINATION_IDLE_MS. Record time drives both, so live and a replay of its recording end
 * them alike. Holds only open terminations (the tracker forgets each as it closes).
 */
export class EventTerminations {
  /** Grace period (ms) of each open Event-only termination, by pod uid. */
  readonly #graceMs = new Map<string, number>();
  readonly #timers = new TimerQueue();

  get size(): number {
    return this.#graceMs.size;
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
