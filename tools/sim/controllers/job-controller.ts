import type { Job, Pod } from '../engine/k8s-types.js';
import { controllerRef, referenceTo } from '../engine/object-ref.js';
import { idOf } from '../engine/object-table.js';
import type { SimContext } from '../engine/sim-context.js';
import { rfc3339Seconds, US_PER_S } from '../engine/time-format.js';
import { admitPod, podFromTemplate } from '../objects/pod-builder.js';
import { isActive, isReady, isTerminal } from './pod-util.js';
import { type PodOwnerWiring, wirePodOwner } from './pod-owner-wiring.js';

const NAME = 'job-controller';
export const JOB_TRACKING_FINALIZER = 'batch.kubernetes.io/job-tracking';
type JobCondition = NonNullable<Job['status']['conditions']>[number];

/**
 * pkg/controller/job for NonIndexed jobs: creates pods (with the job-tracking finalizer) up to
 * parallelism, replaces failed pods after an exponential back-off (10 s doubling), accounts
 * finished pods through uncountedTerminatedPods before removing their finalizers, and finishes
 * with SuccessCriteriaMet + Complete (or Failed with BackoffLimitExceeded).
 */
export class JobController {
  readonly #c: SimContext;
  readonly #w: PodOwnerWiring;

  constructor(c: SimContext) {
    this.#c = c;
    this.#w = wirePodOwner(c, NAME, 'Job', (key) => this.#sync(key));
  }

  #get(namespace: string, name: string): Job | undefined {
    return this.#c.api.get<Job>({ apiVersion: 'batch/v1', kind: 'Job', namespace, name });
  }

  #sync(key: string): void {
    const [namespace = '', name = ''] = key.split('/');
    let job = this.#get(namespace, name);
    if (job === undefined || job.metadata.deletionTimestamp !== undefined) return;
    const pods = this.#c.api.table.controlledBy<Pod>(job.metadata.uid, 'Pod');
    const finished = pods.filter(
      (p) => isTerminal(p) && (p.metadata.finalizers ?? []).includes(JOB_TRACKING_FINALIZER),
    );
    if (finished.length > 0) job = this.#account(job, pods, finished) ?? job;
    if (hasCondition(job, 'Complete') || hasCondition(job, 'Failed')) return;
    const now = this.#c.loop.nowUs;
    const succeeded = job.status.succeeded ?? 0;
    const failed = job.status.failed ?? 0;
    const active = pods.filter(isActive);
    if (succeeded >= job.spec.completions) {
      this.#finish(job, active, 'Complete');
      return;
    }
    if (failed > job.spec.backoffLimit) {
      this.#finish(job, active, 'Failed');
      return;
    }
    let created = 0;
    if (active.length < job.spec.parallelism) {
      const waitUs = this.#backoffRemainingUs(pods, failed, now);
      if (waitUs > 0) this.#w.queue.addAfter(key, waitUs);
      else created = this.#createPods(job, job.spec.parallelism - active.length);
    }
    this.#writeStatus(job, {
      ...job.status,
      startTime: job.status.startTime ?? rfc3339Seconds(now),
      active: active.length + created,
      terminating: pods.filter((p) => p.metadata.deletionTimestamp !== undefined && !isTerminal(p)).length,
      uncountedTerminatedPods: job.status.uncountedTerminatedPods ?? {},
      ready: active.filter(isReady).length,
    });
  }

  /** uncountedTerminatedPods → remove finalizers → counted in succeeded/failed. */
  #account(job: Job, pods: Pod[], finished: Pod[]): Job | undefined {
    const uncounted = {
      ...(finished.some((p) => p.status.phase === 'Succeeded')
        ? { succeeded: finished.filter((p) => p.status.phase === 'Succeeded').map((p) => p.metadata.uid ?? '') }
        : {}),
      ...(finished.some((p) => p.status.phase === 'Failed')
        ? { failed: finished.filter((p) => p.status.phase === 'Failed').map((p) => p.metadata.uid ?? '') }
        : {}),
    };
    const active = pods.filter(isActive);
    const step1 =
      this.#writeStatus(job, {
        ...job.status,
        active: active.length,
        uncountedTerminatedPods: uncounted,
        ready: active.filter(isReady).length,
      }) ?? job;
    for (const p of finished) {
      const body = { metadata: { $deletePrimitive: { finalizers: [JOB_TRACKING_FINALIZER] } } };
      this.#c.api.patch<Pod>(
        idOf(p),
        body,
        (d) => ({
          ...d,
          metadata: {
            ...d.metadata,
            finalizers: (d.metadata.finalizers ?? []).filter((f) => f !== JOB_TRACKING_FINALIZER),
          },
        }),
        this.#w.ctx,
      );
    }
    const succ = (step1.status.succeeded ?? 0) + (uncounted.succeeded?.length ?? 0);
    const fail = (step1.status.failed ?? 0) + (uncounted.failed?.length ?? 0);
    const status: Job['status'] = {
      ...step1.status,
      ...(succ > 0 ? { succeeded: succ } : {}),
      ...(fail > 0 ? { failed: fail } : {}),
      uncountedTerminatedPods: {},
    };
    if (succ >= job.spec.completions) {
      const c = cond(
        'SuccessCriteriaMet',
        'CompletionsReached',
        'Reached expected number of succeeded pods',
        this.#c.loop.nowUs,
      );
      status.conditions = [...(status.conditions ?? []), c];
    }
    return this.#writeStatus(step1, orderStatus(status));
  }

  #finish(job: Job, active: Pod[], type: 'Complete' | 'Failed'): void {
    if (active.length > 0) return;
    const now = this.#c.loop.nowUs;
    const c =
      type === 'Complete'
        ? cond('Complete', 'CompletionsReached', 'Reached expected number of succeeded pods', now)
        : cond('Failed', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit', now);
    const status = {
      ...job.status,
      conditions: [...(job.status.conditions ?? []), c],
      ...(type === 'Complete' ? { completionTime: rfc3339Seconds(now) } : {}),
      active: 0,
      ready: 0,
    };
    if (this.#writeStatus(job, orderStatus(status)) === undefined) return;
    if (type === 'Complete') this.#w.events.record(referenceTo(job), 'Normal', 'Completed', 'Job completed');
    else
      this.#w.events.record(
        referenceTo(job),
        'Warning',
        'BackoffLimitExceeded',
        'Job has reached the specified backoff limit',
      );
  }

  #backoffRemainingUs(pods: Pod[], failed: number, now: number): number {
    if (failed === 0) return 0;
    const times = pods
      .filter((p) => p.status.phase === 'Failed')
      .map(finishedAtUs)
      .filter(Number.isFinite);
    if (times.length === 0) return 0;
    const delay = 10 * US_PER_S * 2 ** (failed - 1);
    return Math.max(0, Math.max(...times) + delay - now);
  }

  #createPods(job: Job, n: number): number {
    for (let i = 0; i < n; i++) {
      const body = podFromTemplate(job.spec.template, {
        generateName: `${job.metadata.name ?? ''}-`,
        namespace: job.metadata.namespace ?? '',
        ownerReferences: [controllerRef(job)],
        finalizers: [JOB_TRACKING_FINALIZER],
      });
      const pod = this.#c.api.create(body, this.#w.ctx, (req) => admitPod(req, this.#w.rng));
      this.#w.events.record(referenceTo(job), 'Normal', 'SuccessfulCreate', `Created pod: ${pod.metadata.name ?? ''}`);
    }
    return n;
  }

  #writeStatus(job: Job, status: Job['status']): Job | undefined {
    return this.#c.api.updateStatus(job, orderStatus(status), this.#w.ctx);
  }
}

function finishedAtUs(p: Pod): number {
  for (const cs of p.status.containerStatuses ?? []) {
    if ('terminated' in cs.state) return Date.parse(cs.state.terminated.finishedAt) * 1000;
  }
  return Number.NaN;
}

function cond(type: string, reason: string, message: string, nowUs: number): JobCondition {
  const t = rfc3339Seconds(nowUs);
  return { type, status: 'True', lastProbeTime: t, lastTransitionTime: t, reason, message };
}

function hasCondition(job: Job, type: string): boolean {
  return job.status.conditions?.some((c) => c.type === type && c.status === 'True') ?? false;
}

const STATUS_ORDER = [
  'conditions',
  'startTime',
  'completionTime',
  'active',
  'succeeded',
  'failed',
  'terminating',
  'uncountedTerminatedPods',
  'ready',
] as const;

function orderStatus(s: Job['status']): Job['status'] {
  const out: Record<string, unknown> = {};
  for (const k of STATUS_ORDER) {
    const v = s[k];
    if (v === undefined || ((k === 'active' || k === 'succeeded' || k === 'failed') && v === 0)) continue;
    out[k] = v;
  }
  return out as Job['status'];
}
