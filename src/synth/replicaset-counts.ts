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

  /** Notes that the Deployment `depUid` took its ReplicaSet `rsUid` to `to` replicas. */
  note(depUid: string, rsUid: string, to: number): void {
    const counts = this.#running.get(depUid);
    if (to > 0) {
      if (counts !== undefined) counts.set(rsUid, to);
      else this.#add(depUid, new Map([[rsUid, to]]));
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

  #add(depUid: string, counts: Map<string, number>): void {
    this.#running.set(depUid, counts);
    if (this.#running.size <= MAX_DEPLOYMENTS) return;
    const oldest = this.#running.keys().next();
    if (oldest.done !== true) this.#running.delete(oldest.value);
  }
}
