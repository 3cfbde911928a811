import type { CoreEventRecorder, EventType } from '../engine/core-event-recorder.js';
import type { EventLoop } from '../engine/event-loop.js';
import type { Pod } from '../engine/k8s-types.js';
import { referenceTo } from '../engine/object-ref.js';
import type { Rng } from '../engine/rng.js';
import { goDurationMs, US_PER_MS, US_PER_S } from '../engine/time-format.js';
import { imageInfo, notFoundError } from '../objects/images.js';
import type { Behaviors } from './container-behavior.js';
import type { ContainerRt, PodRt } from './pod-runtime.js';

/** The parts of kubelet a container runner needs. */
export interface RunnerHost {
  readonly loop: EventLoop;
  readonly rng: Rng;
  readonly events: CoreEventRecorder;
  readonly behaviors: Behaviors;
  readonly images: Set<string>;
  currentPod(rt: PodRt): Pod | undefined;
  /** Status changed: patch it at the next PLEG relist. */
  markDirty(rt: PodRt): void;
  /** A container exited and PLEG noticed: decide restarts, next init step, termination. */
  onExit(rt: PodRt, c: ContainerRt): void;
  onStarted(rt: PodRt, c: ContainerRt): void;
  /** Share of the measured startup overhead spent creating and starting one container. */
  startDelayUs(rt: PodRt): number;
}

const MAX_BACKOFF_US = 300 * US_PER_S;

/**
 * One container's life on the node: image pull (serialized per node, with ErrImagePull and
 * ImagePullBackOff), create, start, exit, readiness probing, and the kubelet events for each.
 */
export class ContainerRunner {
  readonly #h: RunnerHost;
  #pullFreeUs = 0;

  constructor(host: RunnerHost) {
    this.#h = host;
  }

  event(rt: PodRt, c: ContainerRt, type: EventType, reason: string, message: string): void {
    const pod = this.#h.currentPod(rt);
    if (pod === undefined) return;
    const field = `spec.${c.init ? 'initContainers' : 'containers'}{${c.spec.name}}`;
    this.#h.events.record(referenceTo(pod, field), type, reason, message);
  }

  /** Pulls if needed, then creates and starts the container; calls `then` once it runs. */
  start(rt: PodRt, c: ContainerRt, then: () => void): void {
    const gen = ++c.gen;
    const ref = c.spec.image;
    const present = c.spec.imagePullPolicy !== 'Always' && this.#h.images.has(ref);
    if (present) {
      this.event(rt, c, 'Normal', 'Pulled', `Container image "${ref}" already present on machine`);
      this.#create(rt, c, gen, then);
      return;
    }
    this.event(rt, c, 'Normal', 'Pulling', `Pulling image "${ref}"`);
    const info = imageInfo(ref);
    const now = this.#h.loop.nowUs;
    const begin = Math.max(now, this.#pullFreeUs);
    const bandwidth = this.#h.rng.range(18, 40) * 1e6;
    const pullUs = info.exists
      ? Math.round(this.#h.rng.int(500, 1100) * US_PER_MS + (info.sizeBytes / bandwidth) * US_PER_S)
      : this.#h.rng.int(350, 1400) * US_PER_MS;
    const end = begin + pullUs;
    this.#pullFreeUs = end;
    this.#h.loop.at(end, () => {
      if (c.gen !== gen) return;
      if (!info.exists) {
        this.#pullFailed(rt, c, gen, then);
        return;
      }
      this.#h.images.add(ref);
      c.pullBackoffUs = 0;
      const msg = `Successfully pulled image "${ref}" in ${goDurationMs(pullUs)} (${goDurationMs(end - now)} including waiting). Image size: ${info.sizeBytes} bytes.`;
      this.event(rt, c, 'Normal', 'Pulled', msg);
      this.#create(rt, c, gen, then);
    });
  }

  #pullFailed(rt: PodRt, c: ContainerRt, gen: number, then: () => void): void {
    const ref = c.spec.image;
    const err = notFoundError(ref);
    this.event(rt, c, 'Warning', 'Failed', `Failed to pull image "${ref}": ${err}`);
    this.event(rt, c, 'Warning', 'Failed', 'Error: ErrImagePull');
    c.waitingReason = 'ErrImagePull';
    c.waitingMessage = err;
    c.pullBackoffUs = c.pullBackoffUs === 0 ? 10 * US_PER_S : Math.min(2 * c.pullBackoffUs, MAX_BACKOFF_US);
    c.pullBackoffUntilUs = this.#h.loop.nowUs + c.pullBackoffUs;
    this.#h.markDirty(rt);
    this.#h.loop.after(this.#h.rng.int(1_000, 3_000) * US_PER_MS, () => this.#pullBackoffSync(rt, c, gen, then));
  }

  /** A pod sync while the image is in back-off: BackOff events until it expires, then a new pull. */
  #pullBackoffSync(rt: PodRt, c: ContainerRt, gen: number, then: () => void): void {
    if (c.gen !== gen || rt.terminating) return;
    if (this.#h.loop.nowUs >= c.pullBackoffUntilUs) {
      this.start(rt, c, then);
      return;
    }
    const ref = c.spec.image;
    this.event(rt, c, 'Normal', 'BackOff', `Back-off pulling image "${ref}"`);
    this.event(rt, c, 'Warning', 'Failed', 'Error: ImagePullBackOff');
    c.waitingReason = 'ImagePullBackOff';
    c.waitingMessage = `Back-off pulling image "${ref}"`;
    this.#h.markDirty(rt);
    this.#h.loop.after(this.#h.rng.int(10_000, 15_000) * US_PER_MS, () => this.#pullBackoffSync(rt, c, gen, then));
  }

  #create(rt: PodRt, c: ContainerRt, gen: number, then: () => void): void {
    const total = this.#h.startDelayUs(rt);
    this.#h.loop.after(Math.round(total * 0.6), () => {
      if (c.gen !== gen || rt.terminating) return;
      c.imageResolved = true;
      c.containerId = `containerd://${this.#h.rng.hex(64)}`;
      this.event(rt, c, 'Normal', 'Created', `Created container: ${c.spec.name}`);
      this.#h.loop.after(Math.round(total * 0.4), () => {
        if (c.gen !== gen || rt.terminating) return;
        this.#run(rt, c, gen);
        then();
      });
    });
  }

  #run(rt: PodRt, c: ContainerRt, gen: number): void {
    const pod = this.#h.currentPod(rt);
    if (pod === undefined) return;
    c.plan = this.#h.behaviors.planFor(pod, c.spec, c.starts, this.#h.rng);
    c.starts++;
    c.state = 'running';
    c.startedUs = this.#h.loop.nowUs;
    c.waitingMessage = undefined;
    c.ready = !c.init && c.spec.readinessProbe === undefined;
    this.event(rt, c, 'Normal', 'Started', `Started container ${c.spec.name}`);
    this.#h.onStarted(rt, c);
    this.#h.markDirty(rt);
    const exitAfter = c.plan.exitAfterUs;
    if (exitAfter !== undefined) this.#h.loop.after(exitAfter, () => this.exit(rt, c, gen, c.plan?.exitCode ?? 0));
  }

  /** The process ended (by itself or after SIGTERM). */
  exit(rt: PodRt, c: ContainerRt, gen: number, exitCode: number): void {
    if (c.gen !== gen || c.state !== 'running') return;
    c.state = 'terminated';
    c.ready = false;
    c.terminated = {
      exitCode,
      reason: exitCode === 0 ? 'Completed' : 'Error',
      startedUs: c.startedUs ?? this.#h.loop.nowUs,
      finishedUs: this.#h.loop.nowUs,
      containerId: c.containerId ?? '',
    };
    this.#h.markDirty(rt);
    this.#h.onExit(rt, c);
  }

  /** Restarts an exited container, or backs off (CrashLoopBackOff) per kubelet's doBackOff. */
  restart(rt: PodRt, c: ContainerRt): void {
    const t = c.state === 'terminated' ? c.terminated : c.waitingReason === 'CrashLoopBackOff' ? c.last : undefined;
    if (t === undefined || rt.terminating) return;
    const now = this.#h.loop.nowUs;
    const podDesc = `${rt.id.name}_${rt.id.namespace ?? ''}(${rt.uid})`;
    if (c.crashBackoffUs > 0 && now - t.finishedUs < c.crashBackoffUs) {
      this.event(rt, c, 'Warning', 'BackOff', `Back-off restarting failed container ${c.spec.name} in pod ${podDesc}`);
      const gen = c.gen;
      if (c.state === 'terminated') {
        this.#h.loop.after(this.#h.rng.int(800, 2_000) * US_PER_MS, () => {
          if (c.gen !== gen || c.state !== 'terminated') return;
          c.last = c.terminated;
          c.terminated = undefined;
          c.state = 'waiting';
          c.waitingReason = 'CrashLoopBackOff';
          c.waitingMessage = `back-off ${goDurationMs(c.crashBackoffUs)} restarting failed container=${c.spec.name} pod=${podDesc}`;
          this.#h.markDirty(rt);
        });
      }
      // The pod worker re-syncs a backed-off pod every 10-15 s.
      this.#h.loop.after(this.#h.rng.int(10_000, 15_000) * US_PER_MS, () => {
        if (c.gen === gen) this.restart(rt, c);
      });
      return;
    }
    c.crashBackoffUs = c.crashBackoffUs === 0 ? 10 * US_PER_S : Math.min(2 * c.crashBackoffUs, MAX_BACKOFF_US);
    c.last = t;
    c.terminated = undefined;
    c.state = 'waiting';
    c.waitingReason = 'ContainerCreating';
    c.waitingMessage = undefined;
    c.restartCount++;
    this.start(rt, c, () => undefined);
  }
}
