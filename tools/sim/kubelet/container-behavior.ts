import type { ContainerSpec, Pod } from '../engine/k8s-types.js';
import type { Rng } from '../engine/rng.js';
import { US_PER_MS } from '../engine/time-format.js';

/** What a container process does once started, in virtual microseconds. */
export interface ContainerPlan {
  /** Exits on its own this long after starting; undefined = runs until stopped. */
  readonly exitAfterUs?: number;
  readonly exitCode?: number;
  /** Until this long after start, readiness probes fail. */
  readonly warmupUs: number;
  /** Time to exit after SIGTERM. */
  readonly stopUs: number;
  /** The readiness probe failure output, when it fails. */
  readonly probeFailure?: string;
}

/**
 * Picks the plan for a container start. `attempt` counts starts of this container in this pod
 * (0 for the first); scenarios use it to script crashes and retries.
 */
export type PlanFn = (pod: Pod, container: ContainerSpec, attempt: number, rng: Rng) => ContainerPlan;

interface Rule {
  readonly match: (pod: Pod, container: ContainerSpec) => boolean;
  readonly plan: PlanFn;
}

/** Scripted container behaviours; anything unmatched is a well-behaved server. */
export class Behaviors {
  readonly #rules: Rule[] = [];

  /** Adds a rule; earlier rules win. */
  add(match: (pod: Pod, container: ContainerSpec) => boolean, plan: PlanFn): void {
    this.#rules.push({ match, plan });
  }

  planFor(pod: Pod, container: ContainerSpec, attempt: number, rng: Rng): ContainerPlan {
    const rule = this.#rules.find((r) => r.match(pod, container));
    return rule === undefined ? serverPlan(rng) : rule.plan(pod, container, attempt, rng);
  }
}

/** A server that is up within a second and exits a little while after SIGTERM. */
export function serverPlan(rng: Rng, warmupMs: readonly [number, number] = [150, 900]): ContainerPlan {
  return {
    warmupUs: rng.int(warmupMs[0], warmupMs[1]) * US_PER_MS,
    stopUs: rng.int(400, 2800) * US_PER_MS,
  };
}

/** A batch process that runs `runMs` and exits with `exitCode`. */
export function batchPlan(rng: Rng, runMs: readonly [number, number], exitCode: number): ContainerPlan {
  return {
    exitAfterUs: rng.int(runMs[0], runMs[1]) * US_PER_MS,
    exitCode,
    warmupUs: 0,
    stopUs: rng.int(100, 600) * US_PER_MS,
  };
}

/** Matches containers by pod label `app` and optionally container name. */
export function byApp(app: string, containerName?: string): (pod: Pod, c: ContainerSpec) => boolean {
  return (pod, c) => pod.metadata.labels?.['app'] === app && (containerName === undefined || c.name === containerName);
}
