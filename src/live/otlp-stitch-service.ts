import { readFile } from 'node:fs/promises';
import type { SpanSink } from '../export/sink.js';
import { OtlpForwarder } from '../sources/otlp/otlp-forwarder.js';
import { OtlpGrpcServer, type OtlpServerStats } from '../sources/otlp/otlp-grpc-server.js';
import { OtlpHttpServer } from '../sources/otlp/otlp-http-server.js';
import { SpanSinkBridge } from '../export/span-sink-bridge.js';
import type { TraceBatchSink } from '../otlp/trace-batch-sink.js';
import { Stitcher } from '../stitch/stitcher.js';
import type { StitchMode } from '../stitch/stitch-types.js';
import type { StitchAnchor } from '../synth/stitch-anchor.js';
import type { SpanLinkData } from '../model/span.js';
import type { OtlpServerTls } from '../sources/otlp/otlp-server-tls.js';
import type { PipelineLogger } from './journal-pipeline.js';

export interface OtlpStitchOptions {
  /** Listen address of both receivers unless grpcHost/httpHost say otherwise. Default 127.0.0.1. */
  readonly host?: string;
  readonly grpcHost?: string;
  readonly httpHost?: string;
  /** OTLP/gRPC receiver port (4317 by convention); undefined: no gRPC receiver. */
  readonly grpcPort?: number;
  /** OTLP/HTTP receiver port (4318 by convention); undefined: no HTTP receiver. */
  readonly httpPort?: number;
  /** Bearer tokens a sender must present (one of); none: no token asked. */
  readonly bearerTokens?: readonly string[];
  /** File with the bearer tokens, one per line (read at start, like the audit webhook's). */
  readonly tokenFile?: string;
  /** Serve both receivers over TLS; with clientCaFile, senders need a certificate it signed. */
  readonly tls?: OtlpServerTls;
  /** Downstream OTLP/gRPC endpoint for the real spans; without it they go to the span sink. */
  readonly forwardUrl?: string;
  readonly mode?: StitchMode;
  readonly holdMs?: number;
}

/** The running receiver + stitch stage. */
export interface OtlpStitchService {
  /** Give to `Synthesizer({ onAnchor })`. */
  readonly onAnchor: (anchor: StitchAnchor) => readonly SpanLinkData[] | undefined;
  /** Give to `Synthesizer({ onAnchorEnd })`. */
  readonly onAnchorEnd: (anchor: StitchAnchor, endMs: number) => void;
  readonly grpcPort: number | undefined;
  readonly httpPort: number | undefined;
  /** The stitch stage and its downstream, for /metrics (one of forwarder/bridge is set). */
  readonly parts: {
    readonly stitcher: Stitcher;
    readonly forwarder: OtlpForwarder | undefined;
    readonly bridge: SpanSinkBridge | undefined;
    /** The receivers that listen (gRPC, HTTP), for their request and span counts. */
    readonly receivers: readonly { stats(): OtlpServerStats }[];
  };
  close(): Promise<void>;
}

/**
 * Starts the OTLP receivers in front of the stitch stage (DESIGN §4): every real span received is
 * forwarded downstream (re-parented under its pseudo-span when matched). Rejects when a port
 * cannot be bound; whatever was started is closed again then.
 */
export async function startOtlpStitch(
  options: OtlpStitchOptions,
  cluster: string,
  spanSink: SpanSink,
  logger: PipelineLogger,
): Promise<OtlpStitchService> {
  // First: nothing is started yet if the file cannot be read.
  const tokens = [...(options.bearerTokens ?? []), ...(await readTokenFile(options.tokenFile))];
  const forwarder =
    options.forwardUrl !== undefined ? new OtlpForwarder({ url: options.forwardUrl, logger }) : undefined;
  const bridge = forwarder === undefined ? new SpanSinkBridge(spanSink, { logger }) : undefined;
  const downstream: TraceBatchSink = forwarder ?? (bridge as SpanSinkBridge);
  const stitcher = new Stitcher({
    sink: downstream,
    cluster,
    logger,
    ...(options.mode !== undefined ? { mode: options.mode } : {}),
    ...(options.holdMs !== undefined ? { holdMs: options.holdMs } : {}),
  });
  const common = {
    intake: stitcher.ingest,
    logger,
    ...(tokens.length > 0 ? { bearerTokens: tokens } : {}),
    ...(options.tls !== undefined ? { tls: options.tls } : {}),
  };
  // Each address as given: the HTTP receiver used to bind where the gRPC one did.
  const hostOf = (own: string | undefined): { host?: string } => {
    const host = own ?? options.host;
    return host === undefined ? {} : { host };
  };
  const grpc =
    options.grpcPort === undefined
      ? undefined
      : new OtlpGrpcServer({ ...common, ...hostOf(options.grpcHost), port: options.grpcPort });
  const http =
    options.httpPort === undefined
      ? undefined
      : new OtlpHttpServer({ ...common, ...hostOf(options.httpHost), port: options.httpPort });
  const close = async (): Promise<void> => {
    await grpc?.close();
    await http?.close();
    await stitcher.shutdown();
    await downstream.shutdown();
  };
  try {
    const grpcPort = grpc === undefined ? undefined : (await grpc.listen()).port;
    const httpPort = http === undefined ? undefined : (await http.listen()).port;
    return {
      onAnchor: (anchor) => stitcher.onAnchor(anchor),
      onAnchorEnd: (anchor, endMs) => stitcher.onAnchorEnd(anchor, endMs),
      grpcPort,
      httpPort,
      parts: { stitcher, forwarder, bridge, receivers: [grpc, http].filter((r) => r !== undefined) },
      close,
    };
  } catch (err: unknown) {
    await close();
    throw err;
  }
}

/** Tokens of a token file, one per line (blank and # lines ignored), as the webhook's; [] without a file. Rejects if unreadable. */
async function readTokenFile(file: string | undefined): Promise<string[]> {
  if (file === undefined) return [];
  const text = await readFile(file, 'utf8');
  const tokens = text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  if (tokens.length === 0) throw new Error(`OTLP token file ${file} holds no token`);
  return tokens;
}
