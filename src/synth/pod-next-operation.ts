import type { SlimObject } from '../graph/slim.js';
import { ATTR, OPERATION, OUTCOME } from '../model/attributes.js';
import type { SynthContext } from './context.js';
import type { PendingSpan } from './pending-span.js';

// Where a pod's operation does not belong to its controller's operation open now but to the next
// one, whose evidence is on its way (an Event the records did not show yet, applied seconds later;
// a late informer): the pod's operation waits for it in the adoption window (ADR 0004), through
// ops.openUnderOwner's `behind` owner. Each returns that controller's uid, or undefined.

/**
 * A ReplicaSet scaling up deletes no pod: a pod terminating while its ReplicaSet's open
 * operation is a scale-up was deleted by the scale-down on its way. Nor does a completed rollout
 * of a StatefulSet or DaemonSet (see completedBefore).
 */
export function terminatesInNextOperation(ctx: SynthContext, pod: SlimObject, atMs: number): string | undefined {
  if (completedBefore(ctx, pod, atMs)) return pod.controller?.uid;
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
 * A StatefulSet's or DaemonSet's rollout replaces each old pod before its last new one is ready, so
 * one its records showed complete (outcome ok) has requested every deletion it makes by its end: a
 * pod deletion requested after that end, though within its second of slack, is the next
 * operation's. Seen so with the DaemonSet's informer late (real/ds, kind skew): rollout #0 ended
 * at the late receive time of its last status write (10:23:28.253 for 10:23:24.750), and the first
 * pod deletion of rollout #1 (10:23:28.49), whose spec change was still on its way, joined #0.
 * The audit record of that write, arriving later, moves #0's end back (workload-tracker endAtWrite)
 * but cannot move what joined it: the termination and its requests were announced (onOpen gave
 * the stitcher their trace id) the moment they joined a placed root. So it waits for the next
 * operation in the adoption window instead, and that rollout adopts it when its change arrives.
 */
function completedBefore(ctx: SynthContext, pod: SlimObject, atMs: number): boolean {
  const owner = pod.controller;
  if (owner === undefined || (owner.kind !== 'StatefulSet' && owner.kind !== 'DaemonSet')) return false;
  const op = ctx.ops.at(owner.uid, atMs);
  if (op === undefined || op.state !== 'closing' || op.endMs === undefined || atMs <= op.endMs) return false;
  return String(op.attributes[ATTR.operation]).endsWith('.rollout') && op.attributes[ATTR.outcome] === OUTCOME.ok;
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
