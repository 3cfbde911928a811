import { ATTR } from '../model/attributes.js';
import type { SynthContext } from './context.js';
import type { ScalingStep } from './event-evidence-parse.js';
import { TIMESTAMP_SLACK_MS } from './operation-index.js';
import { rememberRecent } from './recent-map.js';
import type { WorkloadTracker } from './workload-tracker.js';

// Deployments whose running ReplicaSets are kept (live runs for days; the oldest are dropped).
const MAX_DEPLOYMENTS = 10_000;

/**
 * The ReplicaSets of each Deployment whose last ScalingReplicaSet Event took them above 0 (only
 * whether a count is above 0 matters, not the count). Two ReplicaSets of one Deployment both
 * running mean a rollout is under way — a plain scale never changes which ReplicaSet is current —
 * which the ReplicaSets' own steps show when the Deployment's record, with the revision to
 * compare, has not arrived yet (or arrived from before the rollout). A snapshot of a ReplicaSet may be older than its last
 * Event (an old one seen mid-rollout, taken to 0 since), so the Events' steps are what is kept.
 */
export class ReplicaSetCounts {
  /** The ReplicaSets running, by Deployment. */
  readonly #running = new Map<string, Set<string>>();
  /** The ReplicaSet each Deployment last brought up from 0 (a rollout's new one), and when. */
  readonly #newest = new Map<string, { uid: string; atMs: number }>();

  /**
   * Notes a ScalingReplicaSet step of `rsUid`; returns what was known before it: whether another
   * ReplicaSet of the Deployment runs, and, for one brought up from 0 (a rollout's new one), when
   * the Deployment brought up the one before it.
   */
  step(
    depUid: string,
    rsUid: string,
    step: ScalingStep,
    atMs: number,
  ): { othersRunning: boolean; previousNewMs: number | undefined } {
    const othersRunning = this.othersRunning(depUid, rsUid);
    const previousNewMs = step.up && step.from === 0 ? this.broughtUp(depUid, rsUid, atMs) : undefined;
    this.note(depUid, rsUid, step.to);
    return { othersRunning, previousNewMs };
  }

  /**
   * Notes that the Deployment `depUid` brought `rsUid` up from 0 at `atMs`; returns when it did so
   * with the ReplicaSet before, another one (the previous rollout's new ReplicaSet).
   */
  broughtUp(depUid: string, rsUid: string, atMs: number): number | undefined {
    const previous = this.#newest.get(depUid);
    rememberRecent(this.#newest, depUid, { uid: rsUid, atMs }, MAX_DEPLOYMENTS);
    return previous !== undefined && previous.uid !== rsUid ? previous.atMs : undefined;
  }

  /** Notes that the Deployment `depUid` took its ReplicaSet `rsUid` to `to` replicas. */
  note(depUid: string, rsUid: string, to: number): void {
    const running = this.#running.get(depUid);
    if (to > 0) {
      if (running !== undefined) running.add(rsUid);
      else rememberRecent(this.#running, depUid, new Set([rsUid]), MAX_DEPLOYMENTS);
      return;
    }
    running?.delete(rsUid);
    if (running?.size === 0) this.#running.delete(depUid);
  }

  /** Whether a ReplicaSet of `depUid` other than `rsUid` was last taken to more than 0. */
  othersRunning(depUid: string, rsUid: string): boolean {
    const running = this.#running.get(depUid);
    return running !== undefined && running.size > (running.has(rsUid) ? 1 : 0);
  }
}

/**
 * A new ReplicaSet brought up from 0 while the Deployment's open rollout, one its records opened
 * (event-evidence ends its own), began by the time the previous new ReplicaSet was brought up
 * (`previousNewMs`): that rollout is over and this is the next — the Deployment's record that
 * would have ended it is from mid-rollout, or late. Returns true when it ended it.
 */
export function endPreviousRollout(
  ctx: SynthContext,
  tracker: WorkloadTracker | undefined,
  uid: string,
  atMs: number,
  previousNewMs: number | undefined,
): boolean {
  if (previousNewMs === undefined || tracker === undefined) return false;
  const op = ctx.ops.at(uid, atMs);
  if (op?.isOpen !== true || !String(op.attributes[ATTR.operation]).endsWith('.rollout')) return false;
  if (op.startMs > previousNewMs + TIMESTAMP_SLACK_MS) return false;
  tracker.endFromEvent(uid, op, ctx.tree.lastEvidenceMs(op, atMs), true);
  return !op.isOpen;
}
