import type { GraphChange } from '../graph/owner-graph.js';
import type { SlimObject } from '../graph/slim.js';
import { ATTR, OPERATION, OUTCOME, type Outcome } from '../model/attributes.js';
import type { SpanStatus } from '../model/span.js';
import { controllerActor } from './actors.js';
import { type SynthContext, refineTime } from './context.js';
import { openOwned } from './owned-open.js';
import type { PendingSpan } from './pending-span.js';

const ACTOR = controllerActor('job-controller');

/**
 * Job run (DESIGN §3.2): from creation to the Complete (OK) or Failed (ERROR) condition. A Job
 * created by a CronJob carries k8s.cronjob.* through its owner chain; its pods nest under it.
 */
export class JobTracker {
  readonly #ctx: SynthContext;
  readonly #open = new Map<string, PendingSpan>();

  constructor(ctx: SynthContext) {
    this.#ctx = ctx;
  }

  onChange(change: GraphChange, recordMs: number): void {
    const { prev, next } = change;
    // A run an Event opened before this first sight goes on.
    if (prev === undefined && !this.#open.has(next.uid) && !change.deleted && finished(next) === undefined) {
      this.#start(next, refineTime(next.creationMs, recordMs));
    }
    const span = this.#open.get(next.uid);
    if (span === undefined) return;
    span.attributes[ATTR.retries] = next.counts['failed'] ?? 0;
    const end = finished(next);
    if (end !== undefined) {
      this.#end(next.uid, refineTime(end.atMs, recordMs), end.outcome, end.status);
    } else if (change.deleted) {
      this.#end(next.uid, recordMs, this.#ctx.deletedOutcome, undefined);
    }
  }

  /**
   * Pods a Job created where its records showed no run (first seen finished, Events only): the
   * run from the Event, ended when the version seen says it finished.
   */
  fromEvent(job: SlimObject, atMs: number, recordMs: number): void {
    if (this.#open.has(job.uid)) return;
    this.#start(job, atMs);
    const end = finished(job);
    const endMs = end?.atMs === undefined ? undefined : refineTime(end.atMs, recordMs);
    if (end !== undefined && endMs !== undefined && endMs > atMs) this.#end(job.uid, endMs, end.outcome, end.status);
  }

  /**
   * The job-controller's Event of the Job's end (`failure`: its reason and message) where the
   * Job's records showed none: the run ends then.
   */
  finishedFromEvent(uid: string, atMs: number, failure: string | undefined): void {
    const span = this.#open.get(uid);
    if (span === undefined || atMs < span.startMs) return;
    if (failure === undefined) this.#end(uid, atMs, OUTCOME.completed, { code: 'ok' });
    else this.#end(uid, atMs, OUTCOME.failed, { code: 'error', message: failure });
  }

  #start(job: SlimObject, startMs: number): void {
    const span = openOwned(this.#ctx, job, {
      key: `${job.uid}/run`,
      name: 'Job run',
      startMs,
      resource: ACTOR,
      attributes: { ...this.#ctx.attrsOf(job), [ATTR.operation]: OPERATION.jobRun },
    });
    this.#open.set(job.uid, span);
    this.#ctx.ops.register(job.uid, span, (at) => this.#end(job.uid, at, OUTCOME.unfinished, undefined));
  }

  #end(uid: string, atMs: number, outcome: Outcome, status: SpanStatus | undefined): void {
    const span = this.#open.get(uid);
    this.#open.delete(uid);
    if (span !== undefined) this.#ctx.tree.close(span, atMs, { outcome, ...(status !== undefined ? { status } : {}) });
  }

  /** Ends every running Job as unfinished (end of a replay). */
  flush(atMs: number): void {
    for (const [uid, span] of [...this.#open]) {
      this.#end(uid, this.#ctx.tree.lastEvidenceMs(span, atMs), OUTCOME.unfinished, undefined);
    }
  }
}

function finished(job: SlimObject): { atMs: number | undefined; outcome: Outcome; status: SpanStatus } | undefined {
  const complete = job.conditions['Complete'];
  if (complete?.status === 'True') {
    return { atMs: complete.lastTransitionMs, outcome: OUTCOME.completed, status: { code: 'ok' } };
  }
  const failed = job.conditions['Failed'];
  if (failed?.status === 'True') {
    const message = [failed.reason, failed.message].filter((s) => s !== '').join(': ');
    return {
      atMs: failed.lastTransitionMs,
      outcome: OUTCOME.failed,
      status: { code: 'error', message: message === '' ? 'Job failed' : message },
    };
  }
  return undefined;
}
