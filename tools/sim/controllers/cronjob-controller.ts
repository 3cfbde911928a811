import type { WriteCtx } from '../engine/api-server.js';
import { CoreEventRecorder } from '../engine/core-event-recorder.js';
import { controllerActor } from '../engine/identities.js';
import type { CronJob, Job, ObjectReference } from '../engine/k8s-types.js';
import { controllerRef, referenceTo } from '../engine/object-ref.js';
import { idOf } from '../engine/object-table.js';
import type { Rng } from '../engine/rng.js';
import { streamOf, type SimContext } from '../engine/sim-context.js';
import { rfc3339Seconds, US_PER_MS, US_PER_S } from '../engine/time-format.js';
import { WorkQueue } from '../engine/work-queue.js';
import { queueOwnAndOwned } from '../engine/informer.js';

const NAME = 'cronjob-controller';
const MINUTE_US = 60 * US_PER_S;

/**
 * The next time after `afterUs` for a schedule whose minute field is a step (every N minutes) or a
 * fixed minute, with the other fields `*`. Throws on anything else (a scenario bug).
 */
export function nextScheduleUs(schedule: string, afterUs: number): number {
  const [minute = '', ...rest] = schedule.trim().split(/\s+/);
  if (rest.length !== 4 || rest.some((f) => f !== '*'))
    throw new Error(`simulator supports only minute schedules, not "${schedule}"`);
  const step = /^\*\/(\d+)$/.exec(minute);
  const at = /^(\d+)$/.exec(minute);
  const m = Math.floor(afterUs / MINUTE_US) + 1;
  if (step !== null) return Math.ceil(m / Number(step[1])) * Number(step[1]) * MINUTE_US;
  if (at !== null) {
    const hour = Math.floor(m / 60) * 60;
    const cand = hour + Number(at[1]);
    return (cand >= m ? cand : cand + 60) * MINUTE_US;
  }
  throw new Error(`simulator supports only minute schedules, not "${schedule}"`);
}

/**
 * pkg/controller/cronjob (v2): at each scheduled time (+100 ms) creates Job
 * `<name>-<minutes since epoch>`, tracks it in status.active, notes its completion
 * (SawCompletedJob, lastSuccessfulTime) and deletes jobs beyond successfulJobsHistoryLimit.
 */
export class CronJobController {
  readonly #c: SimContext;
  readonly #rng: Rng;
  readonly #ctx: WriteCtx;
  readonly #events: CoreEventRecorder;
  readonly #queue: WorkQueue;
  readonly #scheduled = new Set<string>();

  constructor(c: SimContext) {
    this.#c = c;
    this.#rng = streamOf(c, NAME);
    this.#ctx = { actor: controllerActor(NAME, this.#rng) };
    this.#events = new CoreEventRecorder(c.api, c.loop, this.#rng, this.#ctx, { component: NAME });
    this.#queue = new WorkQueue(c.loop, this.#rng, (key) => this.#sync(key));
    queueOwnAndOwned(c.hub, this.#queue, 'CronJob', 'Job', true);
  }

  #sync(key: string): void {
    const [namespace = '', name = ''] = key.split('/');
    const cj = this.#c.api.get<CronJob>({ apiVersion: 'batch/v1', kind: 'CronJob', namespace, name });
    if (cj === undefined) return;
    const now = this.#c.loop.nowUs;
    const jobs = this.#c.api.table.controlledBy<Job>(cj.metadata.uid, 'Job');
    let status = { ...cj.status };
    for (const ref of cj.status.active ?? []) {
      const job = jobs.find((j) => j.metadata.uid === ref.uid);
      const done = job?.status.conditions?.find(
        (c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True',
      );
      if (job === undefined || done === undefined) continue;
      status = { ...status, active: (status.active ?? []).filter((r) => r.uid !== ref.uid) };
      if (done.type === 'Complete') status.lastSuccessfulTime = job.status.completionTime ?? rfc3339Seconds(now);
      this.#events.record(
        referenceTo(cj),
        'Normal',
        'SawCompletedJob',
        `Saw completed job: ${job.metadata.name ?? ''}, condition: ${done.type}`,
      );
    }
    const lastUs = Date.parse(cj.status.lastScheduleTime ?? cj.metadata.creationTimestamp ?? '') * 1000;
    const due = nextScheduleUs(cj.spec.schedule, lastUs);
    if (due <= now && !cj.spec.suspend) status = this.#run(cj, due, status);
    if ((status.active ?? []).length === 0) delete status.active;
    this.#writeStatus(cj, status);
    this.#cleanup(cj, jobs);
    this.#requeue(key, cj, now);
  }

  #run(cj: CronJob, dueUs: number, status: CronJob['status']): CronJob['status'] {
    const minutes = Math.floor(dueUs / MINUTE_US);
    const body: Job = {
      kind: 'Job',
      apiVersion: 'batch/v1',
      metadata: {
        name: `${cj.metadata.name ?? ''}-${minutes}`,
        namespace: cj.metadata.namespace ?? '',
        creationTimestamp: null,
        labels: { ...cj.spec.jobTemplate.metadata.labels },
        annotations: { 'batch.kubernetes.io/cronjob-scheduled-timestamp': rfc3339Seconds(dueUs) },
        ownerReferences: [controllerRef(cj)],
      },
      spec: cj.spec.jobTemplate.spec as Job['spec'],
      status: {},
    };
    const job = this.#c.api.create(body, this.#ctx, admitJob);
    this.#events.record(referenceTo(cj), 'Normal', 'SuccessfulCreate', `Created job ${job.metadata.name ?? ''}`);
    const ref: ObjectReference = {
      kind: 'Job',
      namespace: job.metadata.namespace ?? '',
      name: job.metadata.name ?? '',
      uid: job.metadata.uid ?? '',
      apiVersion: 'batch/v1',
      resourceVersion: job.metadata.resourceVersion ?? '',
    };
    return { ...status, active: [...(status.active ?? []), ref], lastScheduleTime: rfc3339Seconds(dueUs) };
  }

  #cleanup(cj: CronJob, jobs: Job[]): void {
    const done = jobs
      .filter((j) => j.status.conditions?.some((c) => c.type === 'Complete' && c.status === 'True'))
      .sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''));
    for (const j of done.slice(0, Math.max(0, done.length - cj.spec.successfulJobsHistoryLimit))) {
      if (this.#c.api.delete(idOf(j), this.#ctx, { propagationPolicy: 'Background' }) === undefined) continue;
      this.#events.record(referenceTo(cj), 'Normal', 'SuccessfulDelete', `Deleted job ${j.metadata.name ?? ''}`);
    }
  }

  #requeue(key: string, cj: CronJob, now: number): void {
    const next = nextScheduleUs(cj.spec.schedule, now) + 100 * US_PER_MS;
    const tag = `${key}@${next}`;
    if (this.#scheduled.has(tag)) return;
    this.#scheduled.add(tag);
    this.#c.loop.at(next, () => this.#queue.add(key));
  }

  #writeStatus(cj: CronJob, status: CronJob['status']): void {
    const ordered: CronJob['status'] = {
      ...(status.active === undefined ? {} : { active: status.active }),
      ...(status.lastScheduleTime === undefined ? {} : { lastScheduleTime: status.lastScheduleTime }),
      ...(status.lastSuccessfulTime === undefined ? {} : { lastSuccessfulTime: status.lastSuccessfulTime }),
    };
    this.#c.api.updateStatus(cj, ordered, this.#ctx);
  }
}

/**
 * The Job strategy's PrepareForCreate: a generated selector on the Job's uid and the matching
 * labels on its pod template.
 */
export function admitJob(job: Job, uid: string): Job {
  const name = job.metadata.name ?? '';
  const sel = { 'batch.kubernetes.io/controller-uid': uid };
  const labels = {
    ...job.spec.template.metadata.labels,
    ...sel,
    'batch.kubernetes.io/job-name': name,
    'controller-uid': uid,
    'job-name': name,
  };
  const s = job.spec;
  return {
    ...job,
    // SetDefaults_Job: a Job without labels takes its template's (before the generated ones).
    metadata: {
      ...job.metadata,
      labels:
        Object.keys(job.metadata.labels ?? {}).length > 0
          ? job.metadata.labels
          : { ...job.spec.template.metadata.labels },
    },
    spec: {
      parallelism: s.parallelism,
      completions: s.completions,
      backoffLimit: s.backoffLimit,
      selector: { matchLabels: sel },
      template: { ...s.template, metadata: { ...s.template.metadata, labels } },
      completionMode: s.completionMode,
      suspend: s.suspend,
      podReplacementPolicy: s.podReplacementPolicy,
    },
  };
}
