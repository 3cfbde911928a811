import type { SlimObject } from '../graph/slim.js';
import { refineTime } from './context.js';

export interface ContainerFacts {
  readonly name: string;
  readonly image: string;
  readonly init: boolean;
  /** First time the container was seen running (or terminated, for fast init containers). */
  startedMs: number | undefined;
  /** Init containers: when the (last) run finished. */
  finishedMs: number | undefined;
  exitCode: number | undefined;
  restartCount: number;
}

/**
 * What a pod startup has shown so far, gathered from every version of the pod. Phases are drawn
 * from these facts when the startup ends, so records arriving in any order within the stream
 * give the same spans.
 */
export class PodStartupFacts {
  readonly createdMs: number;
  nodeName: string | undefined;
  scheduledMs: number | undefined;
  /** Completion of the scheduler's pods/binding request (µs precision, from audit). */
  bindingMs: number | undefined;
  readyMs: number | undefined;
  readonly containers = new Map<string, ContainerFacts>();

  constructor(createdMs: number) {
    this.createdMs = createdMs;
  }

  /** Folds in one pod version observed at `recordMs`. */
  observe(pod: SlimObject, recordMs: number): void {
    if (pod.nodeName !== undefined) this.nodeName = pod.nodeName;
    const scheduled = pod.conditions['PodScheduled'];
    if (this.scheduledMs === undefined && scheduled?.status === 'True') {
      this.scheduledMs = refineTime(scheduled.lastTransitionMs, recordMs);
    }
    const ready = pod.conditions['Ready'];
    if (this.readyMs === undefined && ready?.status === 'True') {
      this.readyMs = refineTime(ready.lastTransitionMs, recordMs);
    }
    this.#observeContainers(pod, recordMs);
  }

  // Containers are listed from the spec once; their statuses only ever add what a later version shows.
  #observeContainers(pod: SlimObject, recordMs: number): void {
    for (const c of pod.containers) {
      if (!this.containers.has(c.name)) {
        this.containers.set(c.name, {
          name: c.name,
          image: c.image,
          init: c.init,
          startedMs: undefined,
          finishedMs: undefined,
          exitCode: undefined,
          restartCount: 0,
        });
      }
    }
    for (const cs of pod.containerStatuses) {
      const f = this.containers.get(cs.name);
      if (f === undefined) continue;
      f.restartCount = Math.max(f.restartCount, cs.restartCount);
      if (f.startedMs === undefined && cs.startedMs !== undefined) f.startedMs = refineTime(cs.startedMs, recordMs);
      if (cs.state === 'terminated' && cs.finishedMs !== undefined) {
        f.finishedMs = refineTime(cs.finishedMs, recordMs);
        f.exitCode = cs.exitCode;
      }
    }
  }

  /** When the pod was bound to its node: the audited binding if seen, else the PodScheduled condition. */
  get boundMs(): number | undefined {
    return this.bindingMs ?? this.scheduledMs;
  }

  /** Sum of container restarts seen. */
  get restartCount(): number {
    let n = 0;
    for (const c of this.containers.values()) n += c.restartCount;
    return n;
  }
}
