import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LeaderElector } from '../../src/live/leader-election.js';
import { KubeLeaseClient, LeaseConflictError, microTime } from '../../src/live/lease-client.js';
import type { LeaseClient, LeaseRecord, LeaseSpec } from '../../src/live/lease-client.js';
import { ManualClock } from '../../src/model/clock.js';
import { startFakeApiserver } from '../../tools/sim/apiserver/index.js';
import type { FakeApiserver } from '../../tools/sim/apiserver/index.js';

const NS = 'kubestitch';
const LEASE = 'ks';
const LEASE_MS = 15_000;
const DEADLINE_MS = 10_000;
const RETRY_MS = 2_000;
const STEP_MS = 500;
// A standby's period between attempts: retryPeriod plus jitter (random() = 0.5 → 0.6 × retry),
// woken at the next test step.
const POLL_MS = Math.ceil((RETRY_MS * 1.6) / STEP_MS) * STEP_MS;

/**
 * Time that moves only when the test says so. Every elector loop, when idle, waits in exactly one
 * sleep; `advance` wakes the due ones and waits (in real time, bounded) until every running loop
 * sleeps again, so each step's assertions see the state after all reactions to that step.
 */
class FakeTime {
  readonly clock = new ManualClock(1_800_000_000_000);
  readonly #sleepers = new Set<{ until: number; wake: () => void }>();

  readonly sleep = (ms: number, signal: AbortSignal): Promise<void> =>
    new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const entry = {
        until: this.clock.nowMs() + ms,
        wake: () => {
          this.#sleepers.delete(entry);
          resolve();
        },
      };
      signal.addEventListener('abort', entry.wake, { once: true });
      this.#sleepers.add(entry);
    });

  async settle(loops: number): Promise<void> {
    const deadline = Date.now() + 5000;
    while (this.#sleepers.size !== loops) {
      if (Date.now() > deadline) throw new Error(`expected ${loops} idle loops, have ${this.#sleepers.size}`);
      await new Promise((r) => setTimeout(r, 1));
    }
  }

  async advance(ms: number, loops: number): Promise<void> {
    this.clock.advanceTo(this.clock.nowMs() + ms);
    for (const s of [...this.#sleepers]) if (s.until <= this.clock.nowMs()) s.wake();
    await this.settle(loops);
  }
}

/** Records callbacks; the signal handed to onStartedLeading is kept to check it aborts. */
class Candidate {
  readonly events: string[] = [];
  signal: AbortSignal | undefined;
  readonly elector: LeaderElector;

  constructor(identity: string, client: LeaseClient, time: FakeTime) {
    this.elector = new LeaderElector({
      client,
      namespace: NS,
      name: LEASE,
      identity,
      leaseDurationMs: LEASE_MS,
      renewDeadlineMs: DEADLINE_MS,
      retryPeriodMs: RETRY_MS,
      clock: time.clock,
      sleep: time.sleep,
      random: () => 0.5,
      onStartedLeading: (signal) => {
        this.signal = signal;
        this.events.push('started');
      },
      onStoppedLeading: () => this.events.push('stopped'),
      onNewLeader: (id) => this.events.push(`leader ${id}`),
    });
  }
}

/** Wraps a client; `failing` makes writes fail as a partitioned node would see them. */
class PartitionableClient implements LeaseClient {
  failing = false;
  constructor(readonly inner: LeaseClient) {}
  get(ns: string, name: string): Promise<LeaseRecord | undefined> {
    return this.failing ? Promise.reject(new Error('connect ETIMEDOUT')) : this.inner.get(ns, name);
  }
  create(ns: string, name: string, spec: LeaseSpec): Promise<LeaseRecord> {
    return this.failing ? Promise.reject(new Error('connect ETIMEDOUT')) : this.inner.create(ns, name, spec);
  }
  update(ns: string, name: string, rv: string, spec: LeaseSpec): Promise<LeaseRecord> {
    return this.failing ? Promise.reject(new Error('connect ETIMEDOUT')) : this.inner.update(ns, name, rv, spec);
  }
}

/** Holds every get until `parties` candidates have read, so they race on the same version. */
class BarrierClient implements LeaseClient {
  #waiting: (() => void)[] = [];
  constructor(
    readonly inner: LeaseClient,
    readonly parties: number,
  ) {}
  async get(ns: string, name: string): Promise<LeaseRecord | undefined> {
    const record = await this.inner.get(ns, name);
    if (this.#waiting.length + 1 < this.parties) await new Promise<void>((r) => this.#waiting.push(r));
    else for (const w of this.#waiting.splice(0)) w();
    return record;
  }
  create(ns: string, name: string, spec: LeaseSpec): Promise<LeaseRecord> {
    return this.inner.create(ns, name, spec);
  }
  update(ns: string, name: string, rv: string, spec: LeaseSpec): Promise<LeaseRecord> {
    return this.inner.update(ns, name, rv, spec);
  }
}

describe('LeaderElector', () => {
  let srv: FakeApiserver;
  let dir: string;
  let client: KubeLeaseClient;
  let time: FakeTime;
  const started: LeaderElector[] = [];

  beforeEach(async () => {
    srv = await startFakeApiserver({ namespaces: ['default', NS] });
    dir = await mkdtemp(join(tmpdir(), 'kubestitch-le-'));
    const kc = new KubeConfig();
    kc.loadFromFile(await srv.kubeconfig(join(dir, 'kubeconfig')));
    client = new KubeLeaseClient(kc);
    time = new FakeTime();
  });
  afterEach(async () => {
    await Promise.all(started.splice(0).map((e) => e.stop()));
    await srv.close();
    await rm(dir, { recursive: true, force: true });
  });

  function start(c: Candidate): Candidate {
    started.push(c.elector);
    c.elector.start();
    return c;
  }
  const lease = (): Record<string, unknown> | undefined =>
    srv.get('coordination.k8s.io/v1', 'Lease', NS, LEASE)?.['spec'] as Record<string, unknown> | undefined;
  const leaders = (cs: readonly Candidate[]): string[] =>
    cs.filter((c) => c.elector.isLeader).map((c) => c.elector.leader ?? '?');

  /** Two candidates, `a` leading and `b` standing by after a few renewals. */
  async function leaderAndStandby(clientA: LeaseClient = client): Promise<[Candidate, Candidate]> {
    const a = start(new Candidate('a', clientA, time));
    await time.settle(1);
    const b = start(new Candidate('b', client, time));
    await time.settle(2);
    for (let i = 0; i < 8; i++) {
      await time.advance(STEP_MS * 2, 2);
      expect(leaders([a, b])).toEqual(['a']);
    }
    expect(b.elector.leader).toBe('a');
    return [a, b];
  }

  /** Steps time until `c` leads, checking at every step that at most one candidate leads. */
  async function stepUntilLeader(c: Candidate, all: readonly Candidate[], loops: number): Promise<number> {
    for (let waited = 0; waited <= 4 * LEASE_MS; waited += STEP_MS) {
      if (c.elector.isLeader) return waited;
      await time.advance(STEP_MS, loops);
      expect(leaders(all).length).toBeLessThanOrEqual(1);
    }
    throw new Error('never became leader');
  }

  it('takes an absent Lease at once and writes it with MicroTime stamps', async () => {
    const a = start(new Candidate('a', client, time));
    await time.settle(1);
    expect(a.elector.isLeader).toBe(true);
    expect(a.events).toEqual(['leader a', 'started']);
    expect(lease()).toMatchObject({ holderIdentity: 'a', leaseDurationSeconds: 15, leaseTransitions: 0 });
    expect(String(lease()?.['renewTime'])).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
  });

  it('hands over to the standby only after the Lease expires when the leader dies without releasing', async () => {
    const [a, b] = await leaderAndStandby();
    const renewedBeforeDeath = String(lease()?.['renewTime']);
    await a.elector.stop(); // a crash: the Lease still names a
    expect(lease()?.['holderIdentity']).toBe('a');
    const waited = await stepUntilLeader(b, [a, b], 1);
    expect(waited).toBeGreaterThanOrEqual(LEASE_MS - RETRY_MS);
    // One poll to see the leader's last renewal, the lease duration, one poll to see it expired.
    expect(waited).toBeLessThanOrEqual(LEASE_MS + 2 * POLL_MS);
    expect(lease()).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1 });
    expect(String(lease()?.['renewTime']) > renewedBeforeDeath).toBe(true);
    expect(b.events).toEqual(['leader a', 'leader b', 'started']);
    expect(a.signal?.aborted).toBe(true);
  });

  it('hands over at the standby’s next attempt after a graceful release', async () => {
    const [a, b] = await leaderAndStandby();
    await a.elector.release();
    expect(lease()?.['holderIdentity']).toBe('');
    expect(a.events).toEqual(['leader a', 'started', 'stopped']);
    const waited = await stepUntilLeader(b, [a, b], 1);
    expect(waited).toBeLessThanOrEqual(POLL_MS);
    expect(lease()).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1 });
  });

  it('gives up leadership when renewals fail past renewDeadline, before the standby may take over', async () => {
    const flaky = new PartitionableClient(client);
    const [a, b] = await leaderAndStandby(flaky);
    flaky.failing = true;
    const cut = time.clock.nowMs();
    let aStoppedAfter: number | undefined;
    while (b.elector.isLeader === false) {
      await time.advance(STEP_MS, 2);
      const now = time.clock.nowMs() - cut;
      expect(leaders([a, b]).length).toBeLessThanOrEqual(1);
      if (aStoppedAfter === undefined && !a.elector.isLeader) aStoppedAfter = now;
      expect(now).toBeLessThan(3 * LEASE_MS);
    }
    expect(aStoppedAfter).toBeDefined();
    expect(aStoppedAfter).toBeLessThanOrEqual(DEADLINE_MS);
    expect(aStoppedAfter).toBeGreaterThan(DEADLINE_MS - RETRY_MS - STEP_MS);
    expect(a.events).toContain('stopped');
    expect(a.signal?.aborted).toBe(true);
    expect(a.elector.stats.failures).toBeGreaterThan(0);
    expect(a.elector.lastError).toContain('ETIMEDOUT');
    // Healed, a finds b's Lease fresh and stands by.
    flaky.failing = false;
    for (let i = 0; i < 10; i++) {
      await time.advance(STEP_MS * 2, 2);
      expect(leaders([a, b])).toEqual(['b']);
    }
    expect(a.elector.leader).toBe('b');
  });

  it('lets exactly one of two racing candidates create the Lease (the other gets 409)', async () => {
    const racing = new BarrierClient(client, 2);
    const a = start(new Candidate('a', racing, time));
    const b = start(new Candidate('b', racing, time));
    await time.settle(2);
    expect(leaders([a, b]).length).toBe(1);
    expect(a.elector.stats.conflicts + b.elector.stats.conflicts).toBe(1);
  });

  it('lets exactly one of two candidates take over an expired Lease (stale resourceVersion → 409)', async () => {
    const gone = start(new Candidate('gone', client, time));
    await time.settle(1);
    await gone.elector.stop();
    const racing = new BarrierClient(client, 2);
    const a = start(new Candidate('a', racing, time));
    const b = start(new Candidate('b', racing, time));
    await time.settle(2);
    expect(leaders([a, b])).toEqual([]);
    await time.advance(LEASE_MS + 2.2 * RETRY_MS, 2);
    expect(leaders([a, b]).length).toBe(1);
    expect(a.elector.stats.conflicts + b.elector.stats.conflicts).toBe(1);
    expect(lease()?.['leaseTransitions']).toBe(1);
  });

  it('counts apiserver errors, reports them, and keeps campaigning', async () => {
    srv.failNext({ method: 'GET', pathPrefix: `/apis/coordination.k8s.io/v1/namespaces/${NS}/leases`, status: 500, times: 2 }); // prettier-ignore
    const a = start(new Candidate('a', client, time));
    await time.settle(1);
    expect(a.elector.isLeader).toBe(false);
    expect(a.elector.lastError).toContain('500');
    await time.advance(RETRY_MS * 2.2, 1);
    await time.advance(RETRY_MS * 2.2, 1);
    expect(a.elector.isLeader).toBe(true);
    expect(a.elector.stats.failures).toBe(2);
    expect(a.elector.lastError).toBeUndefined();
  });

  it('refuses timings that allow two leaders', () => {
    expect(
      () => new LeaderElector({ client, namespace: NS, name: LEASE, identity: 'x', leaseDurationMs: 5000, renewDeadlineMs: 5000 }), // prettier-ignore
    ).toThrow(RangeError);
  });
});

describe('KubeLeaseClient', () => {
  it('gives up on an apiserver that does not answer within the request timeout', async () => {
    const { createServer } = await import('node:http');
    const silent = createServer(() => undefined); // takes the request, never answers
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as { port: number }).port;
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'c', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
      users: [{ name: 'u', token: 't' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    });
    const started = Date.now();
    try {
      await expect(new KubeLeaseClient(kc, { requestTimeoutMs: 300 }).get('default', 'l')).rejects.toThrow();
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      silent.closeAllConnections();
      await new Promise((r) => silent.close(r));
    }
  });

  it('answers 404 with undefined and a second create with LeaseConflictError', async () => {
    const srv = await startFakeApiserver({ namespaces: [NS] });
    const dir = await mkdtemp(join(tmpdir(), 'kubestitch-le-'));
    try {
      const kc = new KubeConfig();
      kc.loadFromFile(await srv.kubeconfig(join(dir, 'kubeconfig')));
      const client = new KubeLeaseClient(kc);
      expect(await client.get(NS, 'l')).toBeUndefined();
      const spec = { holderIdentity: 'a', leaseDurationSeconds: 15, renewTime: microTime(Date.UTC(2026, 0, 1)) };
      const created = await client.create(NS, 'l', spec);
      expect(created.spec).toEqual(spec);
      await expect(client.create(NS, 'l', spec)).rejects.toBeInstanceOf(LeaseConflictError);
      const read = await client.get(NS, 'l');
      expect(read?.spec.renewTime).toBe('2026-01-01T00:00:00.000000Z');
      await expect(client.update(NS, 'l', '1', spec)).rejects.toBeInstanceOf(LeaseConflictError);
    } finally {
      await srv.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('microTime', () => {
  it('formats with the six fractional digits the apiserver requires', () => {
    expect(microTime(Date.UTC(2026, 0, 2, 3, 4, 5, 67))).toBe('2026-01-02T03:04:05.067000Z');
  });
});
