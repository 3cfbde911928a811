import type { OwnerLink, SlimObject } from '../graph/slim.js';
import { ATTR, OPERATION, OUTCOME } from '../model/attributes.js';
import type { AttrValue } from '../model/span.js';
import { KUBESTITCH_ACTOR, controllerActor } from './actors.js';
import { type SynthContext, ownerUidsOf } from './context.js';
import { TIMESTAMP_SLACK_MS, type OwnedSpanSpec } from './operation-index.js';
import type { PendingSpan } from './pending-span.js';

/** Kinds with operations of their own; every other owner gets a generic reconcile operation. */
export const OPERATION_KINDS: ReadonlySet<string> = new Set([
  'Deployment',
  'ReplicaSet',
  'StatefulSet',
  'DaemonSet',
  'Job',
  'Pod',
  'Node',
]);

/** `kubestitch.operation` of the generic operation of an owner without rules. */
export const RECONCILE_OPERATION = 'object.reconcile';

/**
 * Opens an operation of `slim` under its owners' (ADR 0004). When its controller is of a kind
 * without rules of its own (a CronJob, a CRD such as an Argo Rollout) and no owner has an
 * operation at `spec.startMs`, the controller gets a generic "<Kind> reconcile" operation that
 * spans what it started, so CronJob → Job → Pod and Rollout → ReplicaSet → Pod nest.
 */
export function openOwned(
  ctx: SynthContext,
  slim: SlimObject,
  spec: OwnedSpanSpec,
  slackMs = TIMESTAMP_SLACK_MS,
): PendingSpan {
  const owners = ownerUidsOf(ctx.graph, slim);
  const link = slim.controller;
  if (link !== undefined && !OPERATION_KINDS.has(link.kind)) {
    if (!owners.some((uid) => ctx.ops.at(uid, spec.startMs, slackMs) !== undefined)) {
      openReconcile(ctx, link, spec.startMs);
    }
  }
  const placed = mayBeCascade(ctx, slim, spec, slackMs) ? { ...spec, tentative: true } : spec;
  return ctx.ops.openUnderOwner(owners, placed, slackMs, ownerBehind(ctx, slim, spec));
}

// A running Job does not delete its pods (unless it fails): a pod's termination in the Job's run
// may be the garbage collector's after the Job's deletion, whose record is late (the Job informer
// behind the pods', its start that late receive time). Under the run only tentatively: the Job's
// deletion, seen within the adoption window, takes it (deletion-tracker).
function mayBeCascade(ctx: SynthContext, slim: SlimObject, spec: OwnedSpanSpec, slackMs: number): boolean {
  const link = slim.controller;
  if (slim.kind !== 'Pod' || link?.kind !== 'Job') return false;
  if (spec.attributes[ATTR.operation] !== OPERATION.podTermination) return false;
  return ctx.ops.at(link.uid, spec.startMs, slackMs)?.attributes[ATTR.operation] === OPERATION.jobRun;
}

// Its extent is its children's: opened and closed at once, it stays joinable while it lingers
// and is emitted after the last of them.
function openReconcile(ctx: SynthContext, link: OwnerLink, startMs: number): void {
  const owner = ctx.graph.get(link.uid);
  const attributes: Record<string, AttrValue> =
    owner !== undefined
      ? { ...ctx.attrsOf(owner) }
      : { [ATTR.objectKind]: link.kind, [ATTR.objectName]: link.name, [ATTR.objectUid]: link.uid };
  attributes[ATTR.operation] = RECONCILE_OPERATION;
  const spec: OwnedSpanSpec = {
    key: `${link.uid}/reconcile/${startMs}`,
    name: `${link.kind} reconcile`,
    startMs,
    resource: link.kind === 'CronJob' ? controllerActor('cronjob-controller') : KUBESTITCH_ACTOR,
    attributes,
  };
  const span = owner !== undefined ? openOwned(ctx, owner, spec) : ctx.ops.openUnderOwner([], spec);
  ctx.ops.register(link.uid, span, () => undefined);
  ctx.tree.close(span, startMs, { outcome: OUTCOME.ok, status: { code: 'ok' } });
}

/**
 * The owner whose change made `slim` act has not arrived yet (informers of different kinds deliver
 * seconds apart), so the operation open now is not the one it belongs to but the next: a
 * Deployment whose controller had observed its generation, and a ReplicaSet of a newer revision
 * (a template change on its way), or its newest ReplicaSet scaled past its replicas or down (the
 * newest never runs more than the Deployment's replicas, and goes down only when they change).
 * Only for a step to the ReplicaSet's replicas as seen (an Event's step may be about an older
 * version of it).
 */
function ownerBehind(ctx: SynthContext, slim: SlimObject, spec: OwnedSpanSpec): string | undefined {
  const link = slim.controller;
  if (slim.kind !== 'ReplicaSet' || link?.kind !== 'Deployment') return undefined;
  if (spec.attributes[ATTR.replicasTo] !== slim.specReplicas) return undefined;
  const dep = ctx.graph.get(link.uid);
  if (dep === undefined || dep.generation === undefined || dep.observedGeneration !== dep.generation) return undefined;
  const revision = Number(slim.revision);
  if (revision > Number(dep.revision)) return dep.uid;
  return revision === Number(dep.revision) && replicasAhead(slim, dep) ? dep.uid : undefined;
}

// The newest ReplicaSet scaled past the Deployment's replicas, or down to other than them (to
// them: the Deployment's change has been seen).
function replicasAhead(rs: SlimObject, dep: SlimObject): boolean {
  if (rs.specReplicas === undefined || dep.specReplicas === undefined) return false;
  const down = rs.specReplicas < (rs.counts['replicas'] ?? 0) && rs.specReplicas !== dep.specReplicas;
  return rs.specReplicas > dep.specReplicas || down;
}
