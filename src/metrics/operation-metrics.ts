import { Counter, type OpenMetricsContentType, type Registry } from 'prom-client';
import { ATTR, OPERATION } from '../model/attributes.js';
import type { SpanData } from '../model/span.js';
import type { LabelGuards, SeriesLimiter } from './cardinality.js';
import { ExemplarHistogram } from './exemplar-histogram.js';
import { FOLD_VALUE } from './label-guard.js';
import { durationSeconds, nodeOf, operationFacts, outcomeOf } from './span-facts.js';

// Buckets in seconds, sized to what each operation takes in practice (pod startups of seconds to
// minutes, image pulls from milliseconds when cached, rollouts and Jobs up to hours).
const STARTUP_BUCKETS = [0.5, 1, 2, 3, 5, 7.5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 300, 600];
const PHASE_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 20, 30, 60, 120, 300];
const ROLLOUT_BUCKETS = [1, 5, 10, 20, 30, 60, 90, 120, 180, 300, 600, 900, 1800, 3600];
const SCALE_BUCKETS = [0.5, 1, 5, 10, 20, 30, 60, 120, 180, 300, 600, 1800];
const JOB_BUCKETS = [1, 5, 10, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 21600];
const TERMINATION_BUCKETS = [0.5, 1, 2, 5, 10, 20, 30, 45, 60, 90, 120, 300];

/** Every metric OperationMetrics exposes, by name. */
export const OPERATION_METRIC = {
  podStartupDuration: 'kubestitch_pod_startup_duration_seconds',
  podStartups: 'kubestitch_pod_startups_total',
  podStartupPhaseDuration: 'kubestitch_pod_startup_phase_duration_seconds',
  podTerminationDuration: 'kubestitch_pod_termination_duration_seconds',
  rolloutDuration: 'kubestitch_rollout_duration_seconds',
  rollouts: 'kubestitch_rollouts_total',
  replicasetScaleDuration: 'kubestitch_replicaset_scale_duration_seconds',
  jobDuration: 'kubestitch_job_duration_seconds',
  jobs: 'kubestitch_jobs_total',
} as const;

const ROLLOUTS: ReadonlySet<string> = new Set([
  OPERATION.deploymentRollout,
  OPERATION.statefulsetRollout,
  OPERATION.daemonsetRollout,
]);
const PHASES: ReadonlySet<string> = new Set(['schedule', 'pull', 'init', 'start', 'readiness']);
// Phase spans waiting for their pod startup span (children are exported before their parent).
const MAX_PENDING_PHASES = 20_000;

interface HistogramDef {
  readonly name: string;
  readonly help: string;
  readonly buckets: readonly number[];
}
interface CounterDef {
  readonly name: string;
  readonly help: string;
}

// Name, help and buckets of each histogram; labels are chosen where it is built.
const HISTOGRAMS = {
  podStartup: {
    name: OPERATION_METRIC.podStartupDuration,
    help: 'Pod startup: creation until Ready (or until it failed, was deleted, or stayed unfinished; see outcome).',
    buckets: STARTUP_BUCKETS,
  },
  podStartupPhase: {
    name: OPERATION_METRIC.podStartupPhaseDuration,
    help: 'Pod startup phases: schedule, pull (image), init (container), start (container), readiness.',
    buckets: PHASE_BUCKETS,
  },
  podTermination: {
    name: OPERATION_METRIC.podTerminationDuration,
    help: 'Pod termination: deletion requested until the object is gone.',
    buckets: TERMINATION_BUCKETS,
  },
  rollout: {
    name: OPERATION_METRIC.rolloutDuration,
    help: 'Deployment, StatefulSet and DaemonSet rollouts: template change until settled, failed, superseded or deleted.',
    buckets: ROLLOUT_BUCKETS,
  },
  replicasetScale: {
    name: OPERATION_METRIC.replicasetScaleDuration,
    help: 'ReplicaSet scale up/down: spec.replicas change until the pods are there and ready (or gone).',
    buckets: SCALE_BUCKETS,
  },
  job: {
    name: OPERATION_METRIC.jobDuration,
    help: 'Job runs: creation until the Complete or Failed condition.',
    buckets: JOB_BUCKETS,
  },
} as const satisfies Record<string, HistogramDef>;

const COUNTERS = {
  podStartups: {
    name: OPERATION_METRIC.podStartups,
    help: 'Finished pod startups by outcome (ok, completed, failed, deleted, unfinished; stuck: image-pull-backoff, crash-loop-backoff, unschedulable).',
  },
  rollouts: {
    name: OPERATION_METRIC.rollouts,
    help: 'Finished rollouts by outcome (ok, progress-deadline-exceeded, superseded, deleted, unfinished).',
  },
  jobs: {
    name: OPERATION_METRIC.jobs,
    help: 'Finished Job runs by outcome (completed, failed, deleted, unfinished).',
  },
} as const satisfies Record<string, CounterDef>;

type PodLabel = 'namespace' | 'owner_kind' | 'owner' | 'node' | 'outcome';
type OwnerLabel = 'namespace' | 'owner_kind' | 'owner' | 'outcome';
type PodLabels = Record<PodLabel, string>;

/**
 * Histograms and counters of finished operation spans (DESIGN §3.2): pod startup and its phases,
 * pod termination, Deployment/StatefulSet/DaemonSet rollout, ReplicaSet scale, Job run. Labels go
 * through the shared LabelGuards. A span it cannot use (no operation, unusable times) is ignored
 * or counted by the caller; observe never throws for a well-formed SpanData.
 */
export class OperationMetrics {
  readonly #guards: LabelGuards;
  readonly #startup: ExemplarHistogram<PodLabel>;
  readonly #startups: Counter<PodLabel>;
  readonly #startupsLimiter: SeriesLimiter;
  readonly #phase: ExemplarHistogram<PodLabel | 'phase'>;
  readonly #termination: ExemplarHistogram<PodLabel>;
  readonly #rollout: ExemplarHistogram<OwnerLabel>;
  readonly #rollouts: Counter<OwnerLabel>;
  readonly #rolloutsLimiter: SeriesLimiter;
  readonly #scale: ExemplarHistogram<OwnerLabel | 'direction'>;
  readonly #job: ExemplarHistogram<OwnerLabel>;
  readonly #jobs: Counter<OwnerLabel>;
  readonly #jobsLimiter: SeriesLimiter;
  /** Phase spans by `traceId/parentSpanId`, oldest first (Map keeps insertion order). */
  readonly #pendingPhases = new Map<string, SpanData[]>();
  #pendingCount = 0;

  constructor(registry: Registry<OpenMetricsContentType>, guards: LabelGuards) {
    this.#guards = guards;
    const pod: PodLabel[] = ['namespace', 'owner_kind', 'owner', 'node', 'outcome'];
    const owner: OwnerLabel[] = ['namespace', 'owner_kind', 'owner', 'outcome'];
    const limiter = (): SeriesLimiter => guards.seriesLimiter(['namespace', 'owner', 'node']);
    const histogram = <L extends string>(def: HistogramDef, labelNames: L[]): ExemplarHistogram<L> =>
      new ExemplarHistogram(registry, { ...def, labelNames }, limiter());
    const counter = <L extends string>(def: CounterDef, labelNames: L[]): Counter<L> =>
      new Counter({ ...def, labelNames, registers: [registry] });
    // Registered in this order, which is the order of the /metrics text.
    this.#startup = histogram(HISTOGRAMS.podStartup, pod);
    this.#startups = counter(COUNTERS.podStartups, pod);
    this.#startupsLimiter = limiter();
    this.#phase = histogram(HISTOGRAMS.podStartupPhase, [...pod, 'phase']);
    this.#termination = histogram(HISTOGRAMS.podTermination, pod);
    this.#rollout = histogram(HISTOGRAMS.rollout, owner);
    this.#rollouts = counter(COUNTERS.rollouts, owner);
    this.#rolloutsLimiter = limiter();
    this.#scale = histogram(HISTOGRAMS.replicasetScale, [...owner, 'direction']);
    this.#job = histogram(HISTOGRAMS.job, owner);
    this.#jobs = counter(COUNTERS.jobs, owner);
    this.#jobsLimiter = limiter();
  }

  /**
   * Observes one finished span if it is an operation this class measures; returns whether it was
   * used. Phase spans are held until their pod startup span (which carries owner and node) is seen.
   */
  observe(span: SpanData): boolean {
    const op = span.attributes[ATTR.operation];
    const seconds = durationSeconds(span);
    if (typeof op !== 'string' || seconds === undefined) return false;
    if (op === OPERATION.podStartup) this.#onStartup(span, seconds);
    else if (op === OPERATION.podPhase) this.#holdPhase(span);
    else if (op === OPERATION.podTermination) this.#termination.observe(this.#podLabels(span), seconds, span);
    else if (ROLLOUTS.has(op)) this.#onRollout(span, seconds);
    else if (op === OPERATION.replicasetScale) this.#onScale(span, seconds);
    else if (op === OPERATION.jobRun) this.#onJob(span, seconds);
    else return false;
    return true;
  }

  /**
   * Observes phases whose pod startup span never came (a sink that dropped it, shutdown), with
   * owner and node folded. Call at shutdown; later phases are held again as usual.
   */
  flushPending(): void {
    for (const key of [...this.#pendingPhases.keys()]) this.#releaseOrphans(key);
  }

  #onStartup(span: SpanData, seconds: number): void {
    const labels = this.#podLabels(span);
    this.#startup.observe(labels, seconds, span);
    this.#startups.inc(this.#startupsLimiter.limit(labels));
    const key = `${span.traceId}/${span.spanId}`;
    const phases = this.#pendingPhases.get(key);
    if (phases === undefined) return;
    this.#pendingPhases.delete(key);
    this.#pendingCount -= phases.length;
    for (const p of phases) this.#observePhase(p, labels);
  }

  #holdPhase(span: SpanData): void {
    if (span.parentSpanId === undefined) {
      this.#observePhase(span, this.#orphanLabels(span));
      return;
    }
    const key = `${span.traceId}/${span.parentSpanId}`;
    const list = this.#pendingPhases.get(key);
    if (list === undefined) this.#pendingPhases.set(key, [span]);
    else list.push(span);
    this.#pendingCount++;
    while (this.#pendingCount > MAX_PENDING_PHASES) {
      const oldest = this.#pendingPhases.keys().next();
      if (oldest.done === true) break;
      this.#releaseOrphans(oldest.value);
    }
  }

  #releaseOrphans(key: string): void {
    const phases = this.#pendingPhases.get(key) ?? [];
    this.#pendingPhases.delete(key);
    this.#pendingCount -= phases.length;
    for (const p of phases) this.#observePhase(p, this.#orphanLabels(p));
  }

  // A phase shares its pod's labels (the startup's outcome aside: a phase succeeds or fails alone).
  #observePhase(span: SpanData, pod: PodLabels): void {
    const seconds = durationSeconds(span);
    const phase = span.name.split(' ', 1)[0] ?? '';
    if (seconds === undefined) return;
    const labels = {
      ...pod,
      outcome: outcomeOf(span),
      phase: PHASES.has(phase) ? phase : FOLD_VALUE,
    };
    this.#phase.observe(labels, seconds, span);
  }

  #onRollout(span: SpanData, seconds: number): void {
    const labels = this.#ownerLabels(span);
    this.#rollout.observe(labels, seconds, span);
    this.#rollouts.inc(this.#rolloutsLimiter.limit(labels));
  }

  #onScale(span: SpanData, seconds: number): void {
    const from = span.attributes[ATTR.replicasFrom];
    const to = span.attributes[ATTR.replicasTo];
    const direction =
      typeof from === 'number' && typeof to === 'number'
        ? to >= from
          ? 'up'
          : 'down'
        : span.name.endsWith(' down')
          ? 'down'
          : 'up';
    this.#scale.observe({ ...this.#ownerLabels(span), direction }, seconds, span);
  }

  #onJob(span: SpanData, seconds: number): void {
    const labels = this.#ownerLabels(span);
    this.#job.observe(labels, seconds, span);
    this.#jobs.inc(this.#jobsLimiter.limit(labels));
  }

  #ownerLabels(span: SpanData): Record<OwnerLabel, string> {
    const f = operationFacts(span);
    const g = this.#guards;
    return {
      namespace: g.namespace.admit(f.namespace),
      owner_kind: f.ownerKind,
      owner: g.owner.admit(`${f.namespace}/${f.owner}`, f.owner),
      outcome: f.outcome,
    };
  }

  // Without its startup span a phase still knows its namespace and (kubelet phases) its node.
  #orphanLabels(span: SpanData): PodLabels {
    const f = operationFacts(span);
    const node = this.#guards.node.admit(nodeOf(span));
    return {
      namespace: this.#guards.namespace.admit(f.namespace),
      owner_kind: FOLD_VALUE,
      owner: FOLD_VALUE,
      node,
      outcome: f.outcome,
    };
  }

  #podLabels(span: SpanData): PodLabels {
    return { ...this.#ownerLabels(span), node: this.#guards.node.admit(nodeOf(span)) };
  }
}
