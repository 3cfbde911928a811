/**
 * A duration as flags and OTEL_EXPORTER_OTLP_TIMEOUT write it: `15s`, `500ms`, `2m`, or a bare
 * number of milliseconds; 0 allowed. Undefined for anything else (callers name the flag).
 */
export function parseDurationMs(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  if (m === null) return undefined;
  const ms = Math.round(Number(m[1]) * (m[2] === 's' ? 1_000 : m[2] === 'm' ? 60_000 : 1));
  return Number.isFinite(ms) ? ms : undefined;
}
