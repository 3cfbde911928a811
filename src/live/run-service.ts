import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { DATA_DIR_SCHEMA_VERSION, IntakeLog, openLevelStore } from '../../storage/index.js';
import type { IntakeLogStats, KvStore } from '../../storage/index.js';
import type { SpanSink } from '../export/sink.js';
import { toIntakeItem } from '../sources/audit/audit-entry.js';
import { AuditFileFollower, type AuditFileFollowerStats } from '../sources/audit/audit-file-follower.js';
import { AuditWebhookServer, type AuditWebhookTls } from '../sources/audit/webhook-server.js';
import type { InformerStatus } from '../sources/watch/informer.js';
import type { KubeHttp } from '../sources/watch/kube-http.js';
import { DEFAULT_RESOURCES, discoverResources, eventResources } from '../sources/watch/resources.js';
import type { ResourceSpec, WatchedResource } from '../sources/watch/resources.js';
import type { WatchScope } from '../sources/watch/scope.js';
import { Synthesizer } from '../synth/synthesizer.js';
import { tickEntry } from './journal-entries.js';
import { baselineBase, compactJournal, loadBaseline } from './journal-compactor.js';
import { JournalPipeline, type PipelineLogger } from './journal-pipeline.js';
import type { OtlpStitchOptions, OtlpStitchService } from './otlp-stitch-service.js';
import { WatchIntake } from './watch-intake.js';
import { serialLoop, shutdownSteps } from './run-shutdown.js';
import type { StartedParts } from './run-shutdown.js';
import { runShutdown } from './shutdown.js';

const TICK_MS = 1_000;
const COMPACT_EVERY_MS = 5 * 60_000;
// Operations end within the max age (1 h) and activity windows within 30 min: journal entries
// older than both plus a margin can no longer change what is exported.
const MAX_OPERATION_MS = 60 * 60_000;
const WINDOW_MS = 30 * 60_000;
const RETENTION_MARGIN_MS = 10 * 60_000;

/** The object and Event source: informers against the apiserver (DESIGN §2). */
export interface WatchSourceOptions {
  readonly http: KubeHttp;
  /** Watch the default kinds (Deployments … Nodes). Default true. */
  readonly objects?: boolean;
  /** Watch Events (core/v1, and events.k8s.io/v1 when served). Default true. */
  readonly events?: boolean;
  /** More kinds (CRDs included), resolved through discovery. */
  readonly extraKinds?: readonly ResourceSpec[];
  /** Namespaces and labels to watch (`--namespaces`, `--exclude-namespaces`, `--label-selector`). */
  readonly scope?: WatchScope;
  readonly backoffInitialMs?: number;
  readonly backoffMaxMs?: number;
  readonly watchTimeoutSeconds?: number;
  readonly random?: () => number;
}

export interface RunServiceOptions {
  readonly cluster: string;
  readonly dataDir: string;
  /**
   * Where spans go. A function is called once with the data dir's store, for sinks that keep
   * state there (the export spool, the embedded trace store): one LevelDB, one lock.
   */
  readonly sink: SpanSink | ((store: KvStore) => Promise<SpanSink>);
  readonly logger: PipelineLogger;
  readonly webhook?: {
    readonly host?: string;
    readonly port: number;
    readonly path?: string;
    readonly tls?: AuditWebhookTls;
    readonly insecureHttp?: boolean;
    readonly tokenFile?: string;
    readonly maxBodyBytes?: number;
  };
  readonly auditLogPath?: string;
  /** The OTLP receiver and stitch stage for real component spans (DESIGN §4). */
  readonly otlp?: OtlpStitchOptions;
  readonly watch?: WatchSourceOptions;
  readonly nowMs?: () => number;
  /** Clock tick period (ms) that ends windows and over-age operations without records. Default 1 000. */
  readonly tickMs?: number;
  /** How often the journal is compacted. Default 5 min. */
  readonly compactEveryMs?: number;
  /** Synth's max operation age (default 1 h); the journal retention follows from it. */
  readonly maxOperationMs?: number;
  /** Synth's adoption window (ADR 0004, `--adoption-window`); its default when unset. */
  readonly adoptionWindowMs?: number;
}

/** Health of a running service, for /healthz, /readyz and metrics. */
export interface RunStatus {
  readonly informers: readonly InformerStatus[];
  /** Every informer has its first list (or resumed from a checkpoint). */
  readonly synced: boolean;
  readonly journal: IntakeLogStats;
  readonly restoredEntries: number;
  /**
   * Input refused at the boundary, by source (`watch`, `audit-webhook`, `audit-file`) and reason
   * (input-boundary's reasonKey), for `kubestitch_input_rejected_total`.
   */
  readonly rejected: Readonly<Record<string, Readonly<Record<string, number>>>>;
  /** The audit log follower's counters, when `--audit-log-path` is followed. */
  readonly auditFile: AuditFileFollowerStats | undefined;
}

/** Where each source's rejections by reason are read, for RunStatus.rejected. */
type RejectionReaders = Map<string, () => Readonly<Record<string, number>>>;

/** A started `kubestitch run`: its addresses and an idempotent stop. */
export interface RunningService {
  readonly webhookAddress: AddressInfo | undefined;
  readonly otlpGrpcPort: number | undefined;
  readonly otlpHttpPort: number | undefined;
  /** The OTLP receiver's stitch stage, when the otlp source runs. */
  readonly otlp: OtlpStitchService | undefined;
  readonly pipeline: JournalPipeline;
  readonly synth: Synthesizer;
  /** The sink in use (the one `options.sink` built, when it was a function). */
  readonly sink: SpanSink;
  /** The data dir's store (for status readers; closed by `stop()`). */
  readonly store: KvStore;
  status(): RunStatus;
  /** Appends a clock tick to the journal and processes it (the ticker does this every tickMs). */
  tick(): Promise<void>;
  /** Compacts the journal now (the service does this every compactEveryMs). */
  compact(): Promise<void>;
  /**
   * Graceful stop (SIGTERM): stops intake (informers, webhook, follower, ticks), processes what is
   * journaled, flushes the sink and closes the store. Open operations stay in the journal and
   * continue after the next start. Idempotent; never rejects.
   */
  stop(): Promise<void>;
}

/**
 * Starts `kubestitch run`: LevelDB store → journal ← informers (objects, Events), audit webhook,
 * audit log follower, clock ticks → synth → sink. On start the baseline and retained journal are
 * replayed to rebuild the state of open operations (their spans keep their ids; spans exported
 * before are not exported again), pending entries are processed, and informers resume from their
 * checkpointed resourceVersions (410 → relist and diff). Rejects when the data dir, discovery of
 * extra kinds, or a listener fails (what had started is stopped again, by the same steps as `stop()`).
 */
export async function startRunService(options: RunServiceOptions): Promise<RunningService> {
  const store = await openLevelStore(options.dataDir, { schemaVersion: DATA_DIR_SCHEMA_VERSION });
  const parts: StartedParts = { store };
  const stopAll = (): Promise<unknown> => runShutdown(shutdownSteps(parts), options.logger);
  try {
    const core = await startCore(options, parts);
    const rejections: RejectionReaders = new Map();
    const webhookAddress = await startWebhook(options, core, parts, rejections);
    const follower =
      options.auditLogPath === undefined
        ? undefined
        : await startFollower(options.auditLogPath, core, parts, rejections);
    const watch = options.watch && (await startWatch(options, options.watch, core));
    parts.watch = watch;
    const loops = startLoops(options, core, parts);
    let stopping: Promise<void> | undefined;
    return {
      webhookAddress,
      otlpGrpcPort: core.otlp?.grpcPort,
      otlpHttpPort: core.otlp?.httpPort,
      otlp: core.otlp,
      pipeline: core.pipeline,
      synth: core.synth,
      tick: loops.tick,
      compact: loops.compact,
      status: () => runStatus(core, watch, follower, rejections),
      sink: core.sink,
      store,
      stop: () => (stopping ??= stopAll().then(() => undefined)),
    };
  } catch (err: unknown) {
    await stopAll();
    throw err;
  }
}

/** The stages every run has: the sink, the journal, the OTLP stage, synth and the journal pipeline. */
interface Core {
  readonly store: KvStore;
  readonly sink: SpanSink;
  readonly intake: IntakeLog;
  readonly baselineStore: KvStore;
  readonly otlp: OtlpStitchService | undefined;
  readonly synth: Synthesizer;
  readonly pipeline: JournalPipeline;
  readonly maxOperationMs: number;
  readonly nowMs: () => number;
}

async function startCore(options: RunServiceOptions, parts: StartedParts): Promise<Core> {
  const { store } = parts;
  const nowMs = options.nowMs ?? Date.now;
  const sink = typeof options.sink === 'function' ? await options.sink(store) : options.sink;
  parts.sink = { sink, owned: sink !== options.sink };
  const intake = await IntakeLog.open(store.namespace('journal'), {
    nowMs,
    retainCommitted: true,
    dedupeMaxEntries: 200_000,
  });
  parts.intake = intake;
  // The store: the forward path's spool (--otlp-forward-endpoint) survives a restart like the export's.
  let otlp: OtlpStitchService | undefined;
  if (options.otlp !== undefined) {
    // Loaded only with a receiver: the OTLP stack (gRPC, protobuf, the forward export) is ~8 MB
    // of heap that a service without one held for nothing (#16).
    const { startOtlpStitch } = await import('./otlp-stitch-service.js');
    otlp = await startOtlpStitch(options.otlp, options.cluster, sink, options.logger, store);
  }
  parts.otlp = otlp;
  const maxOperationMs = options.maxOperationMs ?? MAX_OPERATION_MS;
  const synth = new Synthesizer({
    cluster: options.cluster,
    adoptionWindowMs: options.adoptionWindowMs,
    maxOperationMs,
    // An object unchanged for longer than an operation lasts keeps no full version (issue 16).
    diffCacheIdleMs: maxOperationMs,
    windowMs: WINDOW_MS,
    onAnchor: otlp?.onAnchor,
    onAnchorEnd: otlp?.onAnchorEnd,
  });
  const pipeline = new JournalPipeline({ journal: intake, synth, sink, logger: options.logger, nowMs });
  const baselineStore = store.namespace('baseline');
  await restore(options, intake, pipeline, baselineStore);
  parts.pipeline = pipeline;
  return { store, sink, intake, baselineStore, otlp, synth, pipeline, maxOperationMs, nowMs };
}

// The baseline and the retained journal rebuild open operations; pending entries are processed.
async function restore(
  options: RunServiceOptions,
  intake: IntakeLog,
  pipeline: JournalPipeline,
  baselineStore: KvStore,
): Promise<void> {
  const baseline = await loadBaseline(baselineStore);
  if (baseline.skipped > 0) options.logger.warn({ skipped: baseline.skipped }, 'unusable baseline objects skipped');
  await pipeline.restore(baseline.records, Math.max(intake.baseSeq, await baselineBase(baselineStore)));
  if (pipeline.stats.restored > 0 || baseline.records.length > 0) {
    options.logger.info(
      { baselineObjects: baseline.records.length, journalEntries: pipeline.stats.restored },
      'state restored from the journal',
    );
  }
  await pipeline.drain();
}

async function startWatch(options: RunServiceOptions, w: WatchSourceOptions, core: Core): Promise<WatchIntake> {
  return WatchIntake.start({
    http: w.http,
    resources: await watchedResources(w),
    scope: w.scope,
    journal: core.intake,
    checkpoints: core.store.namespace('informers'),
    known: (kind) => core.synth.knownObjects(kind),
    resumeHints: core.pipeline.lastResourceVersions,
    onJournaled: () => void core.pipeline.drain(),
    logger: options.logger,
    nowMs: core.nowMs,
    random: w.random,
    backoffInitialMs: w.backoffInitialMs,
    backoffMaxMs: w.backoffMaxMs,
    watchTimeoutSeconds: w.watchTimeoutSeconds,
  });
}

// Clock ticks end windows and over-age operations without records; compaction bounds the journal.
function startLoops(
  options: RunServiceOptions,
  core: Core,
  parts: StartedParts,
): { tick(): Promise<void>; compact(): Promise<void> } {
  const { intake, pipeline, nowMs } = core;
  const ticker = serialLoop(options.tickMs ?? TICK_MS, async () => {
    try {
      await intake.append([tickEntry(nowMs())]);
    } catch (err: unknown) {
      options.logger.warn({ err }, 'clock tick not journaled; the next one will do');
      return;
    }
    await pipeline.drain();
  });
  parts.ticker = ticker;
  const retentionMs = core.maxOperationMs + WINDOW_MS + RETENTION_MARGIN_MS;
  const compactor = serialLoop(options.compactEveryMs ?? COMPACT_EVERY_MS, async () => {
    try {
      const r = await compactJournal(intake, core.baselineStore, nowMs() - retentionMs);
      if (r.truncatedEntries > 0) options.logger.info({ ...r }, 'journal compacted');
    } catch (err: unknown) {
      options.logger.error({ err }, 'journal compaction failed; retrying later');
    }
  });
  parts.compactor = compactor;
  return { tick: ticker.run, compact: compactor.run };
}

function runStatus(
  core: Core,
  watch: WatchIntake | undefined,
  follower: AuditFileFollower | undefined,
  rejections: RejectionReaders,
): RunStatus {
  const informers = watch?.status() ?? [];
  return {
    informers,
    synced: watch?.synced ?? true,
    journal: core.intake.stats(),
    restoredEntries: core.pipeline.stats.restored,
    rejected: rejectedBySource(informers, rejections),
    auditFile: follower?.stats(),
  };
}

async function startWebhook(
  options: RunServiceOptions,
  core: Core,
  parts: StartedParts,
  rejections: RejectionReaders,
): Promise<AddressInfo | undefined> {
  const w = options.webhook;
  if (w === undefined) return undefined;
  const tokens = w.tokenFile === undefined ? undefined : await readTokens(w.tokenFile);
  const server = new AuditWebhookServer({
    intake: core.intake,
    port: w.port,
    host: w.host,
    path: w.path,
    tls: w.tls,
    insecureHttp: w.insecureHttp,
    bearerTokens: tokens,
    maxBodyBytes: w.maxBodyBytes,
    onAccepted: () => core.pipeline.drain(),
    logger: options.logger,
  });
  const address = await server.listen();
  parts.webhook = { stop: () => server.close() };
  rejections.set('audit-webhook', () => server.stats().rejected);
  return address;
}

async function startFollower(
  path: string,
  core: Core,
  parts: StartedParts,
  rejections: RejectionReaders,
): Promise<AuditFileFollower> {
  const checkpoints = core.store.namespace('audit-file');
  const saved = await checkpoints.get('checkpoint');
  const follower = new AuditFileFollower({
    path,
    checkpoint:
      typeof saved === 'string' ? (JSON.parse(saved) as { inode: number; offset: number; line: number }) : undefined,
    saveCheckpoint: (c) => checkpoints.batch([{ type: 'put', key: 'checkpoint', value: JSON.stringify(c) }]),
    onEvents: async (events) => {
      await core.intake.append(events.map((e) => toIntakeItem(e).entry));
      await core.pipeline.drain();
    },
  });
  follower.start();
  parts.follower = { stop: () => follower.close() };
  rejections.set('audit-file', () => follower.stats().rejected);
  return follower;
}

/** The informers' rejections summed under `watch`, beside the other sources' own. */
function rejectedBySource(
  informers: readonly InformerStatus[],
  readers: RejectionReaders,
): Record<string, Readonly<Record<string, number>>> {
  const watch: Record<string, number> = {};
  for (const i of informers) for (const [k, n] of Object.entries(i.rejected)) watch[k] = (watch[k] ?? 0) + n;
  const out: Record<string, Readonly<Record<string, number>>> = { watch };
  for (const [source, read] of readers) out[source] = read();
  return out;
}

async function readTokens(file: string): Promise<string[]> {
  const tokens = (await readFile(file, 'utf8'))
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  if (tokens.length === 0) throw new Error(`audit webhook token file ${file} holds no token`);
  return tokens;
}

/** The default kinds, the Event API the apiserver serves, and the configured extra kinds. */
async function watchedResources(w: WatchSourceOptions): Promise<WatchedResource[]> {
  const out: WatchedResource[] = [];
  if (w.objects !== false) out.push(...DEFAULT_RESOURCES);
  if (w.events !== false) out.push(...(await eventResources(w.http)));
  if (w.extraKinds !== undefined && w.extraKinds.length > 0) {
    const have = new Set(out.map((r) => `${r.group}/${r.resource}`));
    for (const r of await discoverResources(w.http, w.extraKinds))
      if (!have.has(`${r.group}/${r.resource}`)) out.push(r);
  }
  return out;
}
