import { withTlsLoaded } from './otlp-export-config.js';
import type { OtlpExportConfig } from './otlp-export-config.js';
import { OtlpGrpcSink } from './otlp-grpc-sink.js';
import { OtlpHttpSink } from './otlp-http-sink.js';
import type { SpanSink } from './sink.js';

/** Extra settings of the sink that are not part of the user's export configuration. */
export interface OtlpSinkExtras {
  readonly scopeVersion?: string;
  /** Told about spans an OTLP/HTTP receiver rejected in a partial success. */
  readonly onRejected?: (rejectedSpans: number, message: string) => void;
}

/**
 * The sink for a resolved OTLP export: gRPC or HTTP (protobuf / JSON body). Throws only for an
 * unparsable URL or an invalid header name, which resolveOtlpExport has already refused, or TLS
 * files withTlsLoaded would refuse.
 */
export function createOtlpSink(given: OtlpExportConfig, extras: OtlpSinkExtras = {}): SpanSink {
  // Commands load the TLS files at start (a usage error there); this only covers a caller that did not.
  const config = withTlsLoaded(given);
  if (typeof config === 'string') throw new Error(config);
  const common = {
    url: config.url,
    headers: config.headers,
    compression: config.compression,
    timeoutMillis: config.timeoutMs,
    ...(config.tls !== undefined ? { tls: config.tls } : {}),
    ...(extras.scopeVersion !== undefined ? { scopeVersion: extras.scopeVersion } : {}),
  };
  if (config.protocol === 'grpc') return new OtlpGrpcSink(common);
  return new OtlpHttpSink({
    ...common,
    encoding: config.protocol === 'http/json' ? 'json' : 'protobuf',
    ...(extras.onRejected !== undefined ? { onRejected: extras.onRejected } : {}),
  });
}
