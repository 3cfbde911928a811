import type { OUTCOME } from '../model/attributes.js';
import type { OwnerGraph } from '../graph/owner-graph.js';
import type { SlimObject } from '../graph/slim.js';
import type { AttrValue } from '../model/span.js';
import type { ActivityWindows } from './activity-windows.js';
import type { OperationIndex } from './operation-index.js';
import type { SpanTree } from './span-tree.js';

/** What every tracker shares; built once by the Synthesizer. */
export interface SynthContext {
  readonly cluster: string;
  readonly tree: SpanTree;
  readonly graph: OwnerGraph;
  readonly ops: OperationIndex;
  readonly windows: ActivityWindows;
  /** Semconv attributes of the object and its controller chain. */
  attrsOf(slim: SlimObject): Record<string, AttrValue>;
  /**
   * The outcome a deletion gives the operations it ends: `deleted`, or `deleted-while-down` while
   * the synthesizer applies a delete that a relist discovered after kubestitch was down.
   */
  deletedOutcome: typeof OUTCOME.deleted | typeof OUTCOME.deletedWhileDown;
}

/**
 * The uids of `slim`'s controller chain, nearest first: its controller (known or not yet seen),
 * then the known owners above it. Operations nest under the nearest of them that has one.
 */
export function ownerUidsOf(graph: OwnerGraph, slim: SlimObject): string[] {
  if (slim.controller === undefined) return [];
  return [
    slim.controller.uid,
    ...graph
      .ownerChain(slim)
      .slice(1)
      .map((o) => o.uid),
  ];
}

// A controller acts on a new object within this long of its creation.
const FRESH_OBJECT_MS = 60_000;

/**
 * Where an operation seen first in mid-flight starts: at the object's creation when it is new,
 * else when we first saw it (a ReplicaSet created last week and first seen scaling now did not
 * start scaling last week).
 */
export function firstSightStart(creationMs: number | undefined, recordMs: number): number {
  return creationMs !== undefined && recordMs - creationMs <= FRESH_OBJECT_MS
    ? refineTime(creationMs, recordMs)
    : recordMs;
}

/**
 * Refines a second-precision object timestamp with the record's receive time: the true instant
 * lies in [objectMs, objectMs + 1 s) and no later than the receive time. Without an object time
 * the receive time is used.
 */
export function refineTime(objectMs: number | undefined, recordMs: number): number {
  if (objectMs === undefined) return recordMs;
  return Math.min(Math.max(recordMs, objectMs), objectMs + 999);
}
