import { readFile } from 'node:fs/promises';
import type { KvStore } from '../../storage/index.js';
import { createOtlpForwardSink } from '../export/otlp-forward-sink.js';
import type { SpanSink } from '../export/sink.js';
import type { SpoolingSink } from '../export/spooling-sink.js';
import { OtlpGrpcServer, type OtlpServerStats } from '../sources/otlp/otlp-grpc-server.js';
import { OtlpHttpServer } from '../sources/otlp/otlp-http-server.js';
import { SpanSinkBridge } from '../export/span-sink-bridge.js';
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
  /**
   * Downstream OTLP/gRPC endpoint for the real spans; without it they go to the span sink. They
   * are exported as the synthesized ones are (OtlpGrpcSink behind an export spool), so as SpanData:
   * see export/otlp-to-span-data.ts for what that conversion keeps.
   */
  readonly forwardUrl?: string;
  /** Bound of the forward path's spool. Default 256 MiB. */
  readonly forwardSpoolMaxBytes?: number;
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
  /** The stitch stage and its downstream, for /metrics. */
  readonly parts: {
    readonly stitcher: Stitcher;
    /** The spooled export to forwardUrl, when given. */
    readonly forwarder: SpoolingSink | undefined;
    /** Real spans into SpanData: to the forwarder, else to the span sink. */
    readonly bridge: SpanSinkBridge;
    /** The receivers that listen (gRPC, HTTP), for their request and span counts. */
    readonly receivers: readonly { stats(): OtlpServerStats }[];
  };
  close(): Promise<void>;
}

/**
 * Starts the OTLP receivers in front of the stitch stage (DESIGN §4): every real span received is
 * forwarded downstream (re-parented under its pseudo-span when matched). With a `store` (the data
 * dir's), the forward spool is durable across restarts; without, it is in memory. Rejects when a
 * port cannot be bound; whatever was started is closed again then.
 */
export async function startOtlpStitch(
  options: OtlpStitchOptions,
  cluster: string,
  spanSink: SpanSink,
  logger: PipelineLogger,
  store?: KvStore,
): Promise<OtlpStitchService> {
  // First: nothing is started yet if the file cannot be read.
  const tokens = [...(options.bearerTokens ?? []), ...(await readTokenFile(options.tokenFile))];
  const forwarder =
    options.forwardUrl === undefined
      ? undefined
      : await createOtlpForwardSink({
          url: options.forwardUrl,
          logger,
          ...(store !== undefined ? { store: store.namespace('spool-forward') } : {}),
          ...(options.forwardSpoolMaxBytes !== undefined ? { maxBytes: options.forwardSpoolMaxBytes } : {}),
        });
  const bridge = new SpanSinkBridge(forwarder ?? spanSink, { logger });
  const stitcher = new Stitcher({
    sink: bridge,
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
    await bridge.shutdown();
    // The bridge leaves its sink to the owner: the span sink is the caller's, the forwarder ours.
    await forwarder?.shutdown();
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
