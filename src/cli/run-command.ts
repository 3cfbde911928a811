import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { pino } from 'pino';
import { describeOtlpExport } from '../export/otlp-export-config.js';
import { LeaderElector } from '../live/leader-election.js';
import { KubeLeaseClient } from '../live/lease-client.js';
import { LiveOpenOperations } from '../live/open-operations-source.js';
import { startRunService } from '../live/run-service.js';
import { redactAnnotations } from '../sources/redact.js';
import { startAdminServer } from '../metrics/admin-server.js';
import { KubestitchMetrics } from '../metrics/kubestitch-metrics.js';
import { healthReport, readyReport, registerServiceMetrics } from './run-observability.js';
import type { RunState } from './run-observability.js';
import type { RunServiceOptions, RunningService } from '../live/run-service.js';
import { KubeHttp, type KubeCredentials, loadKubeConfig } from '../sources/watch/kube-http.js';
import { startUiServer } from '../ui/ui-server.js';
import type { UiServer } from '../ui/ui-server.js';
import type { CliIo } from './main.js';
import type { ParsedArgs } from './args.js';
import { UsageError, checkHttpUrl, describeFsError } from './args.js';
import { usageErrorText } from './usage.js';
import { runShutdown } from '../live/shutdown.js';
import type { ShutdownStep } from '../live/shutdown.js';
import type { TraceStore } from '../../storage/index.js';
import { Outputs } from './run-outputs.js';
import { RUN_OPTIONS, resolveRunSettings, withExportTls } from './run-config.js';
import type { ListenAddr, RawValues, RunSettings } from './run-config.js';

export { RUN_USAGE } from './run-usage.js';

/**
 * `kubestitch run`. Resolves to the exit status (0 after a clean stop, 1 when it cannot start,
 * 2 for usage errors); never rejects.
 */
export async function runRunCommand(args: ParsedArgs, io: CliIo, stopSignal: Promise<unknown>): Promise<number> {
  const settings = await loadSettings(args, io);
  if (typeof settings === 'number') return settings;
  // Before any input is read, on every path (flag or config file alike).
  redactAnnotations(settings.redactAnnotations);
  const kube = loadKube(settings, io);
  if (typeof kube === 'number') return kube;
  const logger = pino({ name: 'kubestitch', base: { cluster: settings.cluster } }, pino.destination(2));
  const metrics = new KubestitchMetrics({
    cardinality: {
      namespaceAllow: nonEmpty(settings.metricsNamespaceAllow),
      ownerAllow: nonEmpty(settings.metricsOwnerAllow),
    },
  });
  const run: Run = { settings, ...kube, metrics, logger, io, stopSignal, state: newState(), stops: [] };
  // Node would exit with nothing left to wait for (audit-log-only mode with an idle file): the
  // service runs until a signal, so keep the event loop alive until then.
  const keepAlive = setInterval(() => undefined, 1 << 30);
  try {
    if (!(await startAdmin(run))) return 1;
    return await runUntilStopped(run);
  } finally {
    run.state.phase = 'stopping';
    await runShutdown(run.stops.reverse(), logger);
    if (run.state.service !== undefined) logger.info({ ...run.state.service.pipeline.stats }, 'stopped');
    clearInterval(keepAlive);
  }
}

/** One `run`: its settings, what it started, and (in `stops`) how each started part is stopped. */
interface Run {
  readonly settings: RunSettings;
  readonly http: KubeHttp | undefined;
  readonly kubeConfig: KubeCredentials | undefined;
  readonly metrics: KubestitchMetrics;
  readonly logger: pino.Logger;
  readonly io: CliIo;
  readonly stopSignal: Promise<unknown>;
  readonly state: RunState;
  /**
   * The stop, as named steps, in start order: run in reverse, so the admin server (started
   * first) closes last and the leader lease is released only once the journal and spool are closed.
   */
  readonly stops: ShutdownStep[];
}

function newState(): RunState {
  return { phase: 'starting', service: undefined, leader: undefined, leaderError: undefined };
}

function nonEmpty(list: readonly string[]): readonly string[] | undefined {
  return list.length > 0 ? list : undefined;
}

/** The flags over the config file, checked (TLS files read, URLs checked); an exit status on failure. */
async function loadSettings(args: ParsedArgs, io: CliIo): Promise<RunSettings | number> {
  // Only run's own options reach the settings (main has already refused any other flag).
  const values: RawValues = {};
  for (const name of Object.keys(RUN_OPTIONS)) {
    const v = args.values[name];
    if (v !== undefined) values[name] = typeof v === 'object' ? [...v] : v;
  }
  const config = typeof values['config'] === 'string' ? values['config'] : undefined;
  let configText: string | undefined;
  try {
    configText = config === undefined ? undefined : await readFile(config, 'utf8');
  } catch (err: unknown) {
    io.err(`kubestitch run: cannot read --config ${config ?? ''}: ${describeFsError(err)}\n`);
    return 2;
  }
  const settings = withExportTls(resolveRunSettings(values, configText, config, process.env));
  try {
    if (typeof settings === 'string') throw new UsageError(settings);
    if (settings.otlpEndpoint !== undefined) checkHttpUrl('--otlp-endpoint', settings.otlpEndpoint);
    if (settings.otlpForwardEndpoint !== undefined)
      checkHttpUrl('--otlp-forward-endpoint', settings.otlpForwardEndpoint);
    return settings;
  } catch (err: unknown) {
    io.err(usageErrorText('run', err instanceof Error ? err.message : String(err)));
    return 2;
  }
}

/**
 * One kubeconfig (and context) for the informers and the leader lease: both must talk to the
 * same cluster, and a bad one is a usage error (exit 2) before anything starts.
 */
function loadKube(
  settings: RunSettings,
  io: CliIo,
): { http: KubeHttp | undefined; kubeConfig: KubeCredentials | undefined } | number {
  const watching = settings.sources.has('watch') || settings.sources.has('events');
  if (!watching && settings.leaderElection === undefined) return { http: undefined, kubeConfig: undefined };
  try {
    const kubeConfig = loadKubeConfig({ kubeconfig: settings.kubeconfig, context: settings.context });
    return { http: watching ? new KubeHttp(kubeConfig) : undefined, kubeConfig };
  } catch (err: unknown) {
    io.err(`kubestitch run: cannot load the kubeconfig: ${err instanceof Error ? err.message : String(err)}\n`);
    return 2;
  }
}

async function startAdmin(run: Run): Promise<boolean> {
  const { adminAddr } = run.settings;
  if (adminAddr === undefined) return true;
  try {
    const admin = await startAdminServer({
      addr: addrText(adminAddr),
      metrics: run.metrics,
      health: () => healthReport(run.state),
      ready: () => readyReport(run.state),
      logger: run.logger,
    });
    run.stops.push({ name: 'close admin server', run: () => admin.close() });
    return true;
  } catch (err: unknown) {
    run.io.err(`kubestitch run: cannot serve --admin-addr: ${(err as Error).message}\n`);
    return false;
  }
}

// Leader election (when on) gates everything but the admin server: a standby only waits.
async function runUntilStopped(run: Run): Promise<number> {
  const leading = await leadership(run);
  if (leading === 'stopped') return 0;
  const started = await startService(run);
  if (started === undefined) return 1;
  const { service, outputs } = started;
  const ui = await startViewer(run, service, outputs.traceStore);
  if (ui === 'failed') return 1;
  logRunning(run, service, ui);
  if (ui !== undefined) run.io.out(`kubestitch: viewer at ${ui.url}\n`);
  const why = await Promise.race([run.stopSignal.then(() => 'stop' as const), leading.lost]);
  if (why === 'lost') run.logger.error({}, 'lost the leader lease: stopping so a standby takes over');
  else run.logger.info({}, 'stopping: intake stops, journaled work is processed, export drains');
  // Lost leadership is a failure: the container restarts and comes back as a standby.
  return why === 'lost' ? 1 : 0;
}

/** Waits to lead (leader election on) or the stop signal; resolves 'stopped' on the signal. */
async function leadership(run: Run): Promise<{ lost: Promise<'lost'> } | 'stopped'> {
  const le = run.settings.leaderElection;
  if (le === undefined || run.kubeConfig === undefined) return { lost: new Promise(() => undefined) };
  const identity = le.identity ?? process.env['POD_NAME'] ?? hostname();
  let leading: () => void = () => undefined;
  let lostLease: () => void = () => undefined;
  const started = new Promise<'leading'>((resolve) => (leading = () => resolve('leading')));
  const lost = new Promise<'lost'>((resolve) => (lostLease = () => resolve('lost')));
  const elector = new LeaderElector({
    client: new KubeLeaseClient(run.kubeConfig),
    namespace: le.namespace,
    name: le.leaseName,
    identity,
    logger: run.logger.child({ mod: 'leader-election' }),
    onStartedLeading: () => leading(),
    onStoppedLeading: () => lostLease(),
    onNewLeader: (who) => (run.state.leader = who),
  });
  // Released last: the next leader starts only once this one's journal and spool are closed.
  run.stops.push({ name: 'release leader lease', run: () => elector.release() });
  run.state.phase = 'standby';
  const watchError = setInterval(() => (run.state.leaderError = elector.lastError), 1_000);
  elector.start();
  run.logger.info({ identity, lease: `${le.namespace}/${le.leaseName}` }, 'waiting for leadership');
  const first = await Promise.race([started, run.stopSignal.then(() => 'stop' as const)]);
  clearInterval(watchError);
  if (first === 'stop') return 'stopped';
  run.logger.info({ identity }, 'leading: starting');
  return { lost };
}

async function startService(run: Run): Promise<{ service: RunningService; outputs: Outputs } | undefined> {
  const outputs = new Outputs(run.settings, run.logger, run.metrics);
  // Closes the outputs if the service did not start (it shuts them down on stop otherwise).
  run.stops.push({ name: 'close outputs', run: () => outputs.close() });
  let service: RunningService;
  try {
    service = await startRunService(serviceOptions(run.settings, run.http, outputs, run.logger));
  } catch (err: unknown) {
    run.io.err(`kubestitch run: cannot start: ${err instanceof Error ? err.message : String(err)}\n`);
    return undefined;
  }
  run.state.service = service;
  run.state.phase = 'running';
  const unregister = registerServiceMetrics(run.metrics, service, outputs.spooling);
  run.stops.push({ name: 'unregister service metrics', run: () => Promise.resolve(unregister()) });
  run.stops.push({ name: 'stop service', run: () => service.stop() });
  return { service, outputs };
}

async function startViewer(
  run: Run,
  service: RunningService,
  store: TraceStore | undefined,
): Promise<UiServer | undefined | 'failed'> {
  if (run.settings.ui === undefined || store === undefined) return undefined;
  try {
    const ui = await startUiServer({
      store,
      addr: addrText(run.settings.ui),
      logger: run.logger,
      openOperations: new LiveOpenOperations(service.synth),
    });
    run.stops.push({ name: 'close viewer', run: () => ui.close() });
    return ui;
  } catch (err: unknown) {
    run.io.err(`kubestitch run: cannot serve the viewer: ${(err as Error).message}\n`);
    return 'failed';
  }
}

function logRunning(run: Run, service: RunningService, ui: UiServer | undefined): void {
  const a = service.webhookAddress;
  const s = run.settings;
  run.logger.info(
    {
      apiserver: run.http?.server,
      webhook: a === undefined ? undefined : `${a.address}:${a.port}`,
      auditLog: s.auditLogPath,
      otlpGrpcPort: service.otlpGrpcPort,
      otlpHttpPort: service.otlpHttpPort,
      // Header names only: their values are API keys.
      export: s.otlpExport === undefined ? undefined : describeOtlpExport(s.otlpExport),
      viewer: ui?.url,
    },
    'kubestitch running',
  );
}

function serviceOptions(
  s: RunSettings,
  http: KubeHttp | undefined,
  outputs: Outputs,
  logger: pino.Logger,
): RunServiceOptions {
  return {
    cluster: s.cluster,
    dataDir: s.dataDir,
    adoptionWindowMs: s.adoptionWindowMs,
    sink: (store) => outputs.open(store),
    logger: logger.child({ mod: 'run' }),
    webhook: webhookOptions(s.webhook),
    auditLogPath: s.sources.has('audit') ? s.auditLogPath : undefined,
    otlp: s.sources.has('otlp') ? otlpOptions(s) : undefined,
    watch:
      http === undefined
        ? undefined
        : {
            http,
            objects: s.sources.has('watch'),
            events: s.sources.has('events'),
            extraKinds: s.sources.has('watch') ? s.watchKinds : [],
            scope: s.watchScope,
          },
  };
}

function webhookOptions(w: RunSettings['webhook']): RunServiceOptions['webhook'] {
  if (w === undefined) return undefined;
  return {
    port: w.addr.port,
    host: w.addr.host,
    path: w.path,
    insecureHttp: w.insecureHttp || undefined,
    tls: tlsFiles(w.tlsCert, w.tlsKey, w.clientCa),
    tokenFile: w.tokenFile,
  };
}

function otlpOptions(s: RunSettings): RunServiceOptions['otlp'] {
  return {
    // Each receiver on its own address (the HTTP one used to bind where gRPC did).
    grpcPort: s.otlpGrpcAddr?.port,
    httpPort: s.otlpHttpAddr?.port,
    grpcHost: s.otlpGrpcAddr?.host,
    httpHost: s.otlpHttpAddr?.host,
    tokenFile: s.otlpAuth?.tokenFile,
    tls: tlsFiles(s.otlpAuth?.tlsCert, s.otlpAuth?.tlsKey, s.otlpAuth?.clientCa),
    mode: s.stitchMode,
    // Real spans go where the synthesized ones go (the export, spooled, with its protocol,
    // headers and TLS) unless told otherwise; the forward path is spooled too.
    forwardUrl: s.otlpForwardEndpoint,
  };
}

function tlsFiles(
  certFile: string | undefined,
  keyFile: string | undefined,
  clientCaFile: string | undefined,
): { certFile: string; keyFile: string; clientCaFile: string | undefined } | undefined {
  return certFile === undefined || keyFile === undefined ? undefined : { certFile, keyFile, clientCaFile };
}

function addrText(a: ListenAddr): string {
  return `${a.host === undefined ? '' : a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}`;
}
