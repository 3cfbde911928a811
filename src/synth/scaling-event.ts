import { ATTR, OPERATION } from '../model/attributes.js';
import type { KubeEvent } from '../model/records.js';
import type { SynthContext } from './context.js';
import type { PendingSpan } from './pending-span.js';

// "Scaled up replica set web-7c94cc59d to 3" (before v1.30) or "… from 0 to 3" (since).
const SCALED = /^Scaled (up|down) replica set (\S+) (?:from (\d+) )?to (\d+)/;

/**
 * A ScalingReplicaSet Event says which ReplicaSet the deployment controller resized and to how
 * many replicas. The ReplicaSet's scale operation takes the target when its own records missed
 * the step (a watch that skipped versions, a snapshot): a replica range never contradicts an
 * Event. Returns true when it applied the evidence.
 */
export function applyScalingEvent(ctx: SynthContext, event: KubeEvent): boolean {
  if (event.reason !== 'ScalingReplicaSet') return false;
  const m = SCALED.exec(event.note);
  if (m === null) return false;
  const [, direction, name = '', from, to] = m;
  const rs = ctx.graph.findByName('ReplicaSet', event.regarding.namespace, name);
  if (rs === undefined) return false;
  const op = ctx.ops.at(rs.uid, event.firstMs);
  if (op?.attributes[ATTR.operation] !== OPERATION.replicasetScale) return false;
  const up = direction === 'up';
  if (op.name !== `ReplicaSet scale ${up ? 'up' : 'down'}`) return false;
  widenRange(op, up, from === undefined ? undefined : Number(from), Number(to));
  return true;
}

/** A ReplicaSet scale `op` (one direction, `up`) takes in a step from `from` (when known) to `to`. */
export function widenRange(op: PendingSpan, up: boolean, from: number | undefined, to: number): void {
  const current = Number(op.attributes[ATTR.replicasTo] ?? to);
  op.attributes[ATTR.replicasTo] = up ? Math.max(current, to) : Math.min(current, to);
  if (from !== undefined) {
    const start = Number(op.attributes[ATTR.replicasFrom] ?? from);
    op.attributes[ATTR.replicasFrom] = up ? Math.min(start, from) : Math.max(start, from);
  }
}
