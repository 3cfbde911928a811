/**
 * Typed reads from untrusted Kubernetes JSON. Every accessor returns undefined for a missing or
 * mistyped field instead of throwing, so one odd object never breaks a batch.
 */
export type JsonObject = { readonly [key: string]: unknown };

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function field(obj: unknown, ...path: readonly string[]): unknown {
  let cur: unknown = obj;
  for (const key of path) {
    if (!isObject(cur)) return undefined;
    cur = cur[key];
  }
  return cur;
}

export function str(obj: unknown, ...path: readonly string[]): string | undefined {
  const v = field(obj, ...path);
  return typeof v === 'string' ? v : undefined;
}

/** A string field, '' when absent: the apiserver omits empty fields of audit events and Events. */
export function text(obj: unknown, ...path: readonly string[]): string {
  return str(obj, ...path) ?? '';
}

export function num(obj: unknown, ...path: readonly string[]): number | undefined {
  const v = field(obj, ...path);
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

export function bool(obj: unknown, ...path: readonly string[]): boolean | undefined {
  const v = field(obj, ...path);
  return typeof v === 'boolean' ? v : undefined;
}

export function arr(obj: unknown, ...path: readonly string[]): readonly unknown[] {
  const v = field(obj, ...path);
  return Array.isArray(v) ? v : [];
}

export function obj(value: unknown, ...path: readonly string[]): JsonObject | undefined {
  const v = field(value, ...path);
  return isObject(v) ? v : undefined;
}

/**
 * Parses a Kubernetes timestamp (RFC 3339, second or micro/nano precision) to epoch ms with a
 * microsecond fraction. Returns undefined for absent, null or unparseable values.
 */
export function parseTimeMs(value: unknown): number | undefined {
  if (typeof value !== 'string' || value.length < 19) return undefined;
  // Date.parse keeps only milliseconds; recover the microseconds ourselves.
  const m = /^(.*T\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:?\d{2})$/.exec(value);
  if (m === null) return undefined;
  const base = Date.parse(`${m[1] ?? ''}${m[3] ?? ''}`);
  if (Number.isNaN(base)) return undefined;
  const frac = m[2] ?? '';
  const micros = frac === '' ? 0 : Number((frac + '000000').slice(0, 6));
  return base + micros / 1000;
}

/** Formats epoch ms as RFC 3339 with microseconds, the precision Kubernetes uses for MicroTime. */
export function formatTimeMs(ms: number): string {
  // Round once, on the whole value: rounding only the fraction turned .9996 into "1000" µs.
  const totalMicros = Math.round(ms * 1000);
  const whole = Math.floor(totalMicros / 1000);
  const micros = totalMicros - whole * 1000;
  const iso = new Date(whole).toISOString(); // …sss Z
  return `${iso.slice(0, 23)}${String(micros).padStart(3, '0')}Z`;
}

/**
 * The object without `metadata.managedFields` (server-side-apply bookkeeping: often half an
 * object's bytes, never needed once the receive time is known). The same object when it has
 * none, otherwise a shallow copy. Never throws.
 */
export function withoutManagedFields(object: JsonObject): JsonObject {
  const metadata = object['metadata'];
  if (!isObject(metadata) || !('managedFields' in metadata)) return object;
  const { managedFields: _dropped, ...rest } = metadata;
  return { ...object, metadata: rest };
}
