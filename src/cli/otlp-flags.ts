import { resolveOtlpExport } from '../export/otlp-export-config.js';
import type { Environment, OtlpExportConfig } from '../export/otlp-export-config.js';

/** Flag values by name, as the arg parser or run's merged config file give them. */
export type FlagValues = Readonly<Record<string, string | boolean | readonly string[] | undefined>>;

function text(values: FlagValues, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

/**
 * The OTLP export of `run` and `replay`: the `--otlp-*` values over the `OTEL_EXPORTER_OTLP_*`
 * variables (export/otlp-export-config.ts). undefined: no export; a string: the usage error.
 * Reads no file (the TLS files are loaded by the caller, at start).
 */
export function otlpExportFromValues(values: FlagValues, env: Environment): OtlpExportConfig | undefined | string {
  const headers = values['otlp-header'];
  return resolveOtlpExport(
    {
      endpoint: text(values, 'otlp-endpoint'),
      protocol: text(values, 'otlp-protocol'),
      compression: text(values, 'otlp-compression'),
      timeout: text(values, 'otlp-timeout'),
      certificate: text(values, 'otlp-certificate'),
      clientCertificate: text(values, 'otlp-client-certificate'),
      clientKey: text(values, 'otlp-client-key'),
      insecure: values['otlp-insecure'] === true ? true : undefined,
      // Repeatable, never comma-split: a header value may hold commas.
      headers: typeof headers === 'string' ? [headers] : Array.isArray(headers) ? (headers as string[]) : [],
    },
    env,
  );
}
