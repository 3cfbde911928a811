/**
 * Typed reads from untrusted Kubernetes JSON. Every accessor returns undefined for a missing or
 * mistyped field instead of throwing, so one odd object never breaks a batch.
 */
export type JsonObject = { readonly [key: string]: unknown };

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function field(obj: unknown, ...path: readonly string[]): unknown {
  return at(obj, path);
}

// The accessors below hand their rest array on as it is: spreading it into field again copied
// it on every call, and they run several times per field of every record.
function at(obj: unknown, path: readonly string[]): unknown {
  let cur: unknown = obj;
  for (const key of path) {
    if (!isObject(cur)) return undefined;
    cur = cur[key];
  }
  return cur;
}

export function str(obj: unknown, ...path: readonly string[]): string | undefined {
  const v = at(obj, path);
  return typeof v === 'string' ? v : undefined;
}

/** A string field, '' when absent: the apiserver omits empty fields of audit events and Events. */
export function text(obj: unknown, ...path: readonly string[]): string {
  const v = at(obj, path);
  return typeof v === 'string' ? v : '';
}

export function num(obj: unknown, ...path: readonly string[]): number | undefined {
  const v = at(obj, path);
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

export function bool(obj: unknown, ...path: readonly string[]): boolean | undefined {
  const v = at(obj, path);
  return typeof v === 'boolean' ? v : undefined;
}

export function arr(obj: unknown, ...path: readonly string[]): readonly unknown[] {
  const v = at(obj, path);
  return Array.isArray(v) ? v : [];
}

export function obj(value: unknown, ...path: readonly string[]): JsonObject | undefined {
  const v = at(value, path);
  return isObject(v) ? v : undefined;
}

/**
 * Parses a Kubernetes timestamp (RFC 3339, second or micro/nano precision) to epoch ms with a
 * microsecond fraction. Returns undefined for absent, null or unparseable values.
 */
export function parseTimeMs(value: unknown): number | undefined {
  if (typeof value !== 'string' || value.length < 19) return undefined;
  return utcTimeMs(value) ?? parseAnyTimeMs(value);
}

// Zero, as a char code: digits are read by arithmetic, not by a regex and Date.parse.
const ZERO = 48;

/**
 * The one shape Kubernetes writes (`2026-03-01T10:03:00Z`, `…:00.043019Z`) read by hand: a
 * regex, a string concatenation and Date.parse per timestamp were most of the time spent on
 * times (every audit event and object has several). Undefined for anything else — an offset, a
 * year before 1000, a field out of its calendar range — which parseAnyTimeMs reads as before;
 * within those ranges Date.UTC gives what Date.parse did.
 */
function utcTimeMs(v: string): number | undefined {
  if (!utcShaped(v)) return undefined;
  const year = digits(v, 0, 4);
  const month = digits(v, 5, 2);
  const day = digits(v, 8, 2);
  if (year < 1000 || !within(month, 1, 12) || !within(day, 1, daysIn(year, month))) return undefined;
  const hour = digits(v, 11, 2);
  const minute = digits(v, 14, 2);
  const second = digits(v, 17, 2);
  if (!within(hour, 0, 23) || !within(minute, 0, 59) || !within(second, 0, 59)) return undefined;
  const micros = fractionMicros(v);
  if (micros === undefined) return undefined;
  return Date.UTC(year, month - 1, day, hour, minute, second) + micros / 1000;
}

// `YYYY-MM-DDTHH:MM:SS…Z` by its separators (the digits are checked as they are read).
function utcShaped(v: string): boolean {
  return (
    v.charCodeAt(v.length - 1) === 90 /* Z */ &&
    v.charCodeAt(10) === 84 /* T */ &&
    v[4] === '-' &&
    v[7] === '-' &&
    v[13] === ':' &&
    v[16] === ':'
  );
}

function within(value: number, min: number, max: number): boolean {
  return value >= min && value <= max;
}

// The fraction between the seconds and the `Z` in microseconds (its first six digits, as the
// regex path reads them): 0 when there is none, undefined when it is not `.` and 1+ digits.
function fractionMicros(v: string): number | undefined {
  const end = v.length - 1;
  if (end === 19) return 0;
  if (v[19] !== '.' || end === 20) return undefined;
  let micros = 0;
  for (let i = 20; i < end; i++) {
    const d = v.charCodeAt(i) - ZERO;
    if (d < 0 || d > 9) return undefined;
    if (i < 26) micros = micros * 10 + d;
  }
  for (let i = Math.min(end, 26); i < 26; i++) micros *= 10;
  return micros;
}

function daysIn(year: number, month: number): number {
  if (month !== 2) return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
}

// `count` decimal digits at `at` as a number; -1 when one is not a digit.
function digits(v: string, at: number, count: number): number {
  let out = 0;
  for (let i = at; i < at + count; i++) {
    const d = v.charCodeAt(i) - ZERO;
    if (d < 0 || d > 9) return -1;
    out = out * 10 + d;
  }
  return out;
}

function parseAnyTimeMs(value: string): number | undefined {
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
