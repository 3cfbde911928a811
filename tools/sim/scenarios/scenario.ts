import { nodeFacts, type SimCluster } from '../cluster.js';
import type { ObjectId } from '../engine/object-table.js';
import { US_PER_S } from '../engine/time-format.js';

/** One scripted scenario: what existed before the recording, and what happens during it. */
export interface Scenario {
  /** How long before the recording the cluster's pre-history starts. */
  readonly prehistoryUs: number;
  /** Builds what already exists, from `t0Us` (the start of pre-history). */
  setup(cl: SimCluster, t0Us: number): void;
  /** Schedules what happens once recording has started at `startUs`; returns the recording length. */
  script(cl: SimCluster, startUs: number): number;
}

/** The standard three-node cluster every scenario starts from. */
export function threeNodes(cl: SimCluster): void {
  for (let i = 1; i <= 3; i++) cl.addExistingNode(nodeFacts(i));
}

/** Seconds to virtual microseconds. */
export function s(seconds: number): number {
  return Math.round(seconds * US_PER_S);
}

/** The ObjectId of a Deployment. */
export function deploymentId(namespace: string, name: string): ObjectId {
  return { apiVersion: 'apps/v1', kind: 'Deployment', namespace, name };
}
