import type { EventLoop } from '../engine/event-loop.js';
import { US_PER_S } from '../engine/time-format.js';
import type { ContainerRunner } from './container-runner.js';
import type { ContainerRt, PodRt } from './pod-runtime.js';

/**
 * kubelet's readiness prober: one worker per container, started when PLEG sees the container
 * running, ticking every periodSeconds; probes before initialDelaySeconds are skipped; a failure
 * records an Unhealthy event; the first success flips the container ready and pushes status at once.
 * After success the worker stops (the simulated apps do not fail later).
 */
export class ReadinessProber {
  readonly #loop: EventLoop;
  readonly #runner: ContainerRunner;
  readonly #pushStatus: (rt: PodRt) => void;
  readonly #podIp: (rt: PodRt) => string;

  constructor(loop: EventLoop, runner: ContainerRunner, pushStatus: (rt: PodRt) => void, podIp: (rt: PodRt) => string) {
    this.#loop = loop;
    this.#runner = runner;
    this.#pushStatus = pushStatus;
    this.#podIp = podIp;
  }

  watch(rt: PodRt, c: ContainerRt, workerStartUs: number): void {
    const probe = c.spec.readinessProbe;
    if (probe === undefined || c.init) return;
    const gen = c.gen;
    const periodUs = probe.periodSeconds * US_PER_S;
    const tick = (atUs: number): void => {
      this.#loop.at(atUs, () => {
        if (c.gen !== gen || c.state !== 'running' || rt.terminating) return;
        const sinceStart = this.#loop.nowUs - (c.startedUs ?? 0);
        if (sinceStart < (probe.initialDelaySeconds ?? 0) * US_PER_S) return tick(atUs + periodUs);
        if (sinceStart >= (c.plan?.warmupUs ?? 0)) {
          c.ready = true;
          this.#pushStatus(rt);
          return;
        }
        this.#runner.event(rt, c, 'Warning', 'Unhealthy', `Readiness probe failed: ${this.#failure(rt, c)}`);
        tick(atUs + periodUs);
      });
    };
    tick(workerStartUs);
  }

  #failure(rt: PodRt, c: ContainerRt): string {
    const custom = c.plan?.probeFailure;
    if (custom !== undefined) return custom;
    const http = c.spec.readinessProbe?.httpGet;
    const ip = this.#podIp(rt);
    if (http !== undefined)
      return `Get "http://${ip}:${http.port}${http.path}": dial tcp ${ip}:${http.port}: connect: connection refused`;
    return 'command failed';
  }
}
