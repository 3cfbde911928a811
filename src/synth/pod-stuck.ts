/**
 * Stuck is an outcome (issue "What is happening now"): a pod startup whose kubelet keeps backing
 * off (a pull that fails, a container that crashes) or that no node fits ends, once that has
 * lasted past a threshold, with `image-pull-backoff`, `crash-loop-backoff` or `unschedulable` and
 * an ERROR status saying why, in the words of the evidence. Pure: PodTracker feeds it pod versions
 * and asks which startups are due.
 */
import type { SlimObject } from '../graph/slim.js';
import { OUTCOME, type Outcome } from '../model/attributes.js';
import type { KubeEvent } from '../model/records.js';
import { refineTime } from './context.js';
import { containerOfFieldPath } from './pod-event-placement.js';

/** How long each kind of stuck must last before the startup ends with it. */
export interface StuckThresholds {
  /** ImagePullBackOff / ErrImagePull / CrashLoopBackOff, from the first one seen. */
  readonly backoffMs: number;
  /** PodScheduled=False (Unschedulable), from its lastTransitionTime. */
  readonly unschedulableMs: number;
}

/**
 * A back-off is the kubelet's own verdict that an attempt failed, but one failure is not stuck:
 * registries rate-limit, images are pushed a little late, apps crash until their database is up.
 * A minute covers the kubelet's first back-offs (10 s, 20 s, 40 s). An unschedulable pod often
 * waits for the cluster autoscaler to add a node, which takes minutes: five of them.
 */
export const DEFAULT_STUCK_THRESHOLDS: StuckThresholds = { backoffMs: 60_000, unschedulableMs: 300_000 };

const BACKOFF_OUTCOME: Readonly<Record<string, Outcome>> = {
  ImagePullBackOff: OUTCOME.imagePullBackoff,
  ErrImagePull: OUTCOME.imagePullBackoff,
  CrashLoopBackOff: OUTCOME.crashLoopBackoff,
};

/** The verdict: end the startup at `atMs` with `outcome` and an ERROR status `message`. */
export interface StuckVerdict {
  readonly outcome: Outcome;
  readonly atMs: number;
  readonly message: string;
}

interface Backoff {
  readonly sinceMs: number;
  outcome: Outcome;
  container: string;
  reason: string;
  message: string;
  restarts: number;
  /** Already backing off when the pod was first seen (kubestitch started, or relisted, meanwhile). */
  readonly atFirstSight: boolean;
  /** At first sight, when the container's previous run began (lastState.terminated.startedAt). */
  readonly lastStartedMs: number | undefined;
}

interface Unschedulable {
  readonly sinceMs: number;
  message: string;
}

/** What one open pod startup has shown of being stuck, from every version of the pod. */
export class StuckEvidence {
  #backoff: Backoff | undefined;
  #unschedulable: Unschedulable | undefined;
  #observed = false;

  /** Folds in one pod version observed at `recordMs`. */
  observe(pod: SlimObject, recordMs: number): void {
    this.#observeBackoff(pod, recordMs);
    this.#observed = true;
    const scheduled = pod.conditions['PodScheduled'];
    if (scheduled?.status === 'True' || pod.nodeName !== undefined) this.#unschedulable = undefined;
    else if (scheduled?.status === 'False' && scheduled.reason === 'Unschedulable') {
      this.#unschedulable ??= { sinceMs: refineTime(scheduled.lastTransitionMs, recordMs), message: '' };
      this.#unschedulable.message = scheduled.message;
    }
  }

  #observeBackoff(pod: SlimObject, recordMs: number): void {
    const stuck = pod.containerStatuses.find((c) => c.state === 'waiting' && BACKOFF_OUTCOME[c.reason] !== undefined);
    const b = this.#backoff;
    if (stuck === undefined) {
      // A pull that failed and then worked: its container ran. A crash loop stays a crash loop
      // between crashes (the container runs for a moment each time) until the pod is Ready.
      const pulled = pod.containerStatuses.some((c) => c.name === b?.container && c.state !== 'waiting');
      if (b?.outcome === OUTCOME.imagePullBackoff && pulled) this.#backoff = undefined;
      return;
    }
    const next = this.#backoff ?? {
      sinceMs: recordMs,
      outcome: OUTCOME.ok,
      container: '',
      reason: '',
      message: '',
      restarts: 0,
      atFirstSight: !this.#observed,
      lastStartedMs: stuck.restartCount >= 2 ? stuck.lastStartedMs : undefined,
    };
    next.outcome = BACKOFF_OUTCOME[stuck.reason] ?? OUTCOME.failed;
    next.container = stuck.name;
    next.reason = stuck.reason;
    next.message = stuck.message;
    next.restarts = stuck.restartCount;
    this.#backoff = next;
  }

  /** When the startup will be stuck if nothing changes; undefined when nothing is stuck. */
  dueMs(thresholds: StuckThresholds, events: Iterable<KubeEvent>): number | undefined {
    const times = [
      this.#backoff === undefined ? Infinity : backoffSinceMs(this.#backoff, events) + thresholds.backoffMs,
      this.#unschedulable === undefined ? Infinity : this.#unschedulable.sinceMs + thresholds.unschedulableMs,
    ];
    const due = Math.min(...times);
    return Number.isFinite(due) ? due : undefined;
  }

  /**
   * The verdict at `nowMs`, or undefined while nothing has been stuck for its threshold. The
   * pod's Events (kubelet `Failed` notes name the cause of a failed pull) complete the message.
   */
  verdict(nowMs: number, thresholds: StuckThresholds, events: Iterable<KubeEvent>): StuckVerdict | undefined {
    const b = this.#backoff;
    const u = this.#unschedulable;
    const backoffAt = b === undefined ? Infinity : backoffSinceMs(b, events) + thresholds.backoffMs;
    const unschedulableAt = u === undefined ? Infinity : u.sinceMs + thresholds.unschedulableMs;
    if (b !== undefined && backoffAt <= nowMs && backoffAt <= unschedulableAt) {
      return { outcome: b.outcome, atMs: backoffAt, message: backoffMessage(b, events) };
    }
    if (u !== undefined && unschedulableAt <= nowMs) {
      const message = u.message !== '' ? u.message : (lastNote(events, 'FailedScheduling') ?? 'no node fits the pod');
      return { outcome: OUTCOME.unschedulable, atMs: unschedulableAt, message: `unschedulable: ${message}` };
    }
    return undefined;
  }
}

/**
 * When a back-off began. One first seen under way began before that sight, and its kubelet's
 * Events of the container say when they first happened (firstTimestamp), as a pod watched
 * through would have shown it — else the verdict would come a first sight late. A pull: its
 * Failed and BackOff Events. A crash loop (a startup is open at first sight only for a pod never
 * Ready, so this is its one episode): its BackOff "Back-off restarting failed container" Events,
 * which the kubelet records in the sync that first shows CrashLoopBackOff (doBackOff); without
 * them, a container restarted twice or more had backed off before its last run began — the
 * kubelet restarts at once after the first exit only.
 */
function backoffSinceMs(b: Backoff, events: Iterable<KubeEvent>): number {
  if (!b.atFirstSight) return b.sinceMs;
  const pull = b.outcome === OUTCOME.imagePullBackoff;
  if (!pull && b.outcome !== OUTCOME.crashLoopBackoff) return b.sinceMs;
  let since = pull ? b.sinceMs : Math.min(b.sinceMs, b.lastStartedMs ?? Infinity);
  for (const e of events) {
    if (containerOfFieldPath(e.regarding.fieldPath) !== b.container) continue;
    const dates = pull
      ? e.reason === 'Failed' || e.reason === 'BackOff'
      : e.reason === 'BackOff' && e.note.startsWith('Back-off restarting failed container');
    if (dates) since = Math.min(since, e.firstMs);
  }
  return since;
}

function backoffMessage(b: Backoff, events: Iterable<KubeEvent>): string {
  const restarts = b.outcome === OUTCOME.crashLoopBackoff ? ` (${b.restarts} restarts)` : '';
  const head = `container ${b.container}: ${b.reason}${restarts}`;
  // The waiting message says "Back-off pulling image"; the kubelet's Failed Event says why (and
  // repeats ErrImagePull's message, which is then said once).
  const cause = b.outcome === OUTCOME.imagePullBackoff ? lastNote(events, 'Failed', 'Error: ') : undefined;
  const parts = [b.message, cause].filter((p): p is string => p !== undefined && p !== '');
  const unique = parts.filter((p) => !parts.some((q) => q !== p && q.includes(p)));
  return [head, [...new Set(unique)].join('; ')].filter((p) => p !== '').join(': ');
}

/** The note of the latest Event with `reason`, skipping notes that only repeat the state (`Error: ErrImagePull`). */
function lastNote(events: Iterable<KubeEvent>, reason: string, skipPrefix?: string): string | undefined {
  let last: KubeEvent | undefined;
  for (const e of events) {
    if (e.reason !== reason || e.note === '' || (skipPrefix !== undefined && e.note.startsWith(skipPrefix))) continue;
    if (last === undefined || e.lastMs >= last.lastMs) last = e;
  }
  return last?.note;
}

/**
 * The stuck evidence of every open pod startup, and when each will be due: PodTracker asks at
 * every step of record time which startups to judge, without scanning them all.
 */
export class StuckWatch {
  readonly #thresholds: StuckThresholds;
  readonly #evidence = new Map<string, StuckEvidence>();
  readonly #scheduled = new Map<string, number>();
  /** Due times, ascending. */
  #due: { uid: string; atMs: number }[] = [];

  constructor(thresholds: StuckThresholds = DEFAULT_STUCK_THRESHOLDS) {
    this.#thresholds = thresholds;
  }

  /** Folds in a version of the pod of open startup `uid`, whose Events so far are `events`. */
  observe(uid: string, pod: SlimObject, recordMs: number, events: Iterable<KubeEvent>): void {
    let evidence = this.#evidence.get(uid);
    if (evidence === undefined) {
      evidence = new StuckEvidence();
      this.#evidence.set(uid, evidence);
    }
    evidence.observe(pod, recordMs);
    this.#schedule(uid, evidence, events);
  }

  /** An Event of open startup `uid` arrived: it may date a back-off first seen under way. */
  onEvents(uid: string, events: Iterable<KubeEvent>): void {
    const evidence = this.#evidence.get(uid);
    if (evidence !== undefined) this.#schedule(uid, evidence, events);
  }

  #schedule(uid: string, evidence: StuckEvidence, events: Iterable<KubeEvent>): void {
    const atMs = evidence.dueMs(this.#thresholds, events);
    if (atMs === undefined || this.#scheduled.get(uid) === atMs) return;
    this.#scheduled.set(uid, atMs);
    let i = this.#due.length;
    while (i > 0 && (this.#due[i - 1]?.atMs ?? -Infinity) > atMs) i--;
    this.#due.splice(i, 0, { uid, atMs });
  }

  /** The startups whose stuck time has come by `nowMs` (each judged with `verdict`). */
  popDue(nowMs: number): string[] {
    let n = 0;
    while (n < this.#due.length && (this.#due[n]?.atMs ?? Infinity) <= nowMs) n++;
    const uids = this.#due.splice(0, n).map((d) => d.uid);
    for (const uid of uids) this.#scheduled.delete(uid);
    return [...new Set(uids)];
  }

  /** Whether startup `uid` is stuck at `nowMs`, and how. */
  verdict(uid: string, nowMs: number, events: Iterable<KubeEvent>): StuckVerdict | undefined {
    return this.#evidence.get(uid)?.verdict(nowMs, this.#thresholds, events);
  }

  /** Drops what is known of startup `uid` (it ended). */
  forget(uid: string): void {
    this.#evidence.delete(uid);
    this.#scheduled.delete(uid);
  }
}
