import { ATTR } from '../model/attributes.js';
import type { SynthContext } from './context.js';
import type { ScalingStep } from './event-evidence-parse.js';
import { TIMESTAMP_SLACK_MS } from './operation-index.js';
import { rememberRecent } from './recent-map.js';
import type { WorkloadTracker } from './workload-tracker.js';

// Deployments whose ReplicaSets' counts are kept (live runs for days; the oldest are dropped).
const MAX_DEPLOYMENTS = 10_000;

/**
 * The replica count each ReplicaSet of a Deployment was last taken to by a ScalingReplicaSet
 * Event, for those above 0. Two ReplicaSets of one Deployment both running mean a rollout is
 * under way — a plain scale never changes which ReplicaSet is current — which the ReplicaSets'
 * own steps show when the Deployment's record, with the revision to compare, has not arrived yet
 * (or arrived from before the rollout). A snapshot of a ReplicaSet may be older than its last
 * Event (an old one seen mid-rollout, taken to 0 since), so the Events' counts are what is kept.
 */
export class ReplicaSetCounts {
  readonly #running = new Map<string, Map<string, number>>();
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
    const counts = this.#running.get(depUid);
    if (to > 0) {
      if (counts !== undefined) counts.set(rsUid, to);
      else rememberRecent(this.#running, depUid, new Map([[rsUid, to]]), MAX_DEPLOYMENTS);
      return;
    }
    counts?.delete(rsUid);
    if (counts?.size === 0) this.#running.delete(depUid);
  }

  /** Whether a ReplicaSet of `depUid` other than `rsUid` was last taken to more than 0. */
  othersRunning(depUid: string, rsUid: string): boolean {
    const counts = this.#running.get(depUid);
    return counts !== undefined && [...counts.keys()].some((uid) => uid !== rsUid);
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
