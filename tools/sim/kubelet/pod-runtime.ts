import type { ContainerSpec, Pod } from '../engine/k8s-types.js';
import type { ObjectId } from '../engine/object-table.js';
import type { ContainerPlan } from './container-behavior.js';

export interface TerminatedInfo {
  readonly exitCode: number;
  readonly reason: string;
  readonly startedUs: number;
  readonly finishedUs: number;
  readonly containerId: string;
}

/** What kubelet knows about one container (runtime state plus its own bookkeeping). */
export interface ContainerRt {
  readonly spec: ContainerSpec;
  readonly init: boolean;
  state: 'waiting' | 'running' | 'terminated';
  waitingReason: string;
  waitingMessage?: string;
  startedUs?: number;
  terminated?: TerminatedInfo;
  last?: TerminatedInfo;
  containerId?: string;
  imageResolved: boolean;
  restartCount: number;
  starts: number;
  ready: boolean;
  plan?: ContainerPlan;
  /** Bumped on every start or kill so stale timers can tell they are stale. */
  gen: number;
  crashBackoffUs: number;
  pullBackoffUs: number;
  pullBackoffUntilUs: number;
}

/** What kubelet knows about one pod on its node. */
export interface PodRt {
  readonly id: ObjectId;
  readonly uid: string;
  readonly inits: ContainerRt[];
  readonly mains: ContainerRt[];
  startUs: number;
  sandboxUs?: number;
  sandboxDownUs?: number;
  podIp?: string;
  terminating: boolean;
  finalDeleteQueued: boolean;
  syncQueued: boolean;
  /** Condition type → [status, lastTransitionTime µs]: kubelet keeps transition times itself. */
  readonly conds: Map<string, [string, number]>;
}

/** A container kubelet has not started yet. */
export function newContainerRt(spec: ContainerSpec, init: boolean, hasInits: boolean): ContainerRt {
  return {
    spec,
    init,
    state: 'waiting',
    waitingReason: hasInits ? 'PodInitializing' : 'ContainerCreating',
    imageResolved: false,
    restartCount: 0,
    starts: 0,
    ready: false,
    gen: 0,
    crashBackoffUs: 0,
    pullBackoffUs: 0,
    pullBackoffUntilUs: 0,
  };
}

/** kubelet's bookkeeping for a pod it just admitted. */
export function newPodRt(pod: Pod, id: ObjectId, nowUs: number): PodRt {
  const inits = pod.spec.initContainers ?? [];
  return {
    id,
    uid: pod.metadata.uid ?? '',
    inits: inits.map((c) => newContainerRt(c, true, true)),
    mains: pod.spec.containers.map((c) => newContainerRt(c, false, inits.length > 0)),
    startUs: nowUs,
    terminating: false,
    finalDeleteQueued: false,
    syncQueued: false,
    conds: new Map(),
  };
}

/** Every init container exited 0. */
export function initsDone(rt: PodRt): boolean {
  return rt.inits.every((c) => c.state === 'terminated' && c.terminated?.exitCode === 0);
}

/** No container of the pod is running. */
export function allStopped(rt: PodRt): boolean {
  return [...rt.inits, ...rt.mains].every((c) => c.state !== 'running');
}

/** kubelet getPhase. `terminal` is a pod being deleted whose containers have all stopped. */
export function podPhase(rt: PodRt, restartPolicy: string, terminal: boolean): string {
  const initFailed = rt.inits.some((c) => c.state === 'terminated' && c.terminated?.exitCode !== 0);
  if (terminal)
    return rt.mains.every((c) => c.terminated?.exitCode === 0 || (c.terminated === undefined && c.last?.exitCode === 0))
      ? 'Succeeded'
      : 'Failed';
  if (!initsDone(rt)) return initFailed && restartPolicy === 'Never' ? 'Failed' : 'Pending';
  let running = 0;
  let waiting = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const c of rt.mains) {
    if (c.state === 'running') running++;
    else if (c.state === 'terminated') {
      stopped++;
      if (c.terminated?.exitCode === 0) succeeded++;
    } else if (c.last !== undefined) stopped++;
    else waiting++;
  }
  if (waiting > 0) return 'Pending';
  if (running > 0) return 'Running';
  if (stopped > 0) {
    if (restartPolicy === 'Always') return 'Running';
    if (stopped === succeeded) return 'Succeeded';
    return restartPolicy === 'Never' ? 'Failed' : 'Running';
  }
  return 'Pending';
}
