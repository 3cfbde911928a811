import type { SpanSink } from '../export/sink.js';
import { OtlpForwarder } from '../sources/otlp/otlp-forwarder.js';
import { OtlpGrpcServer } from '../sources/otlp/otlp-grpc-server.js';
import { OtlpHttpServer } from '../sources/otlp/otlp-http-server.js';
import { SpanSinkBridge } from '../sources/otlp/span-sink-bridge.js';
import type { TraceBatchSink } from '../sources/otlp/trace-batch-sink.js';
import { Stitcher } from '../stitch/stitcher.js';
import type { StitchMode } from '../stitch/stitch-types.js';
import type { StitchAnchor } from '../synth/stitch-anchor.js';
import type { SpanLinkData } from '../model/span.js';
import type { PipelineLogger } from './journal-pipeline.js';

export interface OtlpStitchOptions {
  readonly host?: string;
  /** OTLP/gRPC receiver port (4317 by convention); undefined: no gRPC receiver. */
  readonly grpcPort?: number;
  /** OTLP/HTTP receiver port (4318 by convention); undefined: no HTTP receiver. */
  readonly httpPort?: number;
  readonly bearerTokens?: readonly string[];
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
    ...(options.host !== undefined ? { host: options.host } : {}),
    ...(options.bearerTokens !== undefined ? { bearerTokens: options.bearerTokens } : {}),
  };
  const grpc = options.grpcPort === undefined ? undefined : new OtlpGrpcServer({ ...common, port: options.grpcPort });
  const http = options.httpPort === undefined ? undefined : new OtlpHttpServer({ ...common, port: options.httpPort });
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
      parts: { stitcher, forwarder, bridge },
      close,
    };
  } catch (err: unknown) {
    await close();
    throw err;
  }
}
