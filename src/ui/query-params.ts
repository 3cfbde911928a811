import type { TraceQuery } from '../../storage/trace-store.js';

/** A query parameter Jaeger's API would refuse: answered with 400 and this message. */
export class BadParamError extends Error {
  override readonly name = 'BadParamError';
}

const UNIT_US: Readonly<Record<string, number>> = {
  ns: 0.001,
  us: 1,
  µs: 1,
  μs: 1,
  ms: 1000,
  s: 1_000_000,
  m: 60_000_000,
  h: 3_600_000_000,
};

/**
 * Parses a Go `time.ParseDuration` string as Jaeger does (`1.2s`, `100ms`, `1m30s`, `500us`) into
 * µs. Throws `BadParamError` naming the parameter for anything else.
 */
export function parseDurationUs(name: string, text: string): number {
  const t = text.trim();
  const part = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;
  let total = 0;
  let pos = 0;
  while (pos < t.length) {
    part.lastIndex = pos;
    const m = part.exec(t);
    const unit = m?.[2] === undefined ? undefined : UNIT_US[m[2]];
    if (m === null || unit === undefined) break;
    total += Number(m[1]) * unit;
    pos = part.lastIndex;
  }
  if (t === '' || pos !== t.length) {
    throw new BadParamError(
      `cannot parse ${name} ${JSON.stringify(text)}: expected a duration such as 1.2s, 100ms or 1m30s`,
    );
  }
  return Math.round(total);
}

/** Jaeger UI lookbacks: `1h`, `2d`, `7d`… (`custom` = use start/end). */
function parseLookbackUs(text: string): number | undefined {
  if (text === '' || text === 'custom') return undefined;
  const m = /^(\d+)([hdmw])$/.exec(text);
  if (m === null) return parseDurationUs('lookback', text);
  const n = Number(m[1]);
  const unit = { m: 60e6, h: 3600e6, d: 86_400e6, w: 604_800e6 }[m[2] as 'm' | 'h' | 'd' | 'w'];
  return n * unit;
}

function parseMicros(name: string, text: string | null): number | undefined {
  if (text === null || text === '') return undefined;
  if (!/^\d+$/.test(text))
    throw new BadParamError(`cannot parse ${name} ${JSON.stringify(text)}: expected epoch microseconds`);
  return Number(text);
}

/** `tags={"k":"v"}` (JSON object of strings, what Grafana and jaeger-ui send) plus any `tag=k:v`. */
export function parseTags(params: URLSearchParams): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const raw of params.getAll('tags')) {
    if (raw === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      throw new BadParamError(
        `malformed tags parameter ${JSON.stringify(raw)}: expected a JSON object such as {"error":"true"}`,
      );
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new BadParamError('malformed tags parameter: expected a JSON object of key/value strings');
    }
    for (const [k, v] of Object.entries(value)) tags[k] = typeof v === 'string' ? v : JSON.stringify(v);
  }
  for (const raw of params.getAll('tag')) {
    const i = raw.indexOf(':');
    if (i <= 0) throw new BadParamError(`malformed tag parameter ${JSON.stringify(raw)}: expected key:value`);
    tags[raw.slice(0, i)] = raw.slice(i + 1);
  }
  return tags;
}

export const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1500;

/**
 * The store query behind `GET /api/traces`. Without `start`/`end` (and no `lookback`) the time
 * range is open, so replayed recordings from any date are found. Throws `BadParamError`.
 */
export function parseTraceQuery(params: URLSearchParams, nowUs: number): TraceQuery {
  const service = params.get('service') ?? '';
  const operation = params.get('operation') ?? '';
  const limit = parseLimit(params.get('limit') ?? '');
  const timeRange = parseTimeRange(params, nowUs);
  const durationRange = parseDurationRange(params);
  if (operation !== '' && service === '') throw new BadParamError('operation given without service');
  const tags = parseTags(params);
  return {
    limit,
    ...(service !== '' ? { service } : {}),
    ...(operation !== '' ? { operation } : {}),
    ...(Object.keys(tags).length > 0 ? { tags } : {}),
    ...timeRange,
    ...durationRange,
  };
}

// Jaeger's `limit=0` (and no limit) means its default; more than MAX_LIMIT is capped, not refused.
function parseLimit(text: string): number {
  const limit = text === '' ? DEFAULT_LIMIT : Number(text);
  if (!Number.isInteger(limit) || limit < 0) {
    throw new BadParamError(`cannot parse limit ${JSON.stringify(text)}: expected a non-negative integer`);
  }
  return Math.min(limit === 0 ? DEFAULT_LIMIT : limit, MAX_LIMIT);
}

// `lookback` fills in whichever of start/end is missing, counting back from now.
function parseTimeRange(params: URLSearchParams, nowUs: number): Pick<TraceQuery, 'startUs' | 'endUs'> {
  const lookbackUs = parseLookbackUs(params.get('lookback') ?? '');
  let endUs = parseMicros('end', params.get('end'));
  let startUs = parseMicros('start', params.get('start'));
  if (lookbackUs !== undefined) {
    endUs ??= nowUs;
    startUs ??= endUs - lookbackUs;
  }
  if (startUs !== undefined && endUs !== undefined && startUs > endUs) {
    throw new BadParamError('start time is after end time');
  }
  return { ...(startUs !== undefined ? { startUs } : {}), ...(endUs !== undefined ? { endUs } : {}) };
}

function parseDurationRange(params: URLSearchParams): Pick<TraceQuery, 'minDurationUs' | 'maxDurationUs'> {
  const minText = params.get('minDuration') ?? '';
  const maxText = params.get('maxDuration') ?? '';
  const minDurationUs = minText === '' ? undefined : parseDurationUs('minDuration', minText);
  const maxDurationUs = maxText === '' ? undefined : parseDurationUs('maxDuration', maxText);
  if (minDurationUs !== undefined && maxDurationUs !== undefined && minDurationUs > maxDurationUs) {
    throw new BadParamError('minDuration is larger than maxDuration');
  }
  return {
    ...(minDurationUs !== undefined ? { minDurationUs } : {}),
    ...(maxDurationUs !== undefined ? { maxDurationUs } : {}),
  };
}

/** A trace id as Jaeger accepts it: 1–32 hex digits, left-padded to 32. Throws `BadParamError`. */
export function parseTraceId(text: string): string {
  const t = text.toLowerCase();
  if (!/^[0-9a-f]{1,32}$/.test(t))
    throw new BadParamError(`malformed trace id ${JSON.stringify(text)}: expected up to 32 hex digits`);
  return t.padStart(32, '0');
}
