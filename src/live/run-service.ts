import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { IntakeLog, openLevelStore } from '../../storage/index.js';
import type { KvStore } from '../../storage/index.js';
import type { SpanSink } from '../export/sink.js';
import { toIntakeItem } from '../sources/audit/audit-entry.js';
import { AuditFileFollower } from '../sources/audit/audit-file-follower.js';
import { AuditWebhookServer, type AuditWebhookTls } from '../sources/audit/webhook-server.js';
import { Synthesizer } from '../synth/synthesizer.js';
import { AuditIntakePipeline, type PipelineLogger } from './audit-intake-pipeline.js';
import { type OtlpStitchOptions, startOtlpStitch } from './otlp-stitch-service.js';

// Bump with a migration (or an ADR) whenever a stored layout changes.
const SCHEMA_VERSION = 1;
const TICK_MS = 1_000;

export interface RunServiceOptions {
  readonly cluster: string;
  readonly dataDir: string;
  readonly sink: SpanSink;
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
  readonly nowMs?: () => number;
}

/** A started `kubestitch run`: its addresses and an idempotent stop. */
export interface RunningService {
  readonly webhookAddress: AddressInfo | undefined;
  readonly otlpGrpcPort: number | undefined;
  readonly otlpHttpPort: number | undefined;
  readonly pipeline: AuditIntakePipeline;
  stop(): Promise<void>;
}

/**
 * Starts the live audit path: LevelDB store → durable intake log ← webhook and/or log-file
 * follower → synth → sink, plus a 1 s clock tick. Entries left pending by a previous run (a crash
 * right after answering 200) are processed first. Rejects when the data dir or a listener cannot
 * be opened (nothing is left running then).
 */
export async function startRunService(options: RunServiceOptions): Promise<RunningService> {
  const nowMs = options.nowMs ?? Date.now;
  const store = await openLevelStore(options.dataDir, { schemaVersion: SCHEMA_VERSION });
  const closers: (() => Promise<void>)[] = [() => store.close()];
  const stopAll = async (): Promise<void> => {
    for (const close of closers.reverse()) await close().catch(() => undefined);
  };
  try {
    const intake = await IntakeLog.open(store.namespace('audit-intake'), { nowMs });
    closers.push(() => intake.close());
    const otlp =
      options.otlp === undefined
        ? undefined
        : await startOtlpStitch(options.otlp, options.cluster, options.sink, options.logger);
    if (otlp !== undefined) closers.push(() => otlp.close());
    const synth = new Synthesizer({
      cluster: options.cluster,
      ...(otlp !== undefined ? { onAnchor: otlp.onAnchor, onAnchorEnd: otlp.onAnchorEnd } : {}),
    });
    const pipeline = new AuditIntakePipeline({ intake, synth, sink: options.sink, logger: options.logger });
    await pipeline.drain();
    const webhookAddress = await startWebhook(options, intake, pipeline, closers);
    if (options.auditLogPath !== undefined) await startFollower(options.auditLogPath, store, intake, pipeline, closers);
    const ticker = setInterval(() => void pipeline.tick(nowMs()), TICK_MS);
    ticker.unref();
    closers.push(async () => clearInterval(ticker));
    let stopping: Promise<void> | undefined;
    return {
      webhookAddress,
      otlpGrpcPort: otlp?.grpcPort,
      otlpHttpPort: otlp?.httpPort,
      pipeline,
      stop: () =>
        (stopping ??= (async () => {
          await stopAll();
          await options.sink.flush();
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
  pipeline: AuditIntakePipeline,
  closers: (() => Promise<void>)[],
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
  pipeline: AuditIntakePipeline,
  closers: (() => Promise<void>)[],
): Promise<void> {
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
  closers.push(() => follower.close());
}

async function readTokens(file: string): Promise<string[]> {
  const tokens = (await readFile(file, 'utf8'))
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  if (tokens.length === 0) throw new Error(`audit webhook token file ${file} holds no token`);
  return tokens;
}
