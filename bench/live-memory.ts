import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { type FileHandle, mkdtemp, open, readFile, readdir, rm, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { ChurnDone, ChurnRequest, ClusterReady, StormDone, StormRequest } from './live-cluster.js';
import { benchCli } from './replay-cli.js';

const CLUSTER_CHILD = fileURLToPath(new URL('live-cluster.ts', import.meta.url));
// Preloaded into the built CLI: the IPC answers below (see live-service.mjs).
const SERVICE_PRELOAD = new URL('live-service.mjs', import.meta.url).href;

/** Memory of the service process after two full collections (bytes; cpuSeconds user+system). */
interface ServiceMemory {
  readonly type: 'memory';
  readonly heapUsed: number;
  readonly heapTotal: number;
  readonly rss: number;
  /** C++ objects bound to JS (LevelDB buffers among them), array buffers included. */
  readonly external: number;
  /** Peak RSS of the process so far. */
  readonly maxRss: number;
  readonly cpuSeconds: number;
}
const POLL_MS = 100;
const METRICS_EVERY_MS = 500;
// Generous: a stuck run fails the phase with a clear message instead of hanging the bench.
const SYNC_TIMEOUT_MS = 10 * 60_000;
const CHURN_TIMEOUT_MS = 5 * 60_000;
// A heap snapshot (KUBESTITCH_BENCH_HEAP_SNAPSHOTS) of a 10,000-pod service took over a minute
// on the loaded 2-core machine.
const MEASURE_TIMEOUT_MS = (process.env['KUBESTITCH_BENCH_HEAP_SNAPSHOTS'] ?? '') === '' ? 60_000 : 10 * 60_000;

/** Sizes of the live-memory phase. */
export interface LiveMemoryConfig {
  readonly pods: number;
  readonly podsPerDeployment: number;
  /** Churn rounds after the sync, and watch events (pod writes) per round. */
  readonly rounds: number;
  readonly changesPerRound: number;
  /**
   * Pods created at once, unschedulable, after the churn; 0 skips the storm. Default a fifth of
   * `pods` (20,000 at full size), scaled down from the 200,000: on the 2-core machine the
   * service fell to ~25 events/s in a 200,000-pod storm and did not finish within the 10 min wait.
   */
  readonly stormPods?: number;
}

/** Memory of the service at one point, after a full GC. */
export interface LivePoint {
  readonly label: string;
  /** Watch events the pipeline has processed (the listed objects included). */
  readonly watchEvents: number;
  readonly heapBytes: number;
  readonly heapTotalBytes: number;
  readonly rssBytes: number;
  readonly externalBytes: number;
  /** CPU seconds (user + system) the service has used so far. */
  readonly cpuSeconds: number;
  /** Journal, checkpoints and exported-span ids: the whole data dir on disk. */
  readonly dataDirBytes: number;
}

/** One churn round: writes applied to the fake, and how fast the service processed them. */
export interface LiveChurn {
  readonly events: number;
  readonly restarts: number;
  readonly deletes: number;
  readonly creates: number;
  /** How long the fake took to apply them (they stream to the open watches meanwhile). */
  readonly applySeconds: number;
  /** First write → every event processed by the pipeline (journaled, synthesized, exported). */
  readonly seconds: number;
  readonly eventsPerS: number;
  /** CPU seconds the service spent on the round (more than `seconds` = more than one core). */
  readonly cpuSeconds: number;
}

/** A storm of pending pods: what they cost while open, and once the max age ended them. */
export interface LiveStorm {
  readonly pods: number;
  /** First write → every storm event processed. */
  readonly seconds: number;
  /** (heap after the storm − heap before) / storm pods: a pending pod with its startup open. */
  readonly heapBytesPerPendingPod: number;
  /** The same once the clock passed the max age (startups ended; the pods still exist, pending). */
  readonly heapBytesPerPendingPodAfterMaxAge: number;
  /** Pod startups ended early because more than the bound were open (drops open-operations-full). */
  readonly operationsEvicted: number;
  readonly peakRssBytes: number;
  /** After the storm, and once the clock passed the max age. */
  readonly points: readonly LivePoint[];
}

export interface LiveMemoryResult {
  readonly pods: number;
  /** Objects of the watched kinds (Deployments, ReplicaSets, Pods, Nodes) the service lists. */
  readonly objects: number;
  /** How long the fake took to build its cluster (not part of any figure below). */
  readonly clusterLoadSeconds: number;
  /** Process start → /readyz 200 (every informer listed and watching). */
  readonly syncSeconds: number;
  /** Process start → every listed object processed by the pipeline (journal drained). */
  readonly processedSeconds: number;
  /** Listed objects / processedSeconds. */
  readonly syncObjectsPerS: number;
  /** CPU seconds of the service up to the processed sync. */
  readonly syncCpuSeconds: number;
  /**
   * After sync; after the clock moved on (what the sync opened has ended); after each churn
   * round; after the clock moved on again (what the churn opened has ended).
   */
  readonly points: readonly LivePoint[];
  /** Heap after the sync / pods (owners, nodes and the service's fixed state in their share). */
  readonly heapBytesPerPod: number;
  /** Heap once what the sync opened has ended (the steady state of an idle cluster). */
  readonly settledHeapBytes: number;
  /**
   * Heap of the same service watching one empty namespace (the built CLI's modules, the Nodes):
   * what `settledHeapBytes` holds that is not per pod.
   */
  readonly idleHeapBytes: number;
  /** (settled heap − idle heap) / pods: what one settled pod costs. */
  readonly settledBytesPerPodOverIdle: number;
  /** (heap after the last round − settled heap) / churn events, windows still open. */
  readonly heapGrowthBytesPerChange: number;
  /** (heap once the churn's windows and operations ended − settled heap) / churn events: ≈ 0 when bounded. */
  readonly heapRetainedBytesPerChange: number;
  readonly churn: readonly LiveChurn[];
  readonly peakRssBytes: number;
  /** SIGTERM → exit (graceful stop: informers, drain, close). */
  readonly stopSeconds: number;
  readonly exitCode: number | null;
  readonly dataDirBytesAfterStop: number;
  /** Watch records `kubestitch_records_in_total` counts per processed event (1 when counted once). */
  readonly recordsCountedPerEvent: number;
  /** Size of one /metrics scrape after the sync (owner and namespace label cardinality). */
  readonly metricsBytes: number;
  /** Absent when the config has no storm. */
  readonly storm?: LiveStorm;
}

// Past the 1 h max operation age and the 30 min activity window (epoch-aligned), with a margin.
const CLOCK_ADVANCE_MS = 61 * 60_000;

/**
 * The `kubestitch run` service against a fake apiserver of `pods` settled pods, both in child
 * processes (only the service's memory is measured): time to the first full sync, heap and RSS
 * after it (full GC), then `rounds` rounds of pod churn with the processing rate and heap after
 * each, the data dir's size, and a graceful stop. Rejects when a child fails to start, the
 * service exits early, or a wait times out (children are killed and scratch dirs removed then).
 */
export async function measureLiveMemory(
  config: LiveMemoryConfig,
  step: (what: string) => void,
): Promise<LiveMemoryResult> {
  // The built CLI, as a user runs it (rejects before anything starts when dist/ is stale).
  const cli = await benchCli();
  const scratch = await mkdtemp(join(tmpdir(), 'kubestitch-bench-live-'));
  const children: ChildProcess[] = [];
  try {
    const cluster = fork(
      CLUSTER_CHILD,
      [
        '--pods',
        String(config.pods),
        '--pods-per-deployment',
        String(config.podsPerDeployment),
        '--kubeconfig',
        join(scratch, 'kubeconfig'),
      ],
      { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
    );
    children.push(cluster);
    const ready = await nextMessage<ClusterReady>(cluster, 'ready', SYNC_TIMEOUT_MS);
    step(
      `live-memory: fake apiserver holds ${ready.pods} pods (${ready.objects} watched objects) after ` +
        `${ready.loadSeconds.toFixed(0)} s; starting kubestitch run`,
    );
    const idleHeapBytes = await measureIdle(cli, ready.kubeconfig, scratch, children);
    step(`live-memory: the service idle (no namespace's objects): ${(idleHeapBytes / 1e6).toFixed(0)} MB heap`);
    const dataDir = join(scratch, 'data');
    const started = performance.now();
    const { service, exited, admin, log } = await startService(cli, ready.kubeconfig, scratch, 'data', []);
    children.push(service);
    const seconds = (): number => (performance.now() - started) / 1000;

    await admin.until('every informer watching', SYNC_TIMEOUT_MS, (r) => r.ready);
    const syncSeconds = seconds();
    await admin.until('the listed objects processed', SYNC_TIMEOUT_MS, (r) => r.drained(ready.objects));
    const processedSeconds = seconds();
    step(`live-memory: synced in ${syncSeconds.toFixed(1)} s, processed in ${processedSeconds.toFixed(1)} s`);
    const first = await measure(service, admin, dataDir);
    // Watch records counted per processed event: 2 while `run` registers the same count twice
    // (synth's and the pipeline's), 1 once that is fixed. Every listed object has been processed
    // here, so the ratio is exact.
    const perEvent = Math.max(1, Math.round(first.watchRecords / ready.objects));
    const points: LivePoint[] = [first.point('after sync', perEvent)];
    const afterSync = points[0] as LivePoint;
    const metricsBytes = admin.metricsBytes;

    // What the sync itself left behind that ends within the hour (the dedupe window of the listed
    // objects, windows opened by the list) goes first, so the churn's residue is measured alone.
    const settled = await advanceClock(service, admin, dataDir, `clock +${CLOCK_ADVANCE_MS / 60_000} min`, perEvent);
    points.push(settled);
    step(`live-memory: settled at ${(settled.heapBytes / 1e6).toFixed(0)} MB heap; churning`);

    const churn: LiveChurn[] = [];
    for (let round = 1; round <= config.rounds; round++) {
      const before = await measure(service, admin, dataDir);
      const t0 = performance.now();
      cluster.send({ type: 'churn', changes: config.changesPerRound, seed: round } satisfies ChurnRequest);
      const done = await nextMessage<ChurnDone>(cluster, 'churned', CHURN_TIMEOUT_MS);
      await admin.until(`churn round ${round} processed`, CHURN_TIMEOUT_MS, (r) =>
        r.drained(before.watchRecords + done.applied * perEvent),
      );
      const s = (performance.now() - t0) / 1000;
      const after = await measure(service, admin, dataDir);
      churn.push({
        events: done.applied,
        restarts: done.restarts,
        deletes: done.deletes,
        creates: done.creates,
        applySeconds: done.seconds,
        seconds: s,
        eventsPerS: done.applied / s,
        cpuSeconds: after.memory.cpuSeconds - before.memory.cpuSeconds,
      });
      points.push(after.point(`after churn round ${round}`, perEvent));
      step(`live-memory: churn round ${round}: ${done.applied} events in ${s.toFixed(1)} s`);
    }
    const whileOpen = points[points.length - 1] ?? afterSync;
    const ended = await advanceClock(
      service,
      admin,
      dataDir,
      `clock +${(2 * CLOCK_ADVANCE_MS) / 60_000} min`,
      perEvent,
    );
    points.push(ended);
    // Peak RSS of the sync and churn, before the storm (which reports its own).
    const peak = await ask(service);
    const stormPods = config.stormPods ?? Math.round(config.pods / 5);
    // A storm the service cannot process in time is reported as such; the figures above stand.
    const storm =
      stormPods > 0
        ? await runStorm({ cluster, service, admin, dataDir, perEvent, pods: stormPods, step }).catch(
            (err: unknown) => {
              step(
                `live-memory: storm of ${stormPods} pods not measured: ${(err as Error).message.split('\n')[0] ?? ''}`,
              );
              return undefined;
            },
          )
        : undefined;

    const t0 = performance.now();
    service.kill('SIGTERM');
    const [exitCode] = await exited;
    const stopSeconds = (performance.now() - t0) / 1000;
    await log.close();
    const changes = churn.reduce((a, c) => a + c.events, 0);
    return {
      pods: ready.pods,
      objects: ready.objects,
      clusterLoadSeconds: ready.loadSeconds,
      syncSeconds,
      processedSeconds,
      syncObjectsPerS: ready.objects / processedSeconds,
      syncCpuSeconds: afterSync.cpuSeconds,
      points,
      heapBytesPerPod: afterSync.heapBytes / ready.pods,
      settledHeapBytes: settled.heapBytes,
      idleHeapBytes,
      settledBytesPerPodOverIdle: (settled.heapBytes - idleHeapBytes) / ready.pods,
      heapGrowthBytesPerChange: changes > 0 ? (whileOpen.heapBytes - settled.heapBytes) / changes : NaN,
      heapRetainedBytesPerChange: changes > 0 ? (ended.heapBytes - settled.heapBytes) / changes : NaN,
      churn,
      peakRssBytes: peak.maxRss,
      stopSeconds,
      exitCode,
      dataDirBytesAfterStop: await dirBytes(dataDir),
      recordsCountedPerEvent: perEvent,
      metricsBytes,
      ...(storm !== undefined ? { storm } : {}),
    };
  } finally {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await rm(scratch, { recursive: true, force: true });
  }
}

interface StartedService {
  readonly service: ChildProcess;
  readonly exited: Promise<[number | null, string | null]>;
  readonly admin: AdminClient;
  readonly log: FileHandle;
}

// `kubestitch run` (the built CLI, live-service.mjs preloaded) against the fake apiserver, its data dir `scratch/dir`
// and its log `scratch/dir.log`.
async function startService(
  cli: string,
  kubeconfig: string,
  scratch: string,
  dir: string,
  extra: readonly string[],
): Promise<StartedService> {
  const adminPort = await freePort();
  const logPath = join(scratch, `${dir}.log`);
  const log = await open(logPath, 'w');
  const service = fork(
    cli,
    [
      'run',
      ...['--kubeconfig', kubeconfig, '--data-dir', join(scratch, dir), '--out', '/dev/null'],
      ...['--admin-addr', `127.0.0.1:${adminPort}`, '--cluster', 'bench', ...extra],
    ],
    { execArgv: ['--expose-gc', '--import', SERVICE_PRELOAD], stdio: ['ignore', 'ignore', log.fd, 'ipc'] },
  );
  const exited = once(service, 'exit') as Promise<[number | null, string | null]>;
  return { service, exited, admin: new AdminClient(`http://127.0.0.1:${adminPort}`, exited, logPath), log };
}

// The service watching only a namespace that holds nothing: its heap once ready is the part of
// every figure that does not grow with the cluster.
async function measureIdle(
  cli: string,
  kubeconfig: string,
  scratch: string,
  children: ChildProcess[],
): Promise<number> {
  const idle = await startService(cli, kubeconfig, scratch, 'idle', ['--namespaces', 'kubestitch-bench-idle']);
  children.push(idle.service);
  await idle.admin.until('the idle service ready', SYNC_TIMEOUT_MS, (r) => r.ready && r.pending === 0);
  await idle.admin.settled('the idle service quiet', CHURN_TIMEOUT_MS);
  const { heapUsed } = await ask(idle.service);
  idle.service.kill('SIGTERM');
  await idle.exited;
  await idle.log.close();
  return heapUsed;
}

interface StormRun {
  readonly cluster: ChildProcess;
  readonly service: ChildProcess;
  readonly admin: AdminClient;
  readonly dataDir: string;
  readonly perEvent: number;
  readonly pods: number;
  readonly step: (what: string) => void;
}

// `pods` unschedulable pods at once: heap with their startups open, then once the clock passed
// the max age (the startups ended; the pods, still pending, stay in the graph).
async function runStorm(r: StormRun): Promise<LiveStorm> {
  const before = await measure(r.service, r.admin, r.dataDir);
  const t0 = performance.now();
  r.cluster.send({ type: 'storm', pods: r.pods } satisfies StormRequest);
  const done = await nextMessage<StormDone>(r.cluster, 'stormed', SYNC_TIMEOUT_MS);
  await r.admin.until('the storm processed', SYNC_TIMEOUT_MS, (a) =>
    a.drained(before.watchRecords + done.applied * r.perEvent),
  );
  const seconds = (performance.now() - t0) / 1000;
  const open = (await measure(r.service, r.admin, r.dataDir)).point(
    `after a storm of ${done.applied} pending pods`,
    r.perEvent,
  );
  const { operationsEvicted } = await r.admin.read(true);
  r.step(
    `live-memory: storm of ${done.applied} pending pods processed in ${seconds.toFixed(0)} s, ${(open.heapBytes / 1e6).toFixed(0)} MB heap`,
  );
  const expired = await advanceClock(r.service, r.admin, r.dataDir, 'storm: clock +61 min more', r.perEvent);
  const base = before.memory.heapUsed;
  return {
    pods: done.applied,
    seconds,
    heapBytesPerPendingPod: (open.heapBytes - base) / done.applied,
    heapBytesPerPendingPodAfterMaxAge: (expired.heapBytes - base) / done.applied,
    operationsEvicted,
    peakRssBytes: (await ask(r.service)).maxRss,
    points: [open, expired],
  };
}

// Moves the service's clock CLOCK_ADVANCE_MS on, waits until the ticks have ended what was due
// and everything is exported, and measures.
async function advanceClock(
  service: ChildProcess,
  admin: AdminClient,
  dataDir: string,
  label: string,
  perEvent: number,
): Promise<LivePoint> {
  const advanced = nextMessage(service, 'advanced', 10_000);
  service.send({ type: 'advance', ms: CLOCK_ADVANCE_MS });
  await advanced;
  await admin.settled(`${label}: windows and operations ended`, CHURN_TIMEOUT_MS);
  return (await measure(service, admin, dataDir)).point(label, perEvent);
}

interface Reading {
  readonly memory: ServiceMemory;
  /** The raw `kubestitch_records_in_total{source="watch"}`. */
  readonly watchRecords: number;
  point(label: string, perEvent: number): LivePoint;
}

async function measure(service: ChildProcess, admin: AdminClient, dataDir: string): Promise<Reading> {
  const memory = await ask(service);
  const { watchRecords } = await admin.read(true);
  const dataDirBytes = await dirBytes(dataDir);
  return {
    memory,
    watchRecords,
    point: (label, perEvent) => ({
      label,
      watchEvents: watchRecords / perEvent,
      heapBytes: memory.heapUsed,
      heapTotalBytes: memory.heapTotal,
      rssBytes: memory.rss,
      externalBytes: memory.external,
      cpuSeconds: memory.cpuSeconds,
      dataDirBytes,
    }),
  };
}

async function ask(service: ChildProcess): Promise<ServiceMemory> {
  const reply = nextMessage<ServiceMemory>(service, 'memory', MEASURE_TIMEOUT_MS);
  service.send({ type: 'measure' });
  return reply;
}

/** What the admin server says: /readyz's verdict and pending journal entries, /metrics' watch records. */
interface AdminReading {
  readonly ready: boolean;
  readonly pending: number;
  readonly watchRecords: number;
  readonly spansOut: number;
  /** kubestitch_drops_total{reason="open-operations-full"}. */
  readonly operationsEvicted: number;
  /** Ready, nothing pending, and at least `records` watch records processed. */
  drained(records: number): boolean;
}

class AdminClient {
  readonly #url: string;
  readonly #exited: Promise<unknown>;
  readonly #logPath: string;
  #gone = false;
  #metricsAt = Number.NEGATIVE_INFINITY;
  #metrics = { watchRecords: 0, spansOut: 0, operationsEvicted: 0, bytes: 0 };

  constructor(url: string, exited: Promise<unknown>, logPath: string) {
    this.#url = url;
    this.#logPath = logPath;
    this.#exited = exited.then(() => (this.#gone = true));
  }

  /**
   * /readyz on every call; /metrics (large and costly to render at this scale: it is the owner
   * cardinality) only when nothing is pending, at most every METRICS_EVERY_MS unless `fresh`, so
   * polling does not slow the service it measures. Rejects when the admin server cannot be reached.
   */
  async read(fresh = false): Promise<AdminReading> {
    const ready = await fetch(`${this.#url}/readyz`);
    const body = (await ready.json()) as { checks?: { journalPending?: number } };
    const pending = body.checks?.journalPending ?? Number.POSITIVE_INFINITY;
    const ok = ready.status === 200;
    if (fresh || (ok && pending === 0 && performance.now() - this.#metricsAt >= METRICS_EVERY_MS)) {
      this.#metricsAt = performance.now();
      const text = await (await fetch(`${this.#url}/metrics`)).text();
      this.#metrics = {
        watchRecords: counter(text, 'kubestitch_records_in_total', 'source="watch"'),
        spansOut: counter(text, 'kubestitch_spans_out_total', ''),
        operationsEvicted: counter(text, 'kubestitch_drops_total', 'reason="open-operations-full"'),
        bytes: Buffer.byteLength(text),
      };
    }
    const { watchRecords, spansOut, operationsEvicted } = this.#metrics;
    return {
      ready: ok,
      pending,
      watchRecords,
      spansOut,
      operationsEvicted,
      drained: (n) => ok && pending === 0 && watchRecords >= n,
    };
  }

  /** Size of the last /metrics exposition read. */
  get metricsBytes(): number {
    return this.#metrics.bytes;
  }

  /** Polls until `done`; rejects when the service exits or `timeoutMs` passes (with its log's tail). */
  async until(what: string, timeoutMs: number, done: (r: AdminReading) => boolean, pollMs = POLL_MS): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      if (this.#gone) throw new Error(`kubestitch run exited before ${what}; see its log:\n${await this.#tail()}`);
      const r = await this.read().catch(() => undefined);
      if (r !== undefined && done(r)) return;
      if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}:\n${await this.#tail()}`);
      await Promise.race([sleep(pollMs), this.#exited]);
    }
  }

  /**
   * Waits for a quiet service: a few clock ticks, then nothing pending and no span exported
   * between two polls a second apart. Rejects like `until`.
   */
  async settled(what: string, timeoutMs: number): Promise<void> {
    await sleep(3_000);
    let last = -1;
    await this.until(
      what,
      timeoutMs,
      (r) => {
        const quiet = r.pending === 0 && r.spansOut === last;
        last = r.spansOut;
        return quiet;
      },
      1_000,
    );
  }

  async #tail(): Promise<string> {
    const text = await readFile(this.#logPath, 'utf8').catch(() => '');
    return text.split('\n').slice(-20).join('\n');
  }
}

// Sum of one counter's samples whose labels contain `label` (0 before the first one is counted).
function counter(exposition: string, name: string, label: string): number {
  let sum = 0;
  for (const line of exposition.split('\n')) {
    if (!line.startsWith(`${name}{`) || !line.includes(label)) continue;
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (Number.isFinite(value)) sum += value;
  }
  return sum;
}

function nextMessage<T extends { type: string }>(child: ChildProcess, type: T['type'], timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => finish(new Error(`no '${type}' from a bench child within ${timeoutMs} ms`)),
      timeoutMs,
    );
    const onMessage = (m: { type?: string }): void => {
      if (m.type === type) finish(undefined, m as T);
    };
    const onExit = (code: number | null): void => finish(new Error(`a bench child exited (${code}) before '${type}'`));
    const finish = (err: Error | undefined, value?: T): void => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      if (err !== undefined) reject(err);
      else resolve(value as T);
    };
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Bytes of every file under `dir` (apparent sizes, as `du -sb`); 0 when it does not exist. */
async function dirBytes(dir: string): Promise<number> {
  let total = 0;
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    const path = join(dir, e.name);
    if (e.isDirectory()) total += await dirBytes(path);
    else
      total += await stat(path).then(
        (s) => s.size,
        () => 0,
      );
  }
  return total;
}
