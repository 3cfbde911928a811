import type { Logger } from 'pino';
import type { Clock } from '../model/clock.js';
import { systemClock } from '../model/clock.js';
import { type LeaseClient, LeaseConflictError, type LeaseRecord, type LeaseSpec, microTime } from './lease-client.js';

export interface LeaderElectorOptions {
  readonly client: LeaseClient;
  readonly namespace: string;
  /** Lease name, shared by all candidates. */
  readonly name: string;
  /** This candidate's holderIdentity, unique among candidates (the pod name). */
  readonly identity: string;
  /** How long others wait after last seeing the Lease change before taking it. Default 15 s. */
  readonly leaseDurationMs?: number;
  /** The leader gives up when it has not renewed for this long. Default 10 s; < leaseDurationMs. */
  readonly renewDeadlineMs?: number;
  /** Pause between attempts (candidates add up to 1.2× jitter). Default 2 s. */
  readonly retryPeriodMs?: number;
  readonly clock?: Clock;
  /** Resolves after `ms`, or early when `signal` aborts. Default: an unref'd timer. */
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Jitter source in [0, 1). Default Math.random. */
  readonly random?: () => number;
  readonly logger?: Logger;
  /**
   * Called on becoming leader; `signal` aborts when leadership ends for any reason, at the latest
   * one request timeout after renewDeadline (keep that below leaseDuration - renewDeadline).
   */
  readonly onStartedLeading?: (signal: AbortSignal) => void;
  /** Called when leadership ends: renewal failed past the deadline, lost the Lease, or release(). */
  readonly onStoppedLeading?: () => void;
  /** Called whenever the observed holder changes (including to this candidate). */
  readonly onNewLeader?: (identity: string) => void;
}

/** Counters for /metrics and logs. */
export interface LeaderElectionStats {
  attempts: number;
  /** Attempts that failed with a transport or apiserver error (not counting conflicts). */
  failures: number;
  /** 409s: another candidate wrote first. */
  conflicts: number;
  /** Times this candidate became leader. */
  acquired: number;
  /** Times this candidate stopped leading. */
  lost: number;
}

/**
 * Leader election on a coordination.k8s.io/v1 Lease with client-go's semantics: a candidate takes
 * the Lease when it is absent, released (empty holderIdentity) or has not changed for
 * leaseDuration by the candidate's own clock (so clock skew between nodes does not matter); the
 * leader renews every retryPeriod and stops leading when it has not renewed for renewDeadline;
 * every write carries the resourceVersion it read, so of two racing candidates one gets 409.
 * `isLeader` turns false as soon as renewDeadline has passed since the last successful renewal,
 * even before the loop notices, so two candidates never both report leadership.
 * Errors never escape: they are logged, counted in `stats`, and retried.
 */
export class LeaderElector {
  readonly stats: LeaderElectionStats = { attempts: 0, failures: 0, conflicts: 0, acquired: 0, lost: 0 };
  readonly #o: LeaderElectorOptions;
  readonly #clock: Clock;
  readonly #leaseMs: number;
  readonly #renewDeadlineMs: number;
  readonly #retryMs: number;
  readonly #stop = new AbortController();
  #loop: Promise<void> | undefined;
  #observed: { record: LeaseRecord; atMs: number } | undefined;
  #leading: AbortController | undefined;
  #lastRenewMs = 0;
  #holder: string | undefined;
  #lastError: string | undefined;

  constructor(options: LeaderElectorOptions) {
    this.#o = options;
    this.#clock = options.clock ?? systemClock;
    this.#leaseMs = options.leaseDurationMs ?? 15_000;
    this.#renewDeadlineMs = options.renewDeadlineMs ?? 10_000;
    this.#retryMs = options.retryPeriodMs ?? 2_000;
    if (!(this.#renewDeadlineMs < this.#leaseMs && this.#retryMs < this.#renewDeadlineMs)) {
      throw new RangeError('leader election needs retryPeriod < renewDeadline < leaseDuration');
    }
  }

  /** True while this candidate holds the Lease and renewed it within renewDeadline. */
  get isLeader(): boolean {
    return this.#leading !== undefined && this.#clock.nowMs() - this.#lastRenewMs < this.#renewDeadlineMs;
  }

  /** The holder last observed in the Lease (undefined: none yet, or released). */
  get leader(): string | undefined {
    return this.#holder;
  }

  /** The last attempt's error, cleared by a successful read; for /readyz ("healthy standby"). */
  get lastError(): string | undefined {
    return this.#lastError;
  }

  /** Starts campaigning in the background. Idempotent; the loop ends with release() or stop(). */
  start(): void {
    if (this.#loop !== undefined || this.#stop.signal.aborted) return;
    this.#loop = this.#run();
  }

  /**
   * Graceful shutdown: stops campaigning and, when leading, clears holderIdentity so a standby
   * takes over at its next attempt instead of waiting for the Lease to expire. A failed release
   * is logged and counted; the Lease then simply expires. Idempotent; never rejects.
   */
  async release(): Promise<void> {
    const wasLeading = this.#leading !== undefined && this.#observed !== undefined;
    await this.stop();
    if (!wasLeading) return;
    const observed = this.#observed;
    if (observed === undefined || observed.record.spec.holderIdentity !== this.#o.identity) return;
    const now = microTime(this.#clock.nowMs());
    try {
      await this.#o.client.update(this.#o.namespace, this.#o.name, observed.record.resourceVersion, {
        holderIdentity: '',
        leaseDurationSeconds: 1,
        acquireTime: now,
        renewTime: now,
        leaseTransitions: observed.record.spec.leaseTransitions ?? 0,
      });
      this.#o.logger?.info({ lease: this.#o.name }, 'released leadership');
    } catch (err: unknown) {
      this.stats.failures += 1;
      this.#o.logger?.warn({ err: message(err) }, 'could not release the Lease; it expires on its own');
    }
  }

  /** Stops campaigning without touching the Lease (it expires); ends leadership locally. Never rejects. */
  async stop(): Promise<void> {
    this.#stop.abort();
    await this.#loop;
    this.#stepDown('stopped');
  }

  async #run(): Promise<void> {
    const signal = this.#stop.signal;
    while (!signal.aborted) {
      // A loop that was paused (GC, CPU starvation) must not carry on as leader past the deadline.
      if (this.#leading !== undefined && this.#clock.nowMs() - this.#lastRenewMs >= this.#renewDeadlineMs) {
        this.#stepDown('renew deadline passed');
      }
      const attemptMs = this.#clock.nowMs();
      const ok = await this.#tryAcquireOrRenew(attemptMs);
      if (signal.aborted) break;
      if (ok) {
        this.#lastRenewMs = attemptMs;
        if (this.#leading === undefined) this.#stepUp();
      } else if (this.#leading !== undefined && this.#clock.nowMs() - this.#lastRenewMs >= this.#renewDeadlineMs) {
        this.#stepDown('renew deadline passed');
      }
      // The leader renews on the period; candidates jitter so they do not hit the apiserver together.
      const jitter = this.#leading === undefined ? (this.#o.random ?? Math.random)() * 1.2 * this.#retryMs : 0;
      await (this.#o.sleep ?? sleepUnref)(this.#retryMs + jitter, signal);
    }
  }

  /** One client-go `tryAcquireOrRenew`: true when this candidate holds the Lease afterwards. */
  async #tryAcquireOrRenew(nowMs: number): Promise<boolean> {
    const { client, namespace, name, identity } = this.#o;
    this.stats.attempts += 1;
    const mine: LeaseSpec = {
      holderIdentity: identity,
      leaseDurationSeconds: Math.ceil(this.#leaseMs / 1000),
      acquireTime: microTime(nowMs),
      renewTime: microTime(nowMs),
      leaseTransitions: 0,
    };
    try {
      const current = await client.get(namespace, name);
      this.#lastError = undefined;
      if (current === undefined) return this.#accept(await client.create(namespace, name, mine));
      this.#observe(current);
      const holder = current.spec.holderIdentity ?? '';
      const observedAt = this.#observed?.atMs ?? nowMs;
      if (holder !== '' && holder !== identity && observedAt + this.#leaseMs > nowMs) {
        if (this.#leading !== undefined) this.#stepDown(`${holder} holds the Lease`);
        return false;
      }
      const transitions = current.spec.leaseTransitions ?? 0;
      const spec: LeaseSpec =
        holder === identity
          ? { ...mine, acquireTime: current.spec.acquireTime ?? mine.acquireTime, leaseTransitions: transitions }
          : { ...mine, leaseTransitions: transitions + 1 };
      return this.#accept(await client.update(namespace, name, current.resourceVersion, spec));
    } catch (err: unknown) {
      if (err instanceof LeaseConflictError) this.stats.conflicts += 1;
      else this.stats.failures += 1;
      this.#lastError = message(err);
      this.#o.logger?.debug({ err: this.#lastError, lease: name }, 'leader election attempt failed');
      return false;
    }
  }

  #accept(record: LeaseRecord): boolean {
    this.#observe(record);
    return true;
  }

  /** Remembers when the Lease last changed, by the local clock (client-go's observedTime). */
  #observe(record: LeaseRecord): void {
    const prev = this.#observed?.record;
    const changed =
      prev === undefined ||
      prev.resourceVersion !== record.resourceVersion ||
      prev.spec.holderIdentity !== record.spec.holderIdentity ||
      prev.spec.renewTime !== record.spec.renewTime;
    if (changed) this.#observed = { record, atMs: this.#clock.nowMs() };
    const holder = record.spec.holderIdentity ?? '';
    if (holder !== (this.#holder ?? '')) {
      this.#holder = holder === '' ? undefined : holder;
      if (holder !== '') this.#callback('onNewLeader', () => this.#o.onNewLeader?.(holder));
    }
  }

  #stepUp(): void {
    this.#leading = new AbortController();
    this.stats.acquired += 1;
    this.#o.logger?.info({ lease: this.#o.name, identity: this.#o.identity }, 'became leader');
    const signal = this.#leading.signal;
    this.#callback('onStartedLeading', () => this.#o.onStartedLeading?.(signal));
  }

  #stepDown(reason: string): void {
    const leading = this.#leading;
    if (leading === undefined) return;
    this.#leading = undefined;
    this.stats.lost += 1;
    this.#o.logger?.warn({ lease: this.#o.name, reason }, 'stopped leading');
    leading.abort();
    this.#callback('onStoppedLeading', () => this.#o.onStoppedLeading?.());
  }

  /** A throwing callback is the owner's bug: logged, never allowed to break the election loop. */
  #callback(name: string, fn: () => void): void {
    try {
      fn();
    } catch (err: unknown) {
      this.#o.logger?.error({ err: message(err), callback: name }, 'leader election callback threw');
    }
  }
}

function sleepUnref(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    timer.unref();
    signal.addEventListener('abort', done, { once: true });
  });
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
