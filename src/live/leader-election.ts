import { request as httpRequest } from 'node:http';
import type { RequestOptions } from 'node:https';
import { request as httpsRequest } from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { Clock } from '../model/clock.js';
import { systemClock } from '../model/clock.js';

/** The spec fields of a coordination.k8s.io/v1 Lease that leader election reads and writes. */
export interface LeaseSpec {
  readonly holderIdentity?: string;
  readonly leaseDurationSeconds?: number;
  /** MicroTime, RFC 3339 with exactly six fractional digits (the apiserver refuses fewer). */
  readonly acquireTime?: string;
  readonly renewTime?: string;
  readonly leaseTransitions?: number;
}

/** A Lease as read: its spec and the resourceVersion an update must carry. */
export interface LeaseRecord {
  readonly spec: LeaseSpec;
  readonly resourceVersion: string;
}

/** 409 from the apiserver: another candidate wrote the Lease first (create or update race). */
export class LeaseConflictError extends Error {
  override readonly name = 'LeaseConflictError';
}

/** Reads and writes one Lease. Implementations reject with LeaseConflictError on 409, Error otherwise. */
export interface LeaseClient {
  /** Resolves to undefined when the Lease does not exist (404). */
  get(namespace: string, name: string): Promise<LeaseRecord | undefined>;
  create(namespace: string, name: string, spec: LeaseSpec): Promise<LeaseRecord>;
  /** PUT with `resourceVersion` for optimistic concurrency. */
  update(namespace: string, name: string, resourceVersion: string, spec: LeaseSpec): Promise<LeaseRecord>;
}

/**
 * LeaseClient over the Kubernetes REST API, authenticated from a KubeConfig (in-cluster service
 * account, token, client certificate or exec plugin). Plain HTTP requests rather than
 * CoordinationV1Api: client-node 1.4 serializes the Lease's MicroTime fields with
 * `Date#toISOString()` (three fractional digits), which the apiserver rejects with 400.
 * Every request has a timeout (default 5 s); failures reject, 409 as LeaseConflictError.
 */
export class KubeLeaseClient implements LeaseClient {
  readonly #kc: KubeConfig;
  readonly #timeoutMs: number;

  constructor(kubeConfig: KubeConfig, options: { readonly requestTimeoutMs?: number } = {}) {
    this.#kc = kubeConfig;
    this.#timeoutMs = options.requestTimeoutMs ?? 5000;
  }

  async get(namespace: string, name: string): Promise<LeaseRecord | undefined> {
    const r = await this.#call('GET', leasePath(namespace, name));
    if (r.status === 404) return undefined;
    return toRecord(r, 200);
  }

  async create(namespace: string, name: string, spec: LeaseSpec): Promise<LeaseRecord> {
    const body = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name, namespace }, spec };
    return toRecord(await this.#call('POST', leasePath(namespace), body), 201);
  }

  async update(namespace: string, name: string, resourceVersion: string, spec: LeaseSpec): Promise<LeaseRecord> {
    const body = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name, namespace, resourceVersion },
      spec,
    };
    return toRecord(await this.#call('PUT', leasePath(namespace, name), body), 200);
  }

  async #call(method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
    const cluster = this.#kc.getCurrentCluster();
    if (cluster === null) throw new Error('leader election: the kubeconfig has no current cluster');
    const url = new URL(cluster.server.replace(/\/+$/, '') + path);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const options: RequestOptions = {
      method,
      headers: {
        Accept: 'application/json',
        ...(payload !== undefined ? { 'Content-Type': 'application/json' } : {}),
      },
      timeout: this.#timeoutMs,
    };
    await this.#kc.applyToHTTPSOptions(options);
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = send(url, options, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = text === '' ? undefined : (JSON.parse(text) as unknown);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, json });
        });
      });
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer within ${this.#timeoutMs} ms`)));
      req.on('error', reject);
      req.end(payload);
    });
  }
}

function leasePath(namespace: string, name?: string): string {
  const base = `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/leases`;
  return name === undefined ? base : `${base}/${encodeURIComponent(name)}`;
}

function toRecord(r: { status: number; json: unknown }, expected: number): LeaseRecord {
  const obj = (typeof r.json === 'object' && r.json !== null ? r.json : {}) as {
    message?: unknown;
    metadata?: { resourceVersion?: unknown };
    spec?: LeaseSpec;
  };
  if (r.status === 409) throw new LeaseConflictError(String(obj.message ?? 'conflict'));
  if (r.status !== expected) {
    throw new Error(`Lease request answered ${r.status}${obj.message !== undefined ? `: ${String(obj.message)}` : ''}`);
  }
  const rv = obj.metadata?.resourceVersion;
  if (typeof rv !== 'string') throw new Error('Lease response without metadata.resourceVersion');
  return { spec: obj.spec ?? {}, resourceVersion: rv };
}

/** `Date` has millisecond precision; MicroTime needs six digits, so the last three are zeros. */
export function microTime(ms: number): string {
  return new Date(Math.floor(ms)).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

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
