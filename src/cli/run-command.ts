import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import type { KubeConfig } from '@kubernetes/client-node';
import { pino } from 'pino';
import { ExportSpool, TRACE_STORE_NAMESPACE, TraceStore } from '../../storage/index.js';
import type { KvStore } from '../../storage/index.js';
import { ExportedOnceSink } from '../export/exported-once-sink.js';
import { FanOutSink } from '../export/fan-out-sink.js';
import { OtlpGrpcSink } from '../export/otlp-grpc-sink.js';
import { OtlpJsonFileSink } from '../export/otlp-json-file-sink.js';
import type { SpanSink } from '../export/sink.js';
import { SpoolingSink } from '../export/spooling-sink.js';
import { TraceStoreSink } from '../export/trace-store-sink.js';
import { KubeLeaseClient, LeaderElector } from '../live/leader-election.js';
import { LiveOpenOperations } from '../live/open-operations-source.js';
import { startRunService } from '../live/run-service.js';
import { startAdminServer } from '../metrics/admin-server.js';
import type { AdminServer } from '../metrics/admin-server.js';
import { KubestitchMetrics } from '../metrics/kubestitch-metrics.js';
import { MetricsSink } from '../metrics/metrics-sink.js';
import { healthReport, readyReport, registerServiceMetrics } from './run-observability.js';
import type { RunState } from './run-observability.js';
import type { RunServiceOptions, RunningService } from '../live/run-service.js';
import { KubeHttp, loadKubeConfig } from '../sources/watch/kube-http.js';
import { startUiServer } from '../ui/ui-server.js';
import type { UiServer } from '../ui/ui-server.js';
import { packageVersion } from '../version.js';
import type { CliIo } from './main.js';
import type { ParsedArgs } from './args.js';
import { checkHttpUrl, describeFsError } from './args.js';
import { usageErrorText } from './usage.js';
import { RUN_OPTIONS, resolveRunSettings } from './run-config.js';
import type { ListenAddr, RunOptionName, RunSettings } from './run-config.js';

export const RUN_USAGE = `Usage: kubestitch run [--config FILE] [options]

The long-running service: watches the cluster (objects and Events), takes audit events (webhook
and/or audit log file) and real component spans (OTLP), and exports the traces — durably: every
input is journaled under --data-dir first, so a restart continues open operations.

Sources and cluster:
  --sources LIST            watch,events,audit,otlp (default: watch,events, plus audit/otlp when
                            their options are given)
  --kubeconfig FILE         default: in-cluster service account, else $KUBECONFIG / ~/.kube/config
  --context NAME            kubeconfig context
  --watch-kinds LIST        more kinds: resource.version[.group][:metadata], e.g. services.v1,
                            ingresses.v1.networking.k8s.io, certificates.v1.cert-manager.io:metadata
  --namespaces LIST         watch only these namespaces (Nodes stay cluster-wide)
  --exclude-namespaces LIST never watch these namespaces
  --label-selector SEL      label selector for the watched workloads (not Nodes or Events),
                            e.g. app.kubernetes.io/part-of=shop
  --cluster NAME            k8s.cluster.name of every span (default "default")
  --data-dir DIR            journal, checkpoints, spool, embedded store (default ./.kubestitch-data)
Outputs:
  --otlp-endpoint URL       export over OTLP gRPC (spooled under --data-dir while it is down)
  --spool-max-bytes N       export spool bound (default 1 GiB; beyond it the oldest are dropped)
  --out FILE                append OTLP/JSON lines
  --ui [HOST]:PORT          serve the viewer + Jaeger-compatible API from the embedded store
                            (the default output, on 127.0.0.1:16686, without --out/--otlp-endpoint)
  --store-retention-hours N, --store-max-bytes N   embedded store retention (72 h, 2 GiB)
  --admin-addr [HOST]:PORT  /metrics, /healthz, /readyz
Audit:
  --audit-webhook-addr [HOST]:PORT, --audit-webhook-path PATH (default /audit)
  --audit-tls-cert FILE, --audit-tls-key FILE, --audit-client-ca FILE (mTLS)
  --audit-webhook-token-file FILE, --audit-webhook-insecure-http, --audit-log-path FILE
Real spans:
  --otlp-grpc-addr [HOST]:PORT (default 127.0.0.1:4317), --otlp-http-addr [HOST]:PORT
                            (default 127.0.0.1:4318); ":PORT" listens on all interfaces
  --otlp-token-file FILE    bearer tokens the receivers ask for, one per line
  --otlp-tls-cert FILE, --otlp-tls-key FILE, --otlp-client-ca FILE (mTLS: client certificate required)
  --otlp-forward-endpoint URL   where real spans go after stitching (default: --otlp-endpoint)
  --stitch reparent|link
High availability:
  --leader-elect, --leader-election-namespace NS, --leader-election-lease-name NAME,
  --leader-election-identity ID   (default: $POD_NAME, else the host name)
  --shutdown-deadline-seconds N   SIGTERM: how long to drain the export (default 20)
  -h, --help                show this help

Exit status: 0 success (stopped by SIGTERM/Ctrl-C), 1 runtime failure (cannot start, lost the
leader Lease), 2 usage error (a bad flag, config file or kubeconfig).
`;

/**
 * `kubestitch run`. Resolves to the exit status (0 after a clean stop, 1 when it cannot start,
 * 2 for usage errors); never rejects.
 */
export async function runRunCommand(args: ParsedArgs, io: CliIo, stopSignal: Promise<unknown>): Promise<number> {
  // Only run's own options reach the settings (main has already refused any other flag).
  const values: Partial<Record<RunOptionName, string | boolean>> = {};
  for (const name of Object.keys(RUN_OPTIONS) as RunOptionName[]) {
    const v = args.values[name];
    if (v !== undefined) values[name] = v;
  }
  let configText: string | undefined;
  const config = typeof values.config === 'string' ? values.config : undefined;
  if (config !== undefined) {
    try {
      configText = await readFile(config, 'utf8');
    } catch (err: unknown) {
      io.err(`kubestitch run: cannot read --config ${config}: ${describeFsError(err)}\n`);
      return 2;
    }
  }
  const settings = resolveRunSettings(values, configText, config);
  if (typeof settings === 'string') {
    io.err(usageErrorText('run', settings));
    return 2;
  }
  try {
    if (settings.otlpEndpoint !== undefined) checkHttpUrl('--otlp-endpoint', settings.otlpEndpoint);
    if (settings.otlpForwardEndpoint !== undefined) {
      checkHttpUrl('--otlp-forward-endpoint', settings.otlpForwardEndpoint);
    }
  } catch (err: unknown) {
    io.err(usageErrorText('run', err instanceof Error ? err.message : String(err)));
    return 2;
  }
  const logger = pino({ name: 'kubestitch', base: { cluster: settings.cluster } }, pino.destination(2));
  let http: KubeHttp | undefined;
  // One kubeconfig (and context) for the informers and the leader lease: both must talk to the
  // same cluster, and a bad one is a usage error before anything starts.
  let kubeConfig: KubeConfig | undefined;
  const watching = settings.sources.has('watch') || settings.sources.has('events');
  if (watching || settings.leaderElection !== undefined) {
    try {
      kubeConfig = loadKubeConfig({
        ...(settings.kubeconfig !== undefined ? { kubeconfig: settings.kubeconfig } : {}),
        ...(settings.context !== undefined ? { context: settings.context } : {}),
      });
      if (watching) http = new KubeHttp(kubeConfig);
    } catch (err: unknown) {
      io.err(`kubestitch run: cannot load the kubeconfig: ${(err as Error).message}\n`);
      return 2;
    }
  }
  const metrics = new KubestitchMetrics({
    cardinality: {
      ...(settings.metricsNamespaceAllow.length > 0 ? { namespaceAllow: settings.metricsNamespaceAllow } : {}),
      ...(settings.metricsOwnerAllow.length > 0 ? { ownerAllow: settings.metricsOwnerAllow } : {}),
    },
  });
  const state: RunState = { phase: 'starting', service: undefined, leader: undefined, leaderError: undefined };
  // Node would exit with nothing left to wait for (audit-log-only mode with an idle file): the
  // service runs until a signal, so keep the event loop alive until then.
  const keepAlive = setInterval(() => undefined, 1 << 30);
  try {
    let admin: AdminServer | undefined;
    if (settings.adminAddr !== undefined) {
      try {
        admin = await startAdminServer({
          addr: addrText(settings.adminAddr),
          metrics,
          health: () => healthReport(state),
          ready: () => readyReport(state),
          logger,
        });
      } catch (err: unknown) {
        io.err(`kubestitch run: cannot serve --admin-addr: ${(err as Error).message}\n`);
        return 1;
      }
    }
    try {
      return await runUntilStopped(settings, http, kubeConfig, metrics, state, logger, io, stopSignal);
    } finally {
      state.phase = 'stopping';
      await admin?.close();
    }
  } finally {
    clearInterval(keepAlive);
  }
}

// Leader election (when on) gates everything but the admin server: a standby only waits.
async function runUntilStopped(
  settings: RunSettings,
  http: KubeHttp | undefined,
  kubeConfig: KubeConfig | undefined,
  metrics: KubestitchMetrics,
  state: RunState,
  logger: pino.Logger,
  io: CliIo,
  stopSignal: Promise<unknown>,
): Promise<number> {
  let elector: LeaderElector | undefined;
  let lost: Promise<'lost'> = new Promise(() => undefined);
  if (settings.leaderElection !== undefined && kubeConfig !== undefined) {
    const le = settings.leaderElection;
    const identity = le.identity ?? process.env['POD_NAME'] ?? hostname();
    let leading!: () => void;
    const started = new Promise<'leading'>((resolve) => (leading = () => resolve('leading')));
    lost = new Promise((resolve) => {
      elector = new LeaderElector({
        client: new KubeLeaseClient(kubeConfig),
        namespace: le.namespace,
        name: le.leaseName,
        identity,
        logger: logger.child({ mod: 'leader-election' }),
        onStartedLeading: () => leading(),
        onStoppedLeading: () => resolve('lost'),
        onNewLeader: (who) => {
          state.leader = who;
        },
      });
    });
    state.phase = 'standby';
    const watchError = setInterval(() => (state.leaderError = elector?.lastError), 1_000);
    elector?.start();
    logger.info({ identity, lease: `${le.namespace}/${le.leaseName}` }, 'waiting for leadership');
    const first = await Promise.race([started, stopSignal.then(() => 'stop' as const)]);
    clearInterval(watchError);
    if (first === 'stop') {
      await elector?.release();
      return 0;
    }
    logger.info({ identity }, 'leading: starting');
  }
  const outputs = new Outputs(settings, logger, metrics);
  let service: RunningService;
  try {
    service = await startRunService(serviceOptions(settings, http, outputs, logger));
  } catch (err: unknown) {
    io.err(`kubestitch run: cannot start: ${err instanceof Error ? err.message : String(err)}\n`);
    await outputs.close();
    await elector?.release();
    return 1;
  }
  state.service = service;
  state.phase = 'running';
  const unregister = registerServiceMetrics(metrics, service, outputs.spooling);
  let ui: UiServer | undefined;
  try {
    if (settings.ui !== undefined && outputs.traceStore !== undefined) {
      ui = await startUiServer({
        store: outputs.traceStore,
        addr: addrText(settings.ui),
        logger,
        openOperations: new LiveOpenOperations(service.synth),
      });
    }
  } catch (err: unknown) {
    io.err(`kubestitch run: cannot serve the viewer: ${(err as Error).message}\n`);
    state.phase = 'stopping';
    await service.stop();
    await outputs.close();
    unregister();
    await elector?.release();
    return 1;
  }
  const a = service.webhookAddress;
  logger.info(
    {
      apiserver: http?.server,
      webhook: a === undefined ? undefined : `${a.address}:${a.port}`,
      auditLog: settings.auditLogPath,
      otlpGrpcPort: service.otlpGrpcPort,
      otlpHttpPort: service.otlpHttpPort,
      viewer: ui?.url,
    },
    'kubestitch running',
  );
  if (ui !== undefined) io.out(`kubestitch: viewer at ${ui.url}\n`);
  const why = await Promise.race([stopSignal.then(() => 'stop' as const), lost]);
  if (why === 'lost') logger.error({}, 'lost the leader lease: stopping so a standby takes over');
  else logger.info({}, 'stopping: intake stops, journaled work is processed, export drains');
  state.phase = 'stopping';
  await ui?.close();
  await service.stop();
  await outputs.close();
  unregister();
  // Released last: the next leader starts only once this one's journal and spool are closed.
  await elector?.release();
  logger.info({ ...service.pipeline.stats }, 'stopped');
  // Lost leadership is a failure: the container restarts and comes back as a standby.
  return why === 'lost' ? 1 : 0;
}

function serviceOptions(
  s: RunSettings,
  http: KubeHttp | undefined,
  outputs: Outputs,
  logger: pino.Logger,
): RunServiceOptions {
  const opt = <T>(name: string, v: T | undefined): Record<string, T> => (v === undefined ? {} : { [name]: v });
  const w = s.webhook;
  return {
    cluster: s.cluster,
    dataDir: s.dataDir,
    sink: (store) => outputs.open(store),
    logger: logger.child({ mod: 'run' }),
    ...opt(
      'webhook',
      w === undefined
        ? undefined
        : {
            port: w.addr.port,
            ...opt('host', w.addr.host),
            ...opt('path', w.path),
            ...(w.insecureHttp ? { insecureHttp: true } : {}),
            ...(w.tlsCert !== undefined && w.tlsKey !== undefined
              ? { tls: { certFile: w.tlsCert, keyFile: w.tlsKey, ...opt('clientCaFile', w.clientCa) } }
              : {}),
            ...opt('tokenFile', w.tokenFile),
          },
    ),
    ...opt('auditLogPath', s.sources.has('audit') ? s.auditLogPath : undefined),
    ...opt(
      'otlp',
      s.sources.has('otlp')
        ? {
            ...opt('grpcPort', s.otlpGrpcAddr?.port),
            ...opt('httpPort', s.otlpHttpAddr?.port),
            // Each receiver on its own address (the HTTP one used to bind where gRPC did).
            ...opt('grpcHost', s.otlpGrpcAddr?.host),
            ...opt('httpHost', s.otlpHttpAddr?.host),
            ...opt('tokenFile', s.otlpAuth?.tokenFile),
            ...(s.otlpAuth?.tlsCert !== undefined && s.otlpAuth.tlsKey !== undefined
              ? {
                  tls: {
                    certFile: s.otlpAuth.tlsCert,
                    keyFile: s.otlpAuth.tlsKey,
                    ...opt('clientCaFile', s.otlpAuth.clientCa),
                  },
                }
              : {}),
            ...opt('mode', s.stitchMode),
            // Real spans go where the synthesized ones go unless told otherwise.
            ...opt('forwardUrl', s.otlpForwardEndpoint ?? s.otlpEndpoint),
          }
        : undefined,
    ),
    ...opt(
      'watch',
      http === undefined
        ? undefined
        : {
            http,
            objects: s.sources.has('watch'),
            events: s.sources.has('events'),
            extraKinds: s.sources.has('watch') ? s.watchKinds : [],
            scope: s.watchScope,
          },
    ),
  };
}

/**
 * The sinks `run` exports to, built on the data dir's store: OTLP gRPC behind the LevelDB export
 * spool (each span id sent once across restarts), an appended OTLP/JSON file, the embedded trace
 * store. More than one: a fan-out.
 */
class Outputs {
  traceStore: TraceStore | undefined;
  spooling: SpoolingSink | undefined;
  #sink: SpanSink | undefined;
  readonly #s: RunSettings;
  readonly #logger: pino.Logger;
  readonly #metrics: KubestitchMetrics;

  constructor(settings: RunSettings, logger: pino.Logger, metrics: KubestitchMetrics) {
    this.#s = settings;
    this.#logger = logger;
    this.#metrics = metrics;
  }

  async open(store: KvStore): Promise<SpanSink> {
    const s = this.#s;
    const scopeVersion = packageVersion();
    const sinks: SpanSink[] = [];
    if (s.otlpEndpoint !== undefined) {
      const spool = await ExportSpool.open(store.namespace('spool'), {
        maxBytes: s.spoolMaxBytes,
        logger: this.#logger.child({ mod: 'spool' }),
      });
      const otlp = new OtlpGrpcSink({ url: s.otlpEndpoint, scopeVersion });
      this.spooling = new SpoolingSink({
        spool,
        inner: new ExportedOnceSink(otlp, store.namespace('exported')),
        logger: this.#logger.child({ mod: 'export' }),
        flushDeadlineMs: s.shutdownDeadlineMs,
      });
      sinks.push(this.spooling);
    }
    if (s.out !== undefined) {
      sinks.push(
        new ExportedOnceSink(new OtlpJsonFileSink({ path: s.out, scopeVersion }), store.namespace('exported-file')),
      );
    }
    if (s.embeddedStore) {
      this.traceStore = await TraceStore.open(store.namespace(TRACE_STORE_NAMESPACE), {
        retentionMs: s.storeRetentionHours * 3_600_000,
        maxBytes: s.storeMaxBytes,
        logger: this.#logger.child({ mod: 'store' }),
      });
      sinks.push(new TraceStoreSink(this.traceStore, { closeStore: true }));
    }
    const [only] = sinks;
    const out = sinks.length > 1 ? new FanOutSink(sinks) : only;
    if (out === undefined) throw new Error('no output configured');
    // Metrics see exactly the spans the outputs accepted.
    this.#sink = new MetricsSink(out, this.#metrics, { sinkName: 'export', counters: this.#metrics.self });
    return this.#sink;
  }

  /** Shuts the sinks down if the service did not (it does when it started). Never rejects. */
  async close(): Promise<void> {
    await this.#sink?.shutdown().catch(() => undefined);
  }
}

function addrText(a: ListenAddr): string {
  return `${a.host === undefined ? '' : a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}`;
}
