import { orderKeys, POD_STATUS_ORDER } from '../engine/json-order.js';
import type { ContainerState, ContainerStatus, Pod, PodCondition, PodStatus } from '../engine/k8s-types.js';
import { rfc3339Seconds } from '../engine/time-format.js';
import { imageInfo } from '../objects/images.js';
import { allStopped, initsDone, podPhase, type ContainerRt, type PodRt, type TerminatedInfo } from './pod-runtime.js';

function terminatedState(t: TerminatedInfo): ContainerState {
  return {
    terminated: {
      exitCode: t.exitCode,
      reason: t.reason,
      startedAt: rfc3339Seconds(t.startedUs),
      finishedAt: rfc3339Seconds(t.finishedUs),
      containerID: t.containerId,
    },
  };
}

function containerStatus(c: ContainerRt): ContainerStatus {
  let state: ContainerState;
  if (c.state === 'running') state = { running: { startedAt: rfc3339Seconds(c.startedUs ?? 0) } };
  else if (c.state === 'terminated' && c.terminated !== undefined) state = terminatedState(c.terminated);
  else
    state = {
      waiting: { reason: c.waitingReason, ...(c.waitingMessage === undefined ? {} : { message: c.waitingMessage }) },
    };
  const info = imageInfo(c.spec.image);
  const created = c.containerId !== undefined;
  return {
    name: c.spec.name,
    state,
    lastState: c.last === undefined ? {} : terminatedState(c.last),
    ready: c.ready,
    restartCount: c.restartCount,
    image: c.imageResolved ? info.qualified : c.spec.image,
    imageID: c.imageResolved ? info.imageId : '',
    ...(created ? { containerID: c.containerId } : {}),
    started: c.state === 'running',
    ...(created
      ? {
          volumeMounts: (c.spec.volumeMounts ?? []).map((m) => ({
            name: m.name,
            mountPath: m.mountPath,
            ...(m.readOnly === true ? { readOnly: true, recursiveReadOnly: 'Disabled' } : {}),
          })),
        }
      : {}),
  };
}

/**
 * kubelet generateAPIPodStatus: phase, the five conditions (transition times kept by kubelet),
 * host/pod IPs, start time and container statuses (main containers sorted by name).
 */
export function generatePodStatus(rt: PodRt, pod: Pod, hostIp: string, nowUs: number): PodStatus {
  const terminal = rt.terminating && allStopped(rt);
  const phase = podPhase(rt, pod.spec.restartPolicy, terminal);
  const cond = (type: string, ok: boolean, reason?: string, message?: string): PodCondition => {
    const status = ok ? 'True' : 'False';
    const prev = rt.conds.get(type);
    const since = prev !== undefined && prev[0] === status ? prev[1] : nowUs;
    rt.conds.set(type, [status, since]);
    return {
      type,
      status,
      lastProbeTime: null,
      lastTransitionTime: rfc3339Seconds(since),
      ...(ok || reason === undefined ? {} : { reason }),
      ...(ok || message === undefined ? {} : { message }),
    };
  };
  const incomplete = rt.inits
    .filter((c) => !(c.state === 'terminated' && c.terminated?.exitCode === 0))
    .map((c) => c.spec.name);
  const unready = rt.mains.filter((c) => !c.ready).map((c) => c.spec.name);
  const completed = phase === 'Succeeded';
  const readyReason = completed ? 'PodCompleted' : 'ContainersNotReady';
  const readyMessage = completed ? undefined : `containers with unready status: [${unready.join(' ')}]`;
  const sandbox = rt.sandboxUs !== undefined && rt.sandboxDownUs === undefined;
  const conditions = [
    cond('PodReadyToStartContainers', sandbox),
    cond(
      'Initialized',
      initsDone(rt),
      'ContainersNotInitialized',
      `containers with incomplete status: [${incomplete.join(' ')}]`,
    ),
    cond('Ready', unready.length === 0, readyReason, readyMessage),
    cond('ContainersReady', unready.length === 0, readyReason, readyMessage),
    ...(pod.status.conditions ?? []).filter((c) => c.type === 'PodScheduled'),
  ];
  const status: PodStatus = {
    phase,
    conditions,
    hostIP: hostIp,
    hostIPs: [{ ip: hostIp }],
    ...(rt.podIp === undefined ? {} : { podIP: rt.podIp, podIPs: [{ ip: rt.podIp }] }),
    startTime: rfc3339Seconds(rt.startUs),
    ...(rt.inits.length === 0 ? {} : { initContainerStatuses: rt.inits.map(containerStatus) }),
    containerStatuses: [...rt.mains].sort((a, b) => (a.spec.name < b.spec.name ? -1 : 1)).map(containerStatus),
    qosClass: pod.status.qosClass ?? 'BestEffort',
  };
  return orderKeys(status, POD_STATUS_ORDER);
}
