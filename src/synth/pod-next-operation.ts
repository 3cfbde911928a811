import type { SlimObject } from '../graph/slim.js';
import { ATTR, OPERATION } from '../model/attributes.js';
import type { SynthContext } from './context.js';
import type { PendingSpan } from './pending-span.js';

// Where a pod's operation does not belong to its controller's operation open now but to the next
// one, whose evidence is on its way (an Event the records did not show yet, applied seconds later;
// a late informer): the pod's operation waits for it in the adoption window (ADR 0004), through
// ops.openUnderOwner's `behind` owner. Each returns that controller's uid, or undefined.

/**
 * A ReplicaSet scaling up deletes no pod: a pod terminating while its ReplicaSet's open
 * operation is a scale-up was deleted by the scale-down on its way.
 */
export function terminatesInNextOperation(ctx: SynthContext, pod: SlimObject, atMs: number): string | undefined {
  const rs = pod.controller?.kind === 'ReplicaSet' ? pod.controller.uid : undefined;
  const op = rs === undefined ? undefined : ctx.ops.at(rs, atMs);
  const scalingUp =
    op !== undefined &&
    op.isOpen &&
    op.attributes[ATTR.operation] === OPERATION.replicasetScale &&
    op.name.endsWith(' up');
  return scalingUp ? rs : undefined;
}

/**
 * A rollout brings pods of one revision up: a StatefulSet's or DaemonSet's pod of another revision
 * (controller-revision-hash) than the startups its open rollout holds is the next rollout's —
 * unless the workload is seen rolling out to the pod's revision (a StatefulSet's updateRevision; a
 * DaemonSet names none): then the odd pods are the ones it replaces.
 */
export function startsNextOperation(ctx: SynthContext, pod: SlimObject, atMs: number): string | undefined {
  const owner = pod.controller;
  if (owner === undefined || (owner.kind !== 'StatefulSet' && owner.kind !== 'DaemonSet')) return undefined;
  const revision = pod.revision;
  const op = ctx.ops.at(owner.uid, atMs);
  if (revision === undefined || op === undefined || !op.isOpen) return undefined;
  if (!String(op.attributes[ATTR.operation]).endsWith('.rollout')) return undefined;
  const workload = ctx.graph.get(owner.uid);
  if (workload !== undefined && (owner.kind === 'DaemonSet' || workload.updateRevision === revision)) return undefined;
  return holdsAnotherRevision(ctx, op, revision) ? owner.uid : undefined;
}

function holdsAnotherRevision(ctx: SynthContext, op: PendingSpan, revision: string): boolean {
  for (const child of op.openChildren) {
    if (child.attributes[ATTR.operation] !== OPERATION.podStartup) continue;
    const other = ctx.graph.get(String(child.attributes[ATTR.podUid] ?? ''))?.revision;
    if (other !== undefined && other !== revision) return true;
  }
  return false;
}
