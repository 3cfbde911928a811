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
import { type OtlpStitchOptions, type OtlpStitchService, startOtlpStitch } from './otlp-stitch-service.js';
import { WatchIntake } from './watch-intake.js';

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
 * extra kinds, or a listener fails (nothing is left running then).
 */
export async function startRunService(options: RunServiceOptions): Promise<RunningService> {
  const nowMs = options.nowMs ?? Date.now;
  const store = await openLevelStore(options.dataDir, { schemaVersion: DATA_DIR_SCHEMA_VERSION });
  const closers: (() => Promise<void>)[] = [() => store.close()];
  const stopAll = async (): Promise<void> => {
    for (const close of closers.reverse()) await close().catch(() => undefined);
  };
  try {
    const sink = typeof options.sink === 'function' ? await options.sink(store) : options.sink;
    // Runs after everything else has stopped and drained, right before the store closes: the
    // export drains within its deadline (the spool keeps the rest for the next start).
    if (sink !== options.sink) {
      closers.push(async () => {
        await sink.flush();
        await sink.shutdown();
      });
    }
    const intake = await IntakeLog.open(store.namespace('journal'), {
      nowMs,
      retainCommitted: true,
      dedupeMaxEntries: 200_000,
    });
    closers.push(() => intake.close());
    const baselineStore = store.namespace('baseline');
    const otlp =
      options.otlp === undefined
        ? undefined
        : await startOtlpStitch(options.otlp, options.cluster, sink, options.logger);
    if (otlp !== undefined) closers.push(() => otlp.close());
    const maxOperationMs = options.maxOperationMs ?? MAX_OPERATION_MS;
    const synth = new Synthesizer({
      cluster: options.cluster,
      ...(options.adoptionWindowMs !== undefined ? { adoptionWindowMs: options.adoptionWindowMs } : {}),
      maxOperationMs,
      windowMs: WINDOW_MS,
      ...(otlp !== undefined ? { onAnchor: otlp.onAnchor, onAnchorEnd: otlp.onAnchorEnd } : {}),
    });
    const pipeline = new JournalPipeline({ journal: intake, synth, sink, logger: options.logger, nowMs });
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
    // Closers run in reverse: after every source has stopped, what they journaled is processed
    // (before the OTLP stage, the journal and the store close).
    closers.push(() => pipeline.drain());
    const drain = (): void => void pipeline.drain();
    const rejections: RejectionReaders = new Map();
    const webhookAddress = await startWebhook(options, intake, pipeline, closers, rejections);
    const follower =
      options.auditLogPath === undefined
        ? undefined
        : await startFollower(options.auditLogPath, store, intake, pipeline, closers, rejections);
    const watch =
      options.watch === undefined
        ? undefined
        : await WatchIntake.start({
            http: options.watch.http,
            resources: await watchedResources(options.watch),
            ...(options.watch.scope !== undefined ? { scope: options.watch.scope } : {}),
            journal: intake,
            checkpoints: store.namespace('informers'),
            known: (kind) => synth.knownObjects(kind),
            resumeHints: pipeline.lastResourceVersions,
            onJournaled: drain,
            logger: options.logger,
            nowMs,
            ...(options.watch.random !== undefined ? { random: options.watch.random } : {}),
            ...(options.watch.backoffInitialMs !== undefined
              ? { backoffInitialMs: options.watch.backoffInitialMs }
              : {}),
            ...(options.watch.backoffMaxMs !== undefined ? { backoffMaxMs: options.watch.backoffMaxMs } : {}),
            ...(options.watch.watchTimeoutSeconds !== undefined
              ? { watchTimeoutSeconds: options.watch.watchTimeoutSeconds }
              : {}),
          });
    if (watch !== undefined) closers.push(() => watch.stop());
    let ticking: Promise<void> = Promise.resolve();
    const tick = (): Promise<void> =>
      (ticking = ticking.then(async () => {
        try {
          await intake.append([tickEntry(nowMs())]);
        } catch (err: unknown) {
          options.logger.warn({ err }, 'clock tick not journaled; the next one will do');
          return;
        }
        await pipeline.drain();
      }));
    const ticker = setInterval(() => void tick(), options.tickMs ?? TICK_MS);
    ticker.unref();
    closers.push(async () => {
      clearInterval(ticker);
      await ticking;
    });
    const retentionMs = maxOperationMs + WINDOW_MS + RETENTION_MARGIN_MS;
    let compacting: Promise<void> = Promise.resolve();
    const compact = (): Promise<void> =>
      (compacting = compacting.then(async () => {
        try {
          const r = await compactJournal(intake, baselineStore, nowMs() - retentionMs);
          if (r.truncatedEntries > 0) options.logger.info({ ...r }, 'journal compacted');
        } catch (err: unknown) {
          options.logger.error({ err }, 'journal compaction failed; retrying later');
        }
      }));
    const compactor = setInterval(() => void compact(), options.compactEveryMs ?? COMPACT_EVERY_MS);
    compactor.unref();
    closers.push(async () => {
      clearInterval(compactor);
      await compacting;
    });
    let stopping: Promise<void> | undefined;
    return {
      webhookAddress,
      otlpGrpcPort: otlp?.grpcPort,
      otlpHttpPort: otlp?.httpPort,
      otlp,
      pipeline,
      synth,
      tick,
      compact,
      status: () => ({
        informers: watch?.status() ?? [],
        synced: watch?.synced ?? true,
        journal: intake.stats(),
        restoredEntries: pipeline.stats.restored,
        rejected: rejectedBySource(watch?.status() ?? [], rejections),
        auditFile: follower?.stats(),
      }),
      sink,
      store,
      stop: () =>
        (stopping ??= (async () => {
          if (sink === options.sink) closers.splice(1, 0, () => sink.flush());
          await stopAll();
        })()),
    };
  } catch (err: unknown) {
    await stopAll();
    throw err;
  }
}

async function startWebhook(
  options: RunServiceOptions,
  intake: IntakeLog,
  pipeline: JournalPipeline,
  closers: (() => Promise<void>)[],
  rejections: RejectionReaders,
): Promise<AddressInfo | undefined> {
  const w = options.webhook;
  if (w === undefined) return undefined;
  const tokens = w.tokenFile === undefined ? undefined : await readTokens(w.tokenFile);
  const server = new AuditWebhookServer({
    intake,
    port: w.port,
    ...(w.host !== undefined ? { host: w.host } : {}),
    ...(w.path !== undefined ? { path: w.path } : {}),
    ...(w.tls !== undefined ? { tls: w.tls } : {}),
    ...(w.insecureHttp === true ? { insecureHttp: true } : {}),
    ...(tokens !== undefined ? { bearerTokens: tokens } : {}),
    ...(w.maxBodyBytes !== undefined ? { maxBodyBytes: w.maxBodyBytes } : {}),
    onAccepted: () => pipeline.drain(),
    logger: options.logger,
  });
  const address = await server.listen();
  rejections.set('audit-webhook', () => server.stats().rejected);
  closers.push(async () => {
    await server.close();
    await pipeline.drain();
  });
  return address;
}

async function startFollower(
  path: string,
  store: KvStore,
  intake: IntakeLog,
  pipeline: JournalPipeline,
  closers: (() => Promise<void>)[],
  rejections: RejectionReaders,
): Promise<AuditFileFollower> {
  const checkpoints = store.namespace('audit-file');
  const saved = await checkpoints.get('checkpoint');
  const follower = new AuditFileFollower({
    path,
    ...(typeof saved === 'string'
      ? { checkpoint: JSON.parse(saved) as { inode: number; offset: number; line: number } }
      : {}),
    saveCheckpoint: (c) => checkpoints.batch([{ type: 'put', key: 'checkpoint', value: JSON.stringify(c) }]),
    onEvents: async (events) => {
      await intake.append(events.map((e) => toIntakeItem(e).entry));
      await pipeline.drain();
    },
  });
  follower.start();
  rejections.set('audit-file', () => follower.stats().rejected);
  return follower;
  closers.push(() => follower.close());
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
