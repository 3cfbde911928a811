import type { GraphChange } from '../graph/owner-graph.js';
import type { SlimObject } from '../graph/slim.js';
import { ATTR, OPERATION, OUTCOME, type Outcome } from '../model/attributes.js';
import type { AuditEntry, KubeEvent } from '../model/records.js';
import type { SpanEventData, SpanStatus } from '../model/span.js';
import { SCHEDULER_ACTOR, kubeletActor } from './actors.js';
import { emitAuditSpan } from './audit-span.js';
import { type SynthContext, refineTime } from './context.js';
import { TIMESTAMP_SLACK_MS } from './operation-index.js';
import { openOwned } from './owned-open.js';
import type { PendingSpan } from './pending-span.js';
import {
  EventTerminations,
  NO_FURTHER_EVIDENCE_REASON,
  RUNNING_AGAIN_REASON,
  eventSeenMs,
  podDeletedEvent,
  runningAgain,
} from './pod-event-termination.js';
import { startsNextOperation, terminatesInNextOperation } from './pod-next-operation.js';
import { PodStartupFacts } from './pod-startup-facts.js';
import {
  failureMessage,
  hasRun,
  isStarted,
  readyFromContainers,
  startedByEvents,
  startsHere,
  startupEvidenceMs,
} from './pod-startup-evidence.js';
import { StuckWatch } from './pod-stuck.js';
import {
  type StartupDraft,
  drawSettledPhases,
  newStartupDraft,
  podIdentity,
  renderStartupPhases,
} from './pod-startup-render.js';
import { TimerQueue } from './timer-queue.js';

type Startup = StartupDraft;

/**
 * Pod startup (creation → Ready, with phases) and pod termination (deletion requested → object
 * gone), nested under the owner's open operation, linked to the node's activity.
 */
export class PodTracker {
  readonly #ctx: SynthContext;
  readonly #startups = new Map<string, Startup>();
  readonly #terminations = new Map<string, PendingSpan>();
  /** Job pods between Ready and completion: what a Job run is made of. */
  readonly #runs = new Map<string, PendingSpan>();
  /**
   * When a pod with an open run or termination was last seen still there (a record of it, an
   * Event's second-precision time refined by its receive time): it lasted at least until then.
   */
  readonly #seenMs = new Map<string, number>();
  /** Back-offs and unschedulable pods of open startups, judged once past their threshold. */
  readonly #stuck = new StuckWatch();
  /** Startups with a finished phase to draw once the adoption window has passed (ADR 0005). */
  readonly #phaseTimers = new TimerQueue();
  /** Terminations only Events showed, for a pod no record showed deleted: ended on evidence. */
  readonly #eventOnly = new EventTerminations();
  #nowMs = -Infinity;
  /**
   * Pods first seen starting that never ran before (no restarts), by their startup's start: while
   * they start, each change tells `#onStarting` — evidence that owners first seen mid-way (in
   * either order of the initial lists) were scaling up. Kept while the startup is open (a pod
   * never deleted and never Ready leaves at its startup's end: stuck, max-age, max-open), so it
   * holds no more than the open operations do.
   */
  readonly #firstSeenStarting = new Map<string, number>();
  readonly #onStarting: ((pod: SlimObject, startMs: number) => void) | undefined;

  constructor(ctx: SynthContext, onStarting?: (pod: SlimObject, startMs: number) => void) {
    this.#ctx = ctx;
    this.#onStarting = onStarting;
  }

  onChange(change: GraphChange, recordMs: number): void {
    const { prev, next } = change;
    if (this.#eventOnly.has(next.uid)) this.#checkEventOnly(next, change.deleted, recordMs);
    const fresh = prev === undefined && !this.#startups.has(next.uid); // an Event may have opened it
    if (fresh && next.deletionMs === undefined && !change.deleted && startsHere(next, recordMs)) {
      const startMs = refineTime(next.creationMs, recordMs);
      this.#startStartup(next, startMs);
      if (!isStarted(next) && !hasRun(next)) this.#firstSeenStarting.set(next.uid, startMs);
    }
    this.#tellStarting(next, change.deleted);
    const startup = this.#startups.get(next.uid);
    if (startup !== undefined) {
      startup.facts.observe(next, recordMs);
      // An Event opened this startup and the pod's first version seen is a finished one.
      if (prev === undefined) readyFromContainers(next, startup.facts);
      this.#stuck.observe(next.uid, next, recordMs, startup.events.values());
      this.#checkStartupEnd(next, startup, recordMs);
      this.#judgeStuck(next.uid, recordMs);
      this.#drawSettled(next.uid);
    }
    this.#checkRunEnd(next, recordMs, change.deleted);
    if (next.deletionMs !== undefined && prev?.deletionMs === undefined) this.#startTermination(next, recordMs);
    if (change.deleted) this.#onDeleted(next, recordMs);
    else this.#seen(next.uid, recordMs);
  }

  // While a pod first seen starting starts, its owners hear of it (see #firstSeenStarting).
  #tellStarting(pod: SlimObject, deleted: boolean): void {
    const startMs = this.#firstSeenStarting.get(pod.uid);
    if (startMs === undefined) return;
    if (deleted || pod.deletionMs !== undefined || isStarted(pod)) this.#firstSeenStarting.delete(pod.uid);
    this.#onStarting?.(pod, startMs);
  }

  #seen(uid: string, atMs: number): void {
    if (this.#runs.has(uid) || this.#terminations.has(uid))
      this.#seenMs.set(uid, Math.max(atMs, this.#seenMs.get(uid) ?? atMs));
  }

  // What an operation ended unfinished reached: its last evidence, or the pod seen after it.
  #lastSeenMs(uid: string, span: PendingSpan, capMs: number): number {
    const seen = this.#seenMs.get(uid);
    const last = this.#ctx.tree.lastEvidenceMs(span, capMs);
    return seen === undefined ? last : Math.max(last, Math.min(seen, capMs));
  }

  /**
   * Takes an Event regarding a pod when a startup or termination of it is open. `receivedMs`: the
   * Event record's time, which refines the Event's — not the time it is placed: Event evidence is
   * applied up to 6 s after it arrived (event-evidence), which put a termination's end up to 1 s
   * late.
   */
  onEvent(pod: SlimObject, event: KubeEvent, receivedMs: number): boolean {
    const startup = this.#startups.get(pod.uid);
    if (startup !== undefined) {
      startup.events.set(event.key, event);
      this.#stuck.onEvents(pod.uid, startup.events.values());
      this.#drawSettled(pod.uid);
      return true;
    }
    const open = this.#terminations.get(pod.uid) ?? this.#runs.get(pod.uid);
    if (open !== undefined) {
      this.#ctx.tree.addKubeEvent(open, event);
      this.#seen(pod.uid, eventSeenMs(event, receivedMs));
      return true;
    }
    return false;
  }

  /**
   * Takes an audited write to a pod while its startup or termination is open: pods/binding goes
   * under the schedule phase (once drawn), other writes (kubelet status patches) under the
   * startup at once, writes
   * during termination (deletes, final status) under the termination. Creates are left to the
   * owner's operation. Returns false when nothing of the pod is open.
   */
  onAudit(pod: SlimObject, entry: AuditEntry, diff: SpanEventData | undefined): boolean {
    if (entry.verb === 'create' && entry.objectRef?.subresource !== 'binding') return false;
    const startup = this.#startups.get(pod.uid);
    if (startup !== undefined) {
      if (entry.bindingTarget !== undefined) startup.facts.nodeName ??= entry.bindingTarget;
      if (entry.objectRef?.subresource !== 'binding') {
        emitAuditSpan(this.#ctx.tree, entry, startup.span, podIdentity(startup.span), diff);
        return true;
      }
      startup.bindings.push({ entry, diff });
      startup.facts.bindingMs ??= entry.stageMs;
      this.#drawSettled(pod.uid);
      return true;
    }
    const termination = this.#terminations.get(pod.uid);
    // A late webhook batch's writes from before the deletion (the startup's binding and status
    // patches) are not the termination's: they go by their time, as other late audit does.
    if (termination === undefined || entry.receivedMs < termination.startMs - TIMESTAMP_SLACK_MS) return false;
    emitAuditSpan(this.#ctx.tree, entry, termination, {}, diff);
    return true;
  }

  /**
   * A startup an Event shows (the owner's SuccessfulCreate naming the pod, the scheduler's
   * Scheduled) where the pod's records opened none: opened at `startMs`; the status times of a
   * pod version already seen give its phases and end.
   */
  startFromEvent(pod: SlimObject, startMs: number, recordMs: number): void {
    if (this.#startups.has(pod.uid)) return;
    this.#startStartup(pod, startMs);
    const startup = this.#startups.get(pod.uid);
    if (startup === undefined || this.#ctx.graph.get(pod.uid) !== pod) return;
    startup.facts.observe(pod, recordMs);
    readyFromContainers(pod, startup.facts);
    this.#checkStartupEnd(pod, startup, recordMs);
    this.#checkRunEnd(pod, recordMs, false);
  }

  /**
   * A termination an Event shows (SuccessfulDelete naming the pod, the kubelet's Killing) where
   * the pod's records showed no deletion: requested at `requestedMs`.
   */
  terminateFromEvent(pod: SlimObject, requestedMs: number): void {
    if (this.#terminations.has(pod.uid)) return;
    const graceS = pod.deletionGraceS ?? 0;
    this.#startTermination({ ...pod, deletionMs: requestedMs + graceS * 1000, deletionGraceS: graceS }, requestedMs);
    const span = this.#terminations.get(pod.uid);
    if (span !== undefined && pod.deletionGraceS === undefined) {
      delete span.attributes['kubestitch.termination.grace_period_s'];
    }
    if (span !== undefined && pod.deletionMs === undefined) this.#eventOnly.open(pod.uid, span.startMs, graceS);
  }

  // A record of a pod whose termination only Events showed: one showing the deletion makes it an
  // ordinary termination; one showing the pod ran on after the kill ends it at its evidence.
  #checkEventOnly(pod: SlimObject, deleted: boolean, recordMs: number): void {
    const span = this.#terminations.get(pod.uid);
    if (span === undefined || deleted || pod.deletionMs !== undefined) this.#eventOnly.forget(pod.uid);
    else if (runningAgain(pod, span.startMs)) {
      this.#closeEventOnly(pod.uid, this.#ctx.tree.lastEvidenceMs(span, recordMs), RUNNING_AGAIN_REASON);
    }
  }

  #closeEventOnly(uid: string, endMs: number, reason: string): void {
    const span = this.#terminations.get(uid);
    this.#eventOnly.forget(uid);
    if (span === undefined) return;
    this.#terminations.delete(uid);
    this.#seenMs.delete(uid);
    span.attributes['kubestitch.close_reason'] = reason;
    this.#ctx.tree.close(span, endMs, { outcome: OUTCOME.unfinished });
    this.#eventOnly.ended(uid, span);
  }

  /**
   * A Job seen finished (the job-controller's Event) at `atMs`: runs of its pods still open ended
   * by then — how is unknown, so they end unfinished.
   */
  endJobRuns(jobUid: string, atMs: number): void {
    // A startup whose containers the kubelet said it started did reach its run (never seen Ready:
    // their start is the best evidence, as for a pod first seen finished).
    for (const [uid, s] of [...this.#startups].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const pod = this.#ctx.graph.get(uid);
      const startedMs = startedByEvents(s);
      if (pod?.controller?.uid !== jobUid || startedMs === undefined || startedMs >= atMs) continue;
      s.facts.readyMs = Math.max(startedMs, s.span.startMs);
      this.#checkStartupEnd(pod, s, atMs);
    }
    for (const uid of [...this.#runs.keys()].sort()) {
      if (this.#ctx.graph.get(uid)?.controller?.uid !== jobUid) continue;
      const span = this.#runs.get(uid);
      if (span === undefined || atMs <= span.startMs) continue;
      span.attributes['kubestitch.close_reason'] = 'job-finished';
      this.#endRun(uid, atMs, OUTCOME.unfinished, undefined);
    }
  }

  #startStartup(pod: SlimObject, startMs: number): void {
    const span = this.#openStartupSpan(pod, startMs);
    this.#startups.set(pod.uid, newStartupDraft(span, new PodStartupFacts(startMs)));
    this.#ctx.ops.register(pod.uid, span, (at) => this.#endStartup(pod.uid, at, OUTCOME.unfinished, undefined));
  }

  #openStartupSpan(pod: SlimObject, startMs: number): PendingSpan {
    const spec = {
      key: `${pod.uid}/startup`,
      name: 'pod startup',
      startMs,
      resource: SCHEDULER_ACTOR,
      attributes: { ...this.#ctx.attrsOf(pod), [ATTR.operation]: OPERATION.podStartup },
    };
    const next = startsNextOperation(this.#ctx, pod, startMs);
    return next !== undefined
      ? this.#ctx.ops.openUnderOwner([next], spec, undefined, next)
      : openOwned(this.#ctx, pod, spec);
  }

  #checkStartupEnd(pod: SlimObject, s: Startup, recordMs: number): void {
    if (s.facts.readyMs !== undefined) {
      this.#endStartup(pod.uid, s.facts.readyMs, OUTCOME.ok, { code: 'ok' });
      if (pod.controller?.kind === 'Job') this.#startRun(pod, s.facts.readyMs);
    } else if (pod.phase === 'Succeeded') {
      this.#endStartup(pod.uid, recordMs, OUTCOME.completed, { code: 'ok' });
    } else if (pod.phase === 'Failed') {
      this.#endStartup(pod.uid, recordMs, OUTCOME.failed, { code: 'error', message: failureMessage(pod) });
    }
  }

  // A Job pod is judged by how it ends, not by becoming Ready: its run is a span of its own.
  #startRun(pod: SlimObject, startMs: number): void {
    const span = openOwned(this.#ctx, pod, {
      key: `${pod.uid}/run`,
      name: 'pod run',
      startMs,
      resource: kubeletActor(pod.nodeName),
      attributes: { ...this.#ctx.attrsOf(pod), [ATTR.operation]: OPERATION.podRun },
    });
    this.#runs.set(pod.uid, span);
    this.#ctx.ops.register(pod.uid, span, (at) => this.#endRun(pod.uid, at, OUTCOME.unfinished, undefined));
  }

  #checkRunEnd(pod: SlimObject, recordMs: number, deleted: boolean): void {
    if (!this.#runs.has(pod.uid)) return;
    const finishedMs = Math.max(...pod.containerStatuses.map((c) => c.finishedMs ?? -Infinity));
    const atMs = refineTime(Number.isFinite(finishedMs) ? finishedMs : undefined, recordMs);
    if (pod.phase === 'Succeeded') this.#endRun(pod.uid, atMs, OUTCOME.completed, { code: 'ok' });
    else if (pod.phase === 'Failed') {
      this.#endRun(pod.uid, atMs, OUTCOME.failed, { code: 'error', message: failureMessage(pod) });
    } else if (deleted || pod.deletionMs !== undefined)
      this.#endRun(pod.uid, recordMs, this.#ctx.deletedOutcome, undefined);
  }

  #endRun(uid: string, atMs: number, outcome: Outcome, status: SpanStatus | undefined): void {
    const span = this.#runs.get(uid);
    if (span === undefined) return;
    this.#runs.delete(uid);
    if (!this.#terminations.has(uid)) this.#seenMs.delete(uid);
    this.#ctx.tree.close(span, atMs, { outcome, ...(status !== undefined ? { status } : {}) });
  }

  #endStartup(uid: string, endMs: number, outcome: Outcome, status: SpanStatus | undefined): void {
    const s = this.#startups.get(uid);
    if (s === undefined) return;
    this.#startups.delete(uid);
    this.#stuck.forget(uid);
    this.#firstSeenStarting.delete(uid);
    const { span, facts } = s;
    if (facts.nodeName !== undefined) this.#linkNode(span, facts.nodeName, facts.boundMs ?? endMs);
    span.attributes[ATTR.restartCount] = facts.restartCount;
    if (facts.nodeName !== undefined) span.attributes[ATTR.nodeName] = facts.nodeName;
    // The kubelet owns a scheduled pod's startup; an unscheduled one is stuck in the scheduler.
    const owner = facts.nodeName !== undefined ? kubeletActor(facts.nodeName) : SCHEDULER_ACTOR;
    span.resource = { ...span.resource, ...owner };
    renderStartupPhases(this.#ctx.tree, s, endMs);
    this.#ctx.tree.close(span, endMs, { outcome, ...(status !== undefined ? { status } : {}) });
  }

  #linkNode(span: PendingSpan, nodeName: string, atMs: number): void {
    const node = this.#ctx.graph.findByName('Node', '', nodeName);
    const subject =
      node !== undefined
        ? { id: node.uid, kind: 'Node', attributes: this.#ctx.attrsOf(node) }
        : {
            id: `Node//${nodeName}`,
            kind: 'Node',
            attributes: { [ATTR.nodeName]: nodeName, [ATTR.objectKind]: 'Node', [ATTR.objectName]: nodeName },
          };
    const window = this.#ctx.windows.windowFor(subject, atMs, kubeletActor(nodeName));
    this.#ctx.tree.addEvent(window, {
      name: 'pod scheduled',
      timeMs: atMs,
      attributes: {
        [ATTR.podName]: String(span.attributes[ATTR.podName] ?? ''),
        [ATTR.namespaceName]: String(span.attributes[ATTR.namespaceName] ?? ''),
      },
    });
    this.#ctx.tree.addLink(span, {
      traceId: window.traceId,
      spanId: window.spanId,
      attributes: { 'kubestitch.link.relation': 'node' },
    });
  }

  #startTermination(pod: SlimObject, recordMs: number): void {
    const deletion = pod.deletionMs;
    if (deletion === undefined || this.#terminations.has(pod.uid)) return;
    const requestedMs = refineTime(deletion - (pod.deletionGraceS ?? 0) * 1000, recordMs);
    // Its termination ended before this record of its deletion (lateDeletion says what it is).
    const again = this.#ctx.ops.had(pod.uid, OPERATION.podTermination);
    const late = again ? this.#eventOnly.lateDeletion(pod.uid, requestedMs, this.#ctx.tree) : undefined;
    if (late?.kind === 'reopened') this.#terminations.set(pod.uid, late.span);
    if (late !== undefined && late.kind !== 'new') return;
    this.#endStartup(pod.uid, requestedMs, this.#ctx.deletedOutcome, {
      code: 'error',
      message: 'pod deleted before it became ready',
    });
    const spec = {
      key: again ? `${pod.uid}/termination/2` : `${pod.uid}/termination`,
      name: 'pod termination',
      startMs: requestedMs,
      resource: kubeletActor(pod.nodeName),
      attributes: {
        ...this.#ctx.attrsOf(pod),
        [ATTR.operation]: OPERATION.podTermination,
        'kubestitch.termination.grace_period_s': pod.deletionGraceS ?? 0,
      },
    };
    const next = terminatesInNextOperation(this.#ctx, pod, requestedMs);
    const span =
      next !== undefined
        ? this.#ctx.ops.openUnderOwner([next], spec, undefined, next)
        : openOwned(this.#ctx, pod, spec);
    this.#terminations.set(pod.uid, span);
    this.#ctx.ops.register(pod.uid, span, (at) => {
      this.#terminations.delete(pod.uid);
      this.#seenMs.delete(pod.uid);
      this.#eventOnly.forget(pod.uid);
      this.#ctx.tree.close(span, at, { outcome: OUTCOME.unfinished });
    });
  }

  #onDeleted(pod: SlimObject, recordMs: number): void {
    this.#endStartup(pod.uid, recordMs, this.#ctx.deletedOutcome, {
      code: 'error',
      message: 'pod deleted before it became ready',
    });
    if (!this.#terminations.has(pod.uid)) this.#startTermination(pod, recordMs);
    const span = this.#terminations.get(pod.uid);
    this.#terminations.delete(pod.uid);
    this.#seenMs.delete(pod.uid);
    this.#eventOnly.forget(pod.uid);
    this.#eventOnly.forgetEnded(pod.uid);
    if (span !== undefined) {
      // Deletion is how a termination succeeds — unless it happened while kubestitch was down:
      // then the end is when the relist noticed, and the outcome says so.
      const missed = this.#ctx.deletedOutcome === OUTCOME.deletedWhileDown;
      this.#ctx.tree.close(span, recordMs, {
        outcome: missed ? OUTCOME.deletedWhileDown : OUTCOME.ok,
        status: { code: 'ok' },
      });
      return;
    }
    // Deleted without a graceful phase (force delete, or never scheduled), or after its
    // termination was exported (lateDeletion): an instant fact, naming that termination.
    const target = pod.controller === undefined ? undefined : this.#ctx.ops.at(pod.controller.uid, recordMs);
    const ended = this.#ctx.ops.had(pod.uid, OPERATION.podTermination) ? this.#ctx.cluster : undefined;
    const event = podDeletedEvent(pod, recordMs, ended);
    if (target !== undefined) this.#ctx.tree.addEvent(target, event);
    else
      this.#ctx.windows.addEvent(
        { id: pod.uid, kind: 'Pod', attributes: this.#ctx.attrsOf(pod) },
        event,
        kubeletActor(pod.nodeName),
      );
  }

  /** Moves record time on: draws the finished phases of open startups that are due. */
  advance(nowMs: number): void {
    if (nowMs > this.#nowMs) this.#nowMs = nowMs;
    for (const uid of this.#phaseTimers.popDue(this.#nowMs)) this.#drawSettled(uid);
    for (const uid of this.#stuck.popDue(this.#nowMs)) this.#judgeStuck(uid, this.#nowMs);
    const last = (uid: string): number | undefined => {
      const span = this.#terminations.get(uid);
      return span === undefined ? undefined : this.#ctx.tree.lastEvidenceMs(span, this.#nowMs);
    };
    for (const uid of this.#eventOnly.popIdle(this.#nowMs, last)) {
      const span = this.#terminations.get(uid);
      if (span !== undefined)
        this.#closeEventOnly(uid, this.#lastSeenMs(uid, span, this.#nowMs), NO_FURTHER_EVIDENCE_REASON);
    }
  }

  /** Per-pod entries held besides the open operations' own (for tests of its bounds). */
  get heldPods(): number {
    return this.#firstSeenStarting.size + this.#seenMs.size + this.#eventOnly.size;
  }

  /** What is known of the open startup of pod `uid`, for saying what it waits for. */
  openStartup(uid: string): Readonly<StartupDraft> | undefined {
    return this.#startups.get(uid);
  }

  // A phase that has ended leaves before its startup does (a stuck rollout shows its pulls and
  // starts while it is stuck), once late evidence of it can no longer arrive (ADR 0005).
  #drawSettled(uid: string): void {
    const s = this.#startups.get(uid);
    if (s === undefined || !Number.isFinite(this.#nowMs)) return;
    const next = drawSettledPhases(this.#ctx.tree, s, this.#nowMs, this.#ctx.tree.adoptionWindowMs);
    if (next !== undefined) this.#phaseTimers.push(uid, next);
  }

  // A startup stuck past its threshold ends with how it is stuck (pod-stuck.ts), at the moment
  // the threshold passed, whenever record time shows it.
  #judgeStuck(uid: string, nowMs: number): void {
    const s = this.#startups.get(uid);
    const verdict = s === undefined ? undefined : this.#stuck.verdict(uid, nowMs, s.events.values());
    if (verdict === undefined) return;
    this.#endStartup(uid, verdict.atMs, verdict.outcome, { code: 'error', message: verdict.message });
  }

  /** Ends open startups and terminations as unfinished (end of a replay), or stuck if they were. */
  flush(atMs: number): void {
    const tree = this.#ctx.tree;
    for (const uid of this.#stuck.popDue(atMs)) this.#judgeStuck(uid, atMs);
    for (const [uid, s] of [...this.#startups].sort(([a], [b]) => (a < b ? -1 : 1))) {
      this.#endStartup(
        uid,
        startupEvidenceMs(tree.lastEvidenceMs(s.span, atMs), s, atMs),
        OUTCOME.unfinished,
        undefined,
      );
    }
    for (const [uid, span] of [...this.#runs].sort(([a], [b]) => (a < b ? -1 : 1))) {
      this.#endRun(uid, this.#lastSeenMs(uid, span, atMs), OUTCOME.unfinished, undefined);
    }
    for (const [uid, span] of [...this.#terminations].sort(([a], [b]) => (a < b ? -1 : 1))) {
      this.#terminations.delete(uid);
      this.#eventOnly.forget(uid);
      tree.close(span, this.#lastSeenMs(uid, span, atMs), { outcome: OUTCOME.unfinished });
    }
    this.#seenMs.clear();
  }
}
