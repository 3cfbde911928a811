import { ATTR, OPERATION } from '../model/attributes.js';
import type { AuditEntry, KubeEvent } from '../model/records.js';
import type { AttrValue, SpanEventData, SpanStatus } from '../model/span.js';
import { SCHEDULER_ACTOR, kubeletActor } from './actors.js';
import { emitAuditSpan } from './audit-span.js';
import type { PendingSpan } from './pending-span.js';
import { type Placement, placeEvent, pulledDurationMs } from './pod-event-placement.js';
import type { ContainerFacts, PodStartupFacts } from './pod-startup-facts.js';
import type { SpanTree } from './span-tree.js';

/** An audited write to the pod, kept until the startup is drawn, with the diff it made. */
export interface PlacedAudit {
  readonly entry: AuditEntry;
  readonly diff: SpanEventData | undefined;
}

interface Phase {
  readonly key: string;
  readonly name: string;
  readonly startMs: number;
  readonly endMs: number;
  readonly actor: 'scheduler' | 'kubelet';
  readonly attributes: Record<string, AttrValue>;
  readonly status?: SpanStatus;
}

/**
 * Draws the phases of a pod startup (DESIGN §3.2: schedule, pull <image>, init <container>,
 * start <container>, readiness) as children of `startup`, each clamped into [start, endMs], and
 * places the pod's Events on the phase they document. Phases that took no measurable time become
 * span events (SpanTree folds them). Call once, right before closing `startup`.
 */
export function renderStartupPhases(
  tree: SpanTree,
  startup: PendingSpan,
  facts: PodStartupFacts,
  events: readonly KubeEvent[],
  audits: readonly PlacedAudit[],
  endMs: number,
): void {
  const byContainer = eventsByPlacement(events);
  const phases = planPhases(startup, facts, byContainer, endMs);
  const spans = new Map<string, PendingSpan>();
  const base = { [ATTR.operation]: OPERATION.podPhase, ...podIdentity(startup) };
  for (const p of phases) {
    const span = tree.open({
      key: p.key,
      name: p.name,
      startMs: Math.max(p.startMs, startup.startMs),
      parent: startup,
      resource: p.actor === 'scheduler' ? SCHEDULER_ACTOR : kubeletActor(facts.nodeName),
      attributes: { ...base, ...p.attributes },
    });
    if (p.status !== undefined) span.status = p.status;
    spans.set(p.key, span);
  }
  for (const ev of events) {
    const placement = placeEvent(ev);
    // Created/Started of an init container document its init phase.
    const initKey = placement.phase === 'start' ? `${startup.key}/init/${placement.container}` : '';
    const target = spans.get(phaseKeyOf(startup.key, placement)) ?? spans.get(initKey) ?? startup;
    tree.addKubeEvent(target, ev);
  }
  for (const { entry, diff } of audits) {
    const bind = entry.objectRef?.subresource === 'binding';
    const target = bind ? spans.get(phaseKeyOf(startup.key, { phase: 'schedule' })) : undefined;
    emitAuditSpan(tree, entry, target ?? startup, podIdentity(startup), diff);
  }
  for (const p of phases) {
    const span = spans.get(p.key);
    const failed = p.status?.code === 'error';
    if (span !== undefined) tree.close(span, Math.min(p.endMs, endMs), { outcome: failed ? 'failed' : 'ok' });
  }
}

function planPhases(
  startup: PendingSpan,
  facts: PodStartupFacts,
  events: ReadonlyMap<string, KubeEvent[]>,
  endMs: number,
): Phase[] {
  const key = startup.key;
  const phases: Phase[] = [];
  const schedEnd = facts.boundMs ?? endMs;
  phases.push({
    key: phaseKeyOf(key, { phase: 'schedule' }),
    name: 'schedule',
    startMs: startup.startMs,
    endMs: schedEnd,
    actor: 'scheduler',
    attributes: {},
    ...(facts.boundMs === undefined ? { status: { code: 'error', message: 'pod was not scheduled' } } : {}),
  });
  if (facts.boundMs === undefined) return phases;
  let cursor = schedEnd;
  const regular: ContainerFacts[] = [];
  for (const c of facts.containers.values()) {
    if (!c.init) {
      regular.push(c);
      continue;
    }
    const pull = pullPhase(key, c, events.get(`pull/${c.name}`) ?? [], cursor, endMs);
    if (pull !== undefined) phases.push(pull);
    const initStart = c.startedMs ?? pull?.endMs ?? cursor;
    const initEnd = c.finishedMs ?? endMs;
    phases.push({
      key: `${key}/init/${c.name}`,
      name: `init ${c.name}`,
      startMs: initStart,
      endMs: initEnd,
      actor: 'kubelet',
      attributes: containerAttrs(c),
      ...(c.exitCode !== undefined && c.exitCode !== 0
        ? { status: { code: 'error', message: `init container exited with code ${c.exitCode}` } }
        : {}),
    });
    cursor = Math.max(cursor, initEnd);
  }
  let lastStarted = cursor;
  for (const c of regular) {
    const pull = pullPhase(key, c, events.get(`pull/${c.name}`) ?? [], cursor, endMs);
    if (pull !== undefined) phases.push(pull);
    const pullFailed = pull?.status?.code === 'error';
    if (c.startedMs === undefined && (pullFailed || (pull === undefined && endMs <= cursor))) continue;
    const startedMs = c.startedMs ?? endMs;
    phases.push({
      key: `${key}/start/${c.name}`,
      name: `start ${c.name}`,
      startMs: pull?.endMs ?? cursor,
      endMs: startedMs,
      actor: 'kubelet',
      attributes: containerAttrs(c),
    });
    lastStarted = Math.max(lastStarted, startedMs);
  }
  if (facts.readyMs !== undefined && regular.every((c) => c.startedMs !== undefined)) {
    phases.push({
      key: phaseKeyOf(key, { phase: 'readiness' }),
      name: 'readiness',
      startMs: lastStarted,
      endMs: facts.readyMs,
      actor: 'kubelet',
      attributes: {},
    });
  }
  return phases;
}

/**
 * Pulling → Pulled. Kubelet's event times have second precision; when both fall in the same
 * second the duration kubelet itself measured (in the Pulled note) gives the real length.
 */
function pullPhase(
  key: string,
  c: ContainerFacts,
  events: readonly KubeEvent[],
  notBeforeMs: number,
  endMs: number,
): Phase | undefined {
  const pulling = events.find((e) => e.reason === 'Pulling');
  if (pulling === undefined) return undefined;
  const pulled = events.find((e) => e.reason === 'Pulled');
  const failure = [...events].reverse().find((e) => e.type === 'Warning');
  // Kubelet cannot pull before the pod is bound; a truncated Pulling second may say otherwise.
  let start = Math.max(pulling.firstMs, notBeforeMs);
  let end = pulled?.firstMs ?? (failure !== undefined ? Math.min(failure.lastMs, endMs) : endMs);
  const measured = pulled === undefined ? undefined : pulledDurationMs(pulled.note);
  if (pulled !== undefined && measured !== undefined) {
    // Kubelet's own measurement is exact; the event stamps are truncated to the second. Place
    // the measured interval as early as both stamps allow (it must end in the Pulled second).
    const placed = Math.max(start, pulled.firstMs - measured);
    if (placed + measured < pulled.firstMs + 1000) {
      start = placed;
      end = placed + measured;
    } else {
      end = Math.min(Math.max(start + measured, pulled.firstMs), pulled.firstMs + 999);
    }
  }
  return {
    key: `${key}/pull/${c.name}`,
    name: `pull ${c.image}`,
    startMs: start,
    endMs: end,
    actor: 'kubelet',
    attributes: containerAttrs(c),
    ...(pulled === undefined && failure !== undefined ? { status: { code: 'error', message: failure.note } } : {}),
  };
}

function containerAttrs(c: ContainerFacts): Record<string, AttrValue> {
  return { [ATTR.containerName]: c.name, [ATTR.containerImage]: c.image };
}

function phaseKeyOf(startupKey: string, p: Placement): string {
  switch (p.phase) {
    case 'schedule':
    case 'readiness':
      return `${startupKey}/${p.phase}`;
    case 'pull':
    case 'start':
      return `${startupKey}/${p.phase}/${p.container}`;
    case 'startup':
      return startupKey;
  }
}

function eventsByPlacement(events: readonly KubeEvent[]): Map<string, KubeEvent[]> {
  const out = new Map<string, KubeEvent[]>();
  const sorted = [...events].sort((a, b) => a.firstMs - b.firstMs || (a.key < b.key ? -1 : 1));
  for (const ev of sorted) {
    const p = placeEvent(ev);
    if (p.phase !== 'pull') continue;
    const k = `pull/${p.container}`;
    const list = out.get(k);
    if (list === undefined) out.set(k, [ev]);
    else list.push(ev);
  }
  return out;
}

// Phase spans repeat the pod's identity so each is findable on its own in a backend.
function podIdentity(startup: PendingSpan): Record<string, AttrValue> {
  const out: Record<string, AttrValue> = {};
  for (const k of [ATTR.namespaceName, ATTR.podName, ATTR.podUid]) {
    const v = startup.attributes[k];
    if (v !== undefined) out[k] = v;
  }
  return out;
}
