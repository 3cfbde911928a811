import { FanOutSink } from '../export/fan-out-sink.js';
import { OtlpGrpcSink } from '../export/otlp-grpc-sink.js';
import { OtlpJsonFileSink } from '../export/otlp-json-file-sink.js';
import type { SpanSink } from '../export/sink.js';
import { packageVersion } from '../version.js';

/**
 * The sink behind `--out FILE` and/or `--otlp-endpoint URL` (both: a fan-out), or undefined when
 * neither is given. Throws only for an unparsable endpoint URL (OtlpGrpcSink's constructor).
 */
export function outputSink(options: { readonly out?: string; readonly otlpEndpoint?: string }): SpanSink | undefined {
  const scopeVersion = packageVersion();
  const sinks: SpanSink[] = [];
  if (options.out !== undefined) sinks.push(new OtlpJsonFileSink({ path: options.out, scopeVersion }));
  if (options.otlpEndpoint !== undefined) sinks.push(new OtlpGrpcSink({ url: options.otlpEndpoint, scopeVersion }));
  const [only] = sinks;
  return sinks.length > 1 ? new FanOutSink(sinks) : only;
}
