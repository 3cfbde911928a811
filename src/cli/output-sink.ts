import { FanOutSink } from '../export/fan-out-sink.js';
import type { OtlpExportConfig } from '../export/otlp-export-config.js';
import { OtlpJsonFileSink } from '../export/otlp-json-file-sink.js';
import { createOtlpSink } from '../export/otlp-sink.js';
import type { SpanSink } from '../export/sink.js';
import { packageVersion } from '../version.js';

/**
 * The sink behind `--out FILE` and/or an OTLP export (both: a fan-out), or undefined when
 * neither is given. The OTLP config is already validated (resolveOtlpExport), so this does not throw.
 */
export function outputSink(options: { readonly out?: string; readonly otlp?: OtlpExportConfig }): SpanSink | undefined {
  const scopeVersion = packageVersion();
  const sinks: SpanSink[] = [];
  if (options.out !== undefined) sinks.push(new OtlpJsonFileSink({ path: options.out, scopeVersion }));
  if (options.otlp !== undefined) sinks.push(createOtlpSink(options.otlp, { scopeVersion }));
  const [only] = sinks;
  return sinks.length > 1 ? new FanOutSink(sinks) : only;
}
