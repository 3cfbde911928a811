import type { SlimObject } from '../graph/slim.js';
import type { KubeEvent } from '../model/records.js';
import { containerOfFieldPath, placeEvent } from './pod-event-placement.js';
import type { ContainerFacts } from './pod-startup-facts.js';
import type { StartupDraft } from './pod-startup-render.js';

/** What an open pod startup waits for, in words, and how stuck that is (higher: more telling). */
export interface PodWait {
  readonly text: string;
  /** 4 unschedulable, 3 image pull failing, 2 crash looping, 1 any other wait, 0 readiness. */
  readonly severity: number;
}

const PULL_FAILURES: ReadonlySet<string> = new Set([
  'ErrImagePull',
  'ImagePullBackOff',
  'ErrImageNeverPull',
  'InvalidImageName',
]);

/**
 * Says what the startup of pod `name` waits for at `nowMs`, from what it has shown: its Events
 * (FailedScheduling, pull failures, probe failures), its container statuses (`pod` is its latest
 * version, when synth still holds it) and the facts gathered so far.
 */
export function podWaitingOn(
  name: string,
  d: Readonly<StartupDraft>,
  pod: SlimObject | undefined,
  nowMs: number,
): PodWait {
  const events = [...d.events.values()].sort((a, b) => a.lastMs - b.lastMs);
  const facts = d.facts;
  if (facts.boundMs === undefined) {
    const failed = events.filter((e) => e.reason === 'FailedScheduling').pop();
    return failed !== undefined
      ? { text: `pod ${name}: unschedulable: ${oneLine(failed.note)}`, severity: 4 }
      : { text: `pod ${name}: scheduling (pending ${formatDuration(nowMs - facts.createdMs)})`, severity: 1 };
  }
  const containers = [...facts.containers.values()];
  const pending = containers.find((c) => (c.init ? c.exitCode !== 0 : c.startedMs === undefined));
  if (pending !== undefined) return containerWait(name, pending, events, pod, nowMs);
  const looping = pod?.containerStatuses.find((c) => c.reason === 'CrashLoopBackOff');
  if (looping !== undefined) {
    return {
      text: `pod ${name}: container ${looping.name} CrashLoopBackOff (restarted ${looping.restartCount} times)`,
      severity: 2,
    };
  }
  const startedMs = Math.max(...containers.map((c) => c.startedMs ?? facts.createdMs));
  const probe = events.filter((e) => e.reason === 'Unhealthy' && placeEvent(e).phase === 'readiness').pop();
  const why = probe === undefined ? '' : `: ${oneLine(probe.note.replace(/^Readiness probe failed:\s*/, ''))}`;
  return { text: `pod ${name}: readiness (unready ${formatDuration(nowMs - startedMs)})${why}`, severity: 0 };
}

// A container that has not started (or an init container that has not succeeded yet).
function containerWait(
  name: string,
  c: ContainerFacts,
  events: readonly KubeEvent[],
  pod: SlimObject | undefined,
  nowMs: number,
): PodWait {
  const mine = events.filter((e) => containerOfFieldPath(e.regarding.fieldPath) === c.name);
  const pulls = mine.filter((e) => placeEvent(e).phase === 'pull');
  const status = pod?.containerStatuses.find((s) => s.name === c.name);
  const failures = pulls.filter((e) => e.type === 'Warning');
  const reason = status !== undefined && PULL_FAILURES.has(status.reason) ? status.reason : pullReason(failures);
  if (reason !== undefined) {
    const retries = Math.max(0, ...failures.filter((e) => e.reason !== 'BackOff').map((e) => e.count));
    return { text: `pull ${c.image}: ${reason}, ${retries} ${retries === 1 ? 'retry' : 'retries'}`, severity: 3 };
  }
  if (status?.reason === 'CrashLoopBackOff') {
    return {
      text: `pod ${name}: container ${c.name} CrashLoopBackOff (restarted ${status.restartCount} times)`,
      severity: 2,
    };
  }
  const pulling = pulls.find((e) => e.reason === 'Pulling');
  if (pulling !== undefined && !pulls.some((e) => e.reason === 'Pulled')) {
    return { text: `pod ${name}: pull ${c.image} (${formatDuration(nowMs - pulling.firstMs)})`, severity: 1 };
  }
  const waiting = status?.reason !== undefined && status.reason !== '' ? ` (${status.reason})` : '';
  const verb = c.init ? 'init' : 'start';
  return { text: `pod ${name}: ${verb} ${c.name}${waiting}`, severity: 1 };
}

// kubelet's notes: "Error: ErrImagePull", "Error: ImagePullBackOff", "Back-off pulling image …".
function pullReason(failures: readonly KubeEvent[]): string | undefined {
  const last = failures[failures.length - 1];
  if (last === undefined) return undefined;
  const m = /^Error: (\w+)/.exec(last.note);
  if (m?.[1] !== undefined) return m[1];
  return last.reason === 'BackOff' ? 'ImagePullBackOff' : 'ErrImagePull';
}

function oneLine(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 200 ? `${line.slice(0, 199)}…` : line;
}

/** `4m12s`, `12s`, `1h3m`, `2d4h`; 0s for anything under a second. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${s % 60 > 0 ? `${s % 60}s` : ''}`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h${m % 60 > 0 ? `${m % 60}m` : ''}`;
  return `${Math.floor(h / 24)}d${h % 24 > 0 ? `${h % 24}h` : ''}`;
}

/**
 * What a pod whose startup already ended (judged stuck, or past the maximum age) still waits for,
 * from its latest status alone: undefined when it is Ready or shows nothing specific.
 */
export function podStatusWait(pod: SlimObject): PodWait | undefined {
  if (pod.conditions['Ready']?.status === 'True') return undefined;
  const scheduled = pod.conditions['PodScheduled'];
  if (scheduled?.status === 'False' && scheduled.reason === 'Unschedulable') {
    return { text: `pod ${pod.name}: unschedulable: ${oneLine(scheduled.message)}`, severity: 4 };
  }
  for (const s of pod.containerStatuses) {
    if (s.state !== 'waiting') continue;
    if (PULL_FAILURES.has(s.reason)) {
      const image = pod.containers.find((c) => c.name === s.name)?.image ?? s.name;
      return { text: `pull ${image}: ${s.reason} (pod ${pod.name})`, severity: 3 };
    }
    if (s.reason === 'CrashLoopBackOff') {
      return {
        text: `pod ${pod.name}: container ${s.name} CrashLoopBackOff (restarted ${s.restartCount} times)`,
        severity: 2,
      };
    }
  }
  return undefined;
}
