import { ATTR, OPERATION } from '../model/attributes.js';
import type { AuditEntry, KubeEvent } from '../model/records.js';
import type { AttrValue, SpanEventData } from '../model/span.js';
import { SCHEDULER_ACTOR, kubeletActor } from './actors.js';
import { emitAuditSpan } from './audit-span.js';
import type { PendingSpan } from './pending-span.js';
import { placeEvent } from './pod-event-placement.js';
import { type Phase, eventsByPlacement, phaseKeyOf, planPhases } from './pod-startup-plan.js';
import type { PodStartupFacts } from './pod-startup-facts.js';
import type { SpanTree } from './span-tree.js';

/** An audited write to the pod, kept until the startup is drawn, with the diff it made. */
export interface PlacedAudit {
  readonly entry: AuditEntry;
  readonly diff: SpanEventData | undefined;
}

/** A pod startup being drawn: its span, what is known of it, and what was drawn of it so far. */
export interface StartupDraft {
  readonly span: PendingSpan;
  readonly facts: PodStartupFacts;
  /** The pod's Events by Event key (a repeat replaces its entry). */
  readonly events: Map<string, KubeEvent>;
  /** pods/binding requests not drawn yet: they go under the schedule phase. */
  readonly bindings: PlacedAudit[];
  /** Phase spans drawn so far, by key: a phase is drawn once (its span id is exported once). */
  readonly drawn: Map<string, PendingSpan>;
  /** The Event object each Event key was last put on a span as; a repeat is put again. */
  readonly given: Map<string, KubeEvent>;
}

export function newStartupDraft(span: PendingSpan, facts: PodStartupFacts): StartupDraft {
  return { span, facts, events: new Map(), bindings: [], drawn: new Map(), given: new Map() };
}

/**
 * Draws, before the startup ends, the phases whose interval is final and ended at least `windowMs`
 * before `nowMs` (record time) — the adoption window in which late evidence of them (a batched
 * binding request, a lagging Event) arrives (ADR 0005). Returns the record time at which the next
 * final phase will be due, if any.
 */
export function drawSettledPhases(
  tree: SpanTree,
  d: StartupDraft,
  nowMs: number,
  windowMs: number,
): number | undefined {
  let next: number | undefined;
  const due: Phase[] = [];
  for (const p of planPhases(d.span.key, d.span.startMs, d.facts, eventsByPlacement(d.events.values()), Infinity)) {
    if (!p.final || d.drawn.has(p.key)) continue;
    const atMs = p.endMs + windowMs;
    if (atMs <= nowMs) due.push(p);
    else next = Math.min(next ?? Infinity, atMs);
  }
  if (due.length > 0) draw(tree, d, due, undefined);
  return next;
}

/**
 * Draws the rest of a pod startup's phases (DESIGN §3.2: schedule, pull <image>, init <container>,
 * start <container>, readiness) as children of the startup, each clamped into [start, endMs], and
 * places the pod's Events on the phase they document. Phases that took no measurable time become
 * span events (SpanTree folds them). Call once, right before closing the startup.
 */
export function renderStartupPhases(tree: SpanTree, d: StartupDraft, endMs: number): void {
  draw(tree, d, planPhases(d.span.key, d.span.startMs, d.facts, eventsByPlacement(d.events.values()), endMs), endMs);
}

// `endMs` undefined: drawing early, only final phases, at their own ends.
function draw(tree: SpanTree, d: StartupDraft, phases: readonly Phase[], endMs: number | undefined): void {
  const startup = d.span;
  const fresh: [Phase, PendingSpan][] = [];
  const base = { [ATTR.operation]: OPERATION.podPhase, ...podIdentity(startup) };
  for (const p of phases) {
    if (d.drawn.has(p.key)) continue;
    const span = tree.open({
      key: p.key,
      name: p.name,
      startMs: Math.max(p.startMs, startup.startMs),
      parent: startup,
      resource: p.actor === 'scheduler' ? SCHEDULER_ACTOR : kubeletActor(d.facts.nodeName),
      attributes: { ...base, ...p.attributes },
    });
    if (p.status !== undefined) span.status = p.status;
    d.drawn.set(p.key, span);
    fresh.push([p, span]);
  }
  giveEvents(tree, d, endMs !== undefined);
  const schedule = d.drawn.get(phaseKeyOf(startup.key, { phase: 'schedule' }));
  if (schedule !== undefined || endMs !== undefined) {
    const parent = schedule !== undefined && schedule.state !== 'emitted' ? schedule : startup;
    for (const { entry, diff } of d.bindings.splice(0)) emitAuditSpan(tree, entry, parent, podIdentity(startup), diff);
  }
  for (const [p, span] of fresh) {
    const failed = p.status?.code === 'error';
    tree.close(span, endMs === undefined ? p.endMs : Math.min(p.endMs, endMs), { outcome: failed ? 'failed' : 'ok' });
  }
}

// Each Event goes on the phase it documents once that phase is drawn (on the startup at the end
// when it documents none). A repeat of an Event whose phase already left goes on the startup.
function giveEvents(tree: SpanTree, d: StartupDraft, final: boolean): void {
  const startup = d.span;
  for (const ev of d.events.values()) {
    if (d.given.get(ev.key) === ev) continue;
    const placement = placeEvent(ev);
    // Created/Started of an init container document its init phase.
    const initKey = placement.phase === 'start' ? `${startup.key}/init/${placement.container}` : '';
    let target = d.drawn.get(phaseKeyOf(startup.key, placement)) ?? d.drawn.get(initKey);
    if (target === undefined) {
      if (!final) continue;
      target = startup;
    }
    if (target.state === 'emitted') target = startup;
    tree.addKubeEvent(target, ev);
    d.given.set(ev.key, ev);
  }
}

/** Phase and request spans repeat the pod's identity so each is findable on its own in a backend. */
export function podIdentity(startup: PendingSpan): Record<string, AttrValue> {
  const out: Record<string, AttrValue> = {};
  for (const k of [ATTR.namespaceName, ATTR.podName, ATTR.podUid]) {
    const v = startup.attributes[k];
    if (v !== undefined) out[k] = v;
  }
  return out;
}
