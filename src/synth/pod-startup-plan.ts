import type { KubeEvent } from '../model/records.js';
import type { AttrValue, SpanStatus } from '../model/span.js';
import { ATTR } from '../model/attributes.js';
import { type Placement, placeEvent, pulledDurationMs } from './pod-event-placement.js';
import type { ContainerFacts, PodStartupFacts } from './pod-startup-facts.js';

/** One phase of a pod startup, as the evidence so far draws it. */
export interface Phase {
  readonly key: string;
  readonly name: string;
  readonly startMs: number;
  readonly endMs: number;
  /**
   * Its interval no longer depends on evidence still to come: its own end was observed, and so
   * was the end of every phase it starts after. Only such a phase may be drawn before the startup
   * ends (ADR 0005).
   */
  readonly final: boolean;
  readonly actor: 'scheduler' | 'kubelet';
  readonly attributes: Record<string, AttrValue>;
  readonly status?: SpanStatus;
}

/**
 * The phases of startup `key` starting at `startMs` (DESIGN §3.2: schedule, pull <image>, init
 * <container>, start <container>, readiness) from the facts and the pull Events by container. `endMs` is where the
 * startup ends (phases not ended by then end there); Infinity while it is still open.
 */
export function planPhases(
  key: string,
  startMs: number,
  facts: PodStartupFacts,
  events: ReadonlyMap<string, KubeEvent[]>,
  endMs: number,
): Phase[] {
  const phases: Phase[] = [schedulePhase(key, startMs, facts.boundMs, endMs)];
  if (facts.boundMs === undefined) return phases;
  const plan: PlanState = { key, events, endMs, phases, cursor: facts.boundMs, cursorFinal: true };
  const containers = [...facts.containers.values()];
  // Init containers run one after another before the regular ones, which start side by side.
  for (const c of containers) if (c.init) addInitPhases(plan, c);
  const regular = containers.filter((c) => !c.init);
  let lastStarted = plan.cursor;
  for (const c of regular) lastStarted = Math.max(lastStarted, addStartPhases(plan, c));
  if (facts.readyMs !== undefined && regular.every((c) => c.startedMs !== undefined)) {
    phases.push({
      key: phaseKeyOf(key, { phase: 'readiness' }),
      name: 'readiness',
      startMs: lastStarted,
      endMs: facts.readyMs,
      final: plan.cursorFinal,
      actor: 'kubelet',
      attributes: {},
    });
  }
  return phases;
}

/** What planPhases carries from one container to the next. */
interface PlanState {
  readonly key: string;
  readonly events: ReadonlyMap<string, KubeEvent[]>;
  readonly endMs: number;
  readonly phases: Phase[];
  /** Where the next phase may start. */
  cursor: number;
  /** Whether `cursor` is final. */
  cursorFinal: boolean;
}

// Creation until bound to a node; an error span ending with the startup when it never was.
function schedulePhase(key: string, startMs: number, boundMs: number | undefined, endMs: number): Phase {
  return {
    key: phaseKeyOf(key, { phase: 'schedule' }),
    name: 'schedule',
    startMs,
    endMs: boundMs ?? endMs,
    final: boundMs !== undefined,
    actor: 'scheduler',
    attributes: {},
    ...(boundMs === undefined ? { status: { code: 'error', message: 'pod was not scheduled' } } : {}),
  };
}

// An init container's pull and run; the next container starts after its run ends.
function addInitPhases(plan: PlanState, c: ContainerFacts): void {
  const pull = pullPhase(
    plan.key,
    c,
    plan.events.get(`pull/${c.name}`) ?? [],
    plan.cursor,
    plan.endMs,
    plan.cursorFinal,
  );
  if (pull !== undefined) plan.phases.push(pull);
  const initEnd = c.finishedMs ?? plan.endMs;
  // An init container that failed runs again: its phase ends with the run that succeeds.
  const initFinal: boolean =
    plan.cursorFinal && c.startedMs !== undefined && c.finishedMs !== undefined && c.exitCode === 0;
  plan.phases.push({
    key: `${plan.key}/init/${c.name}`,
    name: `init ${c.name}`,
    startMs: c.startedMs ?? pull?.endMs ?? plan.cursor,
    endMs: initEnd,
    final: initFinal,
    actor: 'kubelet',
    attributes: containerAttrs(c),
    ...(c.exitCode !== undefined && c.exitCode !== 0
      ? { status: { code: 'error', message: `init container exited with code ${c.exitCode}` } }
      : {}),
  });
  plan.cursor = Math.max(plan.cursor, initEnd);
  plan.cursorFinal = initFinal;
}

/**
 * A regular container's pull and start; returns when it started (the startup's end while it has
 * not), or the cursor when it has no start phase: a failed pull, or nothing seen before the end.
 */
function addStartPhases(plan: PlanState, c: ContainerFacts): number {
  const { cursor, cursorFinal, endMs } = plan;
  const pull = pullPhase(plan.key, c, plan.events.get(`pull/${c.name}`) ?? [], cursor, endMs, cursorFinal);
  if (pull !== undefined) plan.phases.push(pull);
  const pullFailed = pull?.status?.code === 'error';
  if (c.startedMs === undefined && (pullFailed || (pull === undefined && endMs <= cursor))) return cursor;
  const startedMs = c.startedMs ?? endMs;
  plan.phases.push({
    key: `${plan.key}/start/${c.name}`,
    name: `start ${c.name}`,
    startMs: pull?.endMs ?? cursor,
    endMs: startedMs,
    final: cursorFinal && c.startedMs !== undefined && (pull === undefined || pull.final),
    actor: 'kubelet',
    attributes: containerAttrs(c),
  });
  return startedMs;
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
  notBeforeFinal: boolean,
): Phase | undefined {
  const pulling = events.find((e) => e.reason === 'Pulling');
  const pulled = events.find((e) => e.reason === 'Pulled');
  if (pulling === undefined)
    return pulled === undefined ? undefined : measuredPullPhase(key, c, pulled, notBeforeMs, notBeforeFinal);
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
    final: notBeforeFinal && pulled !== undefined,
    actor: 'kubelet',
    attributes: containerAttrs(c),
    ...(pulled === undefined && failure !== undefined ? { status: { code: 'error', message: failure.note } } : {}),
  };
}

/**
 * A pull known only from its Pulled Event (the Pulling one was lost, or came before what was
 * recorded): it ended with the Pulled Event and lasted what kubelet measured ("in 5.87s"), so it
 * started that long before — never before the pod was bound. Without a measured duration nothing
 * says when it started, and there is no pull phase.
 */
function measuredPullPhase(
  key: string,
  c: ContainerFacts,
  pulled: KubeEvent,
  notBeforeMs: number,
  notBeforeFinal: boolean,
): Phase | undefined {
  const measured = pulledDurationMs(pulled.note);
  if (measured === undefined) return undefined;
  // The Pulled stamp is cut to the second: the pull ended in [stamp, stamp + 1 s), and no earlier
  // than the bound pod plus the measured time.
  const end = Math.min(Math.max(pulled.firstMs, notBeforeMs + measured), pulled.firstMs + 999);
  return {
    key: `${key}/pull/${c.name}`,
    name: `pull ${c.image}`,
    startMs: Math.max(notBeforeMs, end - measured),
    endMs: end,
    final: notBeforeFinal,
    actor: 'kubelet',
    attributes: containerAttrs(c),
  };
}

function containerAttrs(c: ContainerFacts): Record<string, AttrValue> {
  return { [ATTR.containerName]: c.name, [ATTR.containerImage]: c.image };
}

export function phaseKeyOf(startupKey: string, p: Placement): string {
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

/** The pull Events of each container (`pull/<container>`), oldest first. */
export function eventsByPlacement(events: Iterable<KubeEvent>): Map<string, KubeEvent[]> {
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
