import { ATTR, OPERATION } from '../model/attributes.js';
import { type JsonObject, arr, num, parseTimeMs, str } from '../model/kube-json.js';
import type { SlimObject } from '../graph/slim.js';
import type { SynthContext } from './context.js';
import type { PendingSpan } from './pending-span.js';
import type { PodTracker } from './pod-tracker.js';
import { type PodWait, formatDuration, podStatusWait, podWaitingOn } from './pod-waiting.js';

/**
 * What synth has in progress, for the live service to show while it runs (issue 15): the root
 * operations still open, their spans not exported yet, and in words what each waits for. Reads
 * synth's state; changes nothing.
 */
export class InProgress {
  readonly #ctx: SynthContext;
  readonly #pods: PodTracker;
  readonly #latest: (uid: string) => JsonObject | undefined;

  constructor(ctx: SynthContext, pods: PodTracker, latest: (uid: string) => JsonObject | undefined) {
    this.#ctx = ctx;
    this.#pods = pods;
    this.#latest = latest;
  }

  /**
   * Root operations with work still open, oldest first. A root whose place may still change (it
   * waits for its owner's operation, ADR 0004) is left out: its trace id is not final yet.
   */
  roots(): PendingSpan[] {
    const out = new Set<PendingSpan>();
    for (const op of this.#ctx.ops.pending()) {
      if (op.parent !== undefined || !op.placed) continue;
      if (op.isOpen || hasOpenDescendant(op)) out.add(op);
    }
    return [...out].sort((a, b) => a.startMs - b.startMs || (a.spanId < b.spanId ? -1 : 1));
  }

  /** The spans of trace `traceId` not exported yet (open, or closed and lingering), root first. */
  pendingSpans(traceId: string): PendingSpan[] {
    const root = this.roots().find((r) => r.traceId === traceId);
    if (root === undefined) return [];
    const out: PendingSpan[] = [];
    const walk = (s: PendingSpan): void => {
      out.push(s);
      for (const c of s.openChildren) walk(c);
    };
    walk(root);
    return out;
  }

  /**
   * What `root` waits for at `nowMs`: its most stuck open pod startup (unschedulable, failing
   * pulls, crash loops before slow starts and readiness), and for a rollout its new ReplicaSet's
   * readiness and the time left to its progress deadline. Empty when nothing specific is known.
   */
  waitingOn(root: PendingSpan, nowMs: number): string {
    const waits: PodWait[] = [];
    for (const s of descendants(root)) {
      if (!s.isOpen || s.attributes[ATTR.operation] !== OPERATION.podStartup) continue;
      const uid = String(s.attributes[ATTR.podUid] ?? '');
      const startup = this.#pods.openStartup(uid);
      if (startup === undefined) continue;
      waits.push(podWaitingOn(String(s.attributes[ATTR.podName] ?? uid), startup, this.#ctx.graph.get(uid), nowMs));
    }
    if (waits.length === 0) waits.push(...this.#stuckPods(root));
    waits.sort((a, b) => b.severity - a.severity);
    const parts: string[] = [];
    const first = waits[0];
    if (first !== undefined) parts.push(first.text + (waits.length > 1 ? ` (+${waits.length - 1} more pods)` : ''));
    const rollout = this.#rolloutProgress(root, nowMs);
    if (rollout !== undefined) parts.push(rollout);
    return parts.join('; ');
  }

  // Pods of the rollout whose startup already ended stuck (image-pull-backoff…) still hold it up.
  #stuckPods(root: PendingSpan): PodWait[] {
    const rs = this.#scaledUp(root);
    if (rs === undefined) return [];
    const out: PodWait[] = [];
    for (const pod of this.#ctx.graph.liveOfKind('Pod')) {
      if (pod.controller?.uid !== rs.uid) continue;
      const wait = podStatusWait(pod);
      if (wait !== undefined) out.push(wait);
    }
    return out;
  }

  // The ReplicaSet a rollout is scaling up (open).
  #scaledUp(root: PendingSpan): SlimObject | undefined {
    if (root.attributes[ATTR.operation] !== OPERATION.deploymentRollout) return undefined;
    const scale = [...descendants(root)].find(
      (s) => s.isOpen && s.attributes[ATTR.operation] === OPERATION.replicasetScale && s.name.endsWith(' up'),
    );
    return scale === undefined ? undefined : this.#ctx.graph.get(String(scale.attributes[ATTR.replicasetUid] ?? ''));
  }

  // "ReplicaSet web-7c94: 2 of 3 ready, progressDeadlineSeconds in 3m".
  #rolloutProgress(root: PendingSpan, nowMs: number): string | undefined {
    if (!root.isOpen || root.attributes[ATTR.operation] !== OPERATION.deploymentRollout) return undefined;
    const rs = this.#scaledUp(root);
    const parts: string[] = [];
    if (rs !== undefined) {
      parts.push(`ReplicaSet ${rs.name}: ${rs.counts['readyReplicas'] ?? 0} of ${rs.specReplicas ?? 1} ready`);
    }
    const deadline = progressDeadlineMs(this.#latest(String(root.attributes[ATTR.deploymentUid] ?? '')));
    if (deadline !== undefined) {
      parts.push(
        deadline > nowMs
          ? `progressDeadlineSeconds in ${formatDuration(deadline - nowMs)}`
          : 'progressDeadlineSeconds exceeded',
      );
    }
    return parts.length === 0 ? undefined : parts.join(', ');
  }
}

function* descendants(span: PendingSpan): IterableIterator<PendingSpan> {
  for (const c of span.openChildren) {
    yield c;
    yield* descendants(c);
  }
}

/** Open, or holding an open span below it: its end is not final (it will cover theirs). */
export function inProgress(span: PendingSpan): boolean {
  return span.isOpen || hasOpenDescendant(span);
}

function hasOpenDescendant(span: PendingSpan): boolean {
  for (const s of descendants(span)) if (s.isOpen) return true;
  return false;
}

// The deployment controller reports no progress once Progressing's lastUpdateTime is
// progressDeadlineSeconds old.
function progressDeadlineMs(deployment: JsonObject | undefined): number | undefined {
  const seconds = num(deployment, 'spec', 'progressDeadlineSeconds');
  if (seconds === undefined) return undefined;
  const progressing = arr(deployment, 'status', 'conditions').find((c) => str(c, 'type') === 'Progressing');
  const since = parseTimeMs(str(progressing, 'lastUpdateTime'));
  return since === undefined ? undefined : since + seconds * 1000;
}
