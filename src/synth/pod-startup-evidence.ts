import type { SlimObject } from '../graph/slim.js';
import { containerOfFieldPath } from './pod-event-placement.js';
import type { PodStartupFacts } from './pod-startup-facts.js';
import type { StartupDraft } from './pod-startup-render.js';

// What a pod's status and its startup's evidence say, for PodTracker: whether it starts here,
// has run before, is done starting, when it was Ready or its containers started.

// Seen only once it finished, a pod no longer says when it was Ready: its containers' start is
// the best evidence, and a Job pod's run lasted until they finished.
export function readyFromContainers(pod: SlimObject, facts: PodStartupFacts): void {
  if (facts.readyMs !== undefined || (pod.phase !== 'Succeeded' && pod.phase !== 'Failed')) return;
  const started = [...facts.containers.values()].filter((c) => !c.init).map((c) => c.startedMs ?? -Infinity);
  const readyMs = Math.max(...started);
  if (Number.isFinite(readyMs)) facts.readyMs = readyMs;
}

// When the last of a pod's containers started, if every container the pod has (its spec known)
// was seen running or the kubelet's Started Events say so (one without a container regards all).
export function startedByEvents(s: StartupDraft): number | undefined {
  const started = new Map<string, number>();
  for (const e of s.events.values()) {
    const name = e.reason === 'Started' ? (containerOfFieldPath(e.regarding.fieldPath) ?? '') : undefined;
    if (name !== undefined) started.set(name, Math.max(e.lastMs, started.get(name) ?? -Infinity));
  }
  const main = [...s.facts.containers.values()].filter((c) => !c.init);
  const times = main.map((c) => c.startedMs ?? started.get(c.name) ?? started.get(''));
  if (main.length === 0 || times.includes(undefined)) return undefined;
  return Math.max(...times.map((t) => t ?? -Infinity));
}

// A startup keeps its Events and requests aside until it ends (they become phases then).
export function startupEvidenceMs(spanEvidenceMs: number, s: StartupDraft, capMs: number): number {
  let last = spanEvidenceMs;
  for (const e of s.events.values()) last = Math.max(last, e.lastMs);
  for (const a of s.bindings) last = Math.max(last, a.entry.stageMs);
  return Math.min(last, capMs);
}

// A pod created this recently and first seen Ready (a watch that started, or an informer that
// delivered, after it came up) still gets its startup, drawn from its status times.
const FIRST_SEEN_READY_MS = 60_000;

export function startsHere(pod: SlimObject, recordMs: number): boolean {
  if (!isStarted(pod)) return !wasReady(pod);
  const fresh = pod.creationMs !== undefined && recordMs - pod.creationMs <= FIRST_SEEN_READY_MS;
  return fresh && (pod.conditions['Ready']?.status === 'True' || jobPodRanToEnd(pod));
}

// A Job's pod that finished just before its first sight (a list taken between its exit and the
// Job's next step) ran: its containers' start and finish times give its startup and run, as a
// pod watched through would have had them, so its kubelet's last status writes have their run.
function jobPodRanToEnd(pod: SlimObject): boolean {
  if (pod.controller?.kind !== 'Job' || (pod.phase !== 'Succeeded' && pod.phase !== 'Failed')) return false;
  const main = pod.containerStatuses.filter((c) => !c.init);
  return main.length > 0 && main.every((c) => c.state === 'terminated' && c.startedMs !== undefined);
}

// Not Ready now, but Ready went False after a container had started — running now, or in its run
// before the last restart (a crash loop between runs): the pod was Ready before (its node lost, a
// readiness probe failing, its container crashed) and its startup was over before we saw it. A pod
// never Ready has had Ready False since its first status, before its containers started: the
// kubelet moves a condition's lastTransitionTime only when its status changes.
function wasReady(pod: SlimObject): boolean {
  const ready = pod.conditions['Ready'];
  if (ready === undefined || ready.status === 'True') return false;
  const notReadyMs = ready.lastTransitionMs ?? -Infinity;
  return pod.containerStatuses.some(
    (c) =>
      (c.state === 'running' && (c.startedMs ?? Infinity) < notReadyMs) || (c.lastStartedMs ?? Infinity) < notReadyMs,
  );
}

// A pod not Ready now that had run before: a container restarted, or Ready went False after a
// container started (it had been Ready: a probe failing, its node lost).
export function hasRun(pod: SlimObject): boolean {
  const notReadyMs = pod.conditions['Ready']?.lastTransitionMs ?? -Infinity;
  return pod.containerStatuses.some((c) => c.restartCount > 0 || (c.startedMs ?? Infinity) < notReadyMs);
}

export function isStarted(pod: SlimObject): boolean {
  return pod.conditions['Ready']?.status === 'True' || pod.phase === 'Succeeded' || pod.phase === 'Failed';
}

export function failureMessage(pod: SlimObject): string {
  for (const cs of pod.containerStatuses) {
    if (cs.state === 'terminated' && (cs.exitCode ?? 0) !== 0) {
      return `container ${cs.name} exited with code ${cs.exitCode ?? '?'}${cs.reason !== '' ? ` (${cs.reason})` : ''}`;
    }
  }
  return 'pod failed';
}
