import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import type { KubeConfig } from '@kubernetes/client-node';
import { pino } from 'pino';
import { describeOtlpExport } from '../export/otlp-export-config.js';
import { LeaderElector } from '../live/leader-election.js';
import { KubeLeaseClient } from '../live/lease-client.js';
import { LiveOpenOperations } from '../live/open-operations-source.js';
import { startRunService } from '../live/run-service.js';
import { redactAnnotations } from '../sources/redact.js';
import { startAdminServer } from '../metrics/admin-server.js';
import type { AdminServer } from '../metrics/admin-server.js';
import { KubestitchMetrics } from '../metrics/kubestitch-metrics.js';
import { healthReport, readyReport, registerServiceMetrics } from './run-observability.js';
import type { RunState } from './run-observability.js';
import type { RunServiceOptions, RunningService } from '../live/run-service.js';
import { KubeHttp, loadKubeConfig } from '../sources/watch/kube-http.js';
import { startUiServer } from '../ui/ui-server.js';
import type { UiServer } from '../ui/ui-server.js';
import type { CliIo } from './main.js';
import type { ParsedArgs } from './args.js';
import { checkHttpUrl, describeFsError } from './args.js';
import { usageErrorText } from './usage.js';
import { Outputs } from './run-outputs.js';
import { RUN_OPTIONS, resolveRunSettings, withExportTls } from './run-config.js';
import type { ListenAddr, RawValues, RunSettings } from './run-config.js';

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
  --otlp-endpoint URL       export over OTLP (spooled under --data-dir while it is down); default
                            $OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, else $OTEL_EXPORTER_OTLP_ENDPOINT
  --otlp-protocol P         grpc (default), http/protobuf or http/json; HTTP appends /v1/traces
                            to a base URL
  --otlp-header KEY=VALUE   sent with every export (repeatable), e.g. an API key; values never logged
  --otlp-compression C      gzip (default) or none
  --otlp-timeout D          one export request's deadline: 10s (default), 500ms, or milliseconds
  --otlp-certificate FILE   CA (PEM) verifying an https:// backend instead of the system's
  --otlp-client-certificate FILE, --otlp-client-key FILE   client certificate and key (mTLS)
  --otlp-insecure           a gRPC endpoint without a scheme (host:port) is plaintext, not TLS
                            (a flag wins over OTEL_EXPORTER_OTLP_TRACES_<X>, then OTEL_EXPORTER_OTLP_<X>)
  --spool-max-bytes N       export spool bound (default 1 GiB; beyond it the oldest are dropped)
  --out FILE                append OTLP/JSON lines
  --ui [HOST]:PORT          serve the viewer + Jaeger-compatible API from the embedded store
                            (the default output, on 127.0.0.1:16686, without --out/--otlp-endpoint)
  --store-retention-hours N, --store-max-bytes N   embedded store retention (72 h, 2 GiB)
  --admin-addr [HOST]:PORT  /metrics, /healthz, /readyz
  --metrics-namespace-allow LIST, --metrics-owner-allow LIST   globs of the namespaces (default
                            all) and owners (namespace/name; default none) kept as metric labels,
                            the rest counted as "other"
Audit:
  --audit-webhook-addr [HOST]:PORT, --audit-webhook-path PATH (default /audit)
  --audit-tls-cert FILE, --audit-tls-key FILE, --audit-client-ca FILE (mTLS)
  --audit-webhook-token-file FILE, --audit-webhook-insecure-http, --audit-log-path FILE
Real spans:
  --otlp-grpc-addr [HOST]:PORT (default 127.0.0.1:4317), --otlp-http-addr [HOST]:PORT
                            (default 127.0.0.1:4318); ":PORT" listens on all interfaces
  --otlp-token-file FILE    bearer tokens the receivers ask for, one per line
  --otlp-tls-cert FILE, --otlp-tls-key FILE, --otlp-client-ca FILE (mTLS: a certificate it signed,
                            or a token when --otlp-token-file is given too)
  --otlp-forward-endpoint URL   OTLP/gRPC receiver real spans are forwarded to after stitching
                            (default: the gRPC export when it has no headers, else through the export)
  --stitch reparent|link
  --adoption-window D       how long an operation waits for an owner that may still arrive, and a
                            finished span before it leaves (ADR 0004/0005): 15s (default); with
                            1 s webhook batches 5s is enough
  --redact-annotations LIST   more annotations to drop besides the defaults (last-applied and
                            credential-like names): names or /regex/flags, comma-separated
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
  const values: RawValues = {};
  for (const name of Object.keys(RUN_OPTIONS)) {
    const v = args.values[name];
    if (v !== undefined) values[name] = typeof v === 'object' ? [...v] : v;
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
  const settings = withExportTls(resolveRunSettings(values, configText, config, process.env));
  if (typeof settings === 'string') {
    io.err(usageErrorText('run', settings));
    return 2;
  }
  // Before any input is read, on every path (flag or config file alike).
  redactAnnotations(settings.redactAnnotations);
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
      // Header names only: their values are API keys.
      export: settings.otlpExport === undefined ? undefined : describeOtlpExport(settings.otlpExport),
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
    ...opt('adoptionWindowMs', s.adoptionWindowMs),
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
            // Real spans go where the synthesized ones go (the export, spooled, with its protocol,
            // headers and TLS) unless told otherwise; the forward path is spooled too.
            ...opt('forwardUrl', s.otlpForwardEndpoint),
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

function addrText(a: ListenAddr): string {
  return `${a.host === undefined ? '' : a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}`;
}
