import { outputSink } from './output-sink.js';
import { pino } from 'pino';
import { startRunService } from '../live/run-service.js';
import type { CliIo } from './main.js';

export interface RunCommandOptions {
  readonly cluster: string;
  readonly sources: string;
  readonly dataDir: string;
  readonly out?: string;
  readonly otlpEndpoint?: string;
  readonly webhookAddr?: string;
  readonly webhookPath?: string;
  readonly tlsCert?: string;
  readonly tlsKey?: string;
  readonly clientCa?: string;
  readonly insecureHttp: boolean;
  readonly tokenFile?: string;
  readonly auditLogPath?: string;
  readonly otlpGrpcAddr?: string;
  readonly otlpHttpAddr?: string;
  readonly forwardEndpoint?: string;
  readonly stitchMode?: 'reparent' | 'link';
  /** Resolves when the service should stop (SIGTERM/SIGINT in the CLI). */
  readonly stopSignal: Promise<unknown>;
}

/**
 * `kubestitch run`: the long-running service. This version runs the audit source (webhook and/or
 * audit log file); live watches arrive with the live-mode issue. Resolves to the exit status.
 */
export async function runRunCommand(options: RunCommandOptions, io: CliIo): Promise<number> {
  const sources = options.sources.split(',').map((s) => s.trim());
  const unsupported = sources.filter((s) => s !== 'audit' && s !== 'otlp');
  if (unsupported.length > 0) {
    io.err(
      `kubestitch run: source(s) ${unsupported.join(', ')} not available in this version; use audit and/or otlp\n`,
    );
    return 2;
  }
  const withOtlp = sources.includes('otlp');
  const grpcAddr = withOtlp ? parseAddr(options.otlpGrpcAddr ?? ':4317') : undefined;
  const httpAddr = withOtlp ? parseAddr(options.otlpHttpAddr ?? ':4318') : undefined;
  if (withOtlp && (grpcAddr === undefined || httpAddr === undefined)) {
    io.err('kubestitch run: --otlp-grpc-addr / --otlp-http-addr must be [host]:port\n');
    return 2;
  }
  if (sources.includes('audit') && options.webhookAddr === undefined && options.auditLogPath === undefined) {
    io.err('kubestitch run: --sources audit needs --audit-webhook-addr and/or --audit-log-path\n');
    return 2;
  }
  if (
    options.webhookAddr !== undefined &&
    !options.insecureHttp &&
    (options.tlsCert === undefined || options.tlsKey === undefined)
  ) {
    io.err(
      'kubestitch run: the audit webhook serves HTTPS: give --audit-tls-cert and --audit-tls-key (or --audit-webhook-insecure-http)\n',
    );
    return 2;
  }
  const sink = outputSink(options);
  if (sink === undefined) {
    io.err('kubestitch run: give --out FILE and/or --otlp-endpoint URL (the embedded store arrives with the viewer)\n');
    return 2;
  }
  const logger = pino({ name: 'kubestitch', base: { cluster: options.cluster } }, pino.destination(2));
  let webhook;
  if (options.webhookAddr !== undefined) {
    const addr = parseAddr(options.webhookAddr);
    if (addr === undefined) {
      io.err(`kubestitch run: --audit-webhook-addr must be [host]:port, got ${options.webhookAddr}\n`);
      return 2;
    }
    webhook = {
      ...addr,
      ...(options.webhookPath !== undefined ? { path: options.webhookPath } : {}),
      ...(options.insecureHttp ? { insecureHttp: true } : {}),
      ...(options.tlsCert !== undefined && options.tlsKey !== undefined
        ? {
            tls: {
              certFile: options.tlsCert,
              keyFile: options.tlsKey,
              ...(options.clientCa !== undefined ? { clientCaFile: options.clientCa } : {}),
            },
          }
        : {}),
      ...(options.tokenFile !== undefined ? { tokenFile: options.tokenFile } : {}),
    };
  }
  let service;
  try {
    service = await startRunService({
      cluster: options.cluster,
      dataDir: options.dataDir,
      sink,
      logger: logger.child({ mod: 'run' }),
      ...(webhook !== undefined ? { webhook } : {}),
      ...(options.auditLogPath !== undefined ? { auditLogPath: options.auditLogPath } : {}),
      ...(withOtlp && grpcAddr !== undefined && httpAddr !== undefined
        ? {
            otlp: {
              grpcPort: grpcAddr.port,
              httpPort: httpAddr.port,
              ...(grpcAddr.host !== undefined ? { host: grpcAddr.host } : {}),
              ...(options.stitchMode !== undefined ? { mode: options.stitchMode } : {}),
              // Real spans go where the synthesized ones go unless told otherwise.
              ...((options.forwardEndpoint ?? options.otlpEndpoint) !== undefined
                ? { forwardUrl: options.forwardEndpoint ?? options.otlpEndpoint }
                : {}),
            },
          }
        : {}),
    });
  } catch (err: unknown) {
    io.err(`kubestitch run: cannot start: ${err instanceof Error ? err.message : String(err)}\n`);
    await sink.shutdown();
    return 1;
  }
  const a = service.webhookAddress;
  logger.info(
    {
      webhook: a === undefined ? undefined : `${a.address}:${a.port}`,
      auditLog: options.auditLogPath,
      otlpGrpcPort: service.otlpGrpcPort,
      otlpHttpPort: service.otlpHttpPort,
    },
    'kubestitch running',
  );
  await options.stopSignal;
  logger.info({}, 'stopping: draining intake and export');
  await service.stop();
  await sink.shutdown();
  logger.info({ ...service.pipeline.stats }, 'stopped');
  return 0;
}

function parseAddr(addr: string): { host?: string; port: number } | undefined {
  const i = addr.lastIndexOf(':');
  if (i < 0) return undefined;
  const port = Number(addr.slice(i + 1));
  if (!Number.isInteger(port) || port < 0 || port > 65535) return undefined;
  const host = addr.slice(0, i).replace(/^\[(.*)\]$/, '$1');
  return host === '' ? { port } : { host, port };
}
