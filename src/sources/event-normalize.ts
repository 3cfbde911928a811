import { type JsonObject, num, obj, parseTimeMs, str, text } from '../model/kube-json.js';
import type { EventRegarding, KubeEvent } from '../model/records.js';

/** Where the two Event APIs keep the same fact: events.k8s.io/v1 renamed or deprecated core/v1's fields. */
interface EventFieldNames {
  readonly regarding: string;
  readonly firstTimestamp: string;
  readonly lastTimestamp: string;
  readonly count: string;
  readonly source: string;
  readonly note: string;
  readonly reportingController: string;
}

const EVENTS_V1_FIELDS: EventFieldNames = {
  regarding: 'regarding',
  firstTimestamp: 'deprecatedFirstTimestamp',
  lastTimestamp: 'deprecatedLastTimestamp',
  count: 'deprecatedCount',
  source: 'deprecatedSource',
  note: 'note',
  reportingController: 'reportingController',
};

const CORE_V1_FIELDS: EventFieldNames = {
  regarding: 'involvedObject',
  firstTimestamp: 'firstTimestamp',
  lastTimestamp: 'lastTimestamp',
  count: 'count',
  source: 'source',
  note: 'message',
  reportingController: 'reportingComponent',
};

/**
 * Normalizes an Event object of either API — `events.k8s.io/v1` (regarding, note, eventTime µs,
 * series) or `core/v1` (involvedObject, message, first/lastTimestamp, count, source) — into one
 * shape. Returns an error string instead of throwing when the object is not a usable Event
 * (no regarding object, no time at all).
 */
export function normalizeEvent(ev: JsonObject): KubeEvent | string {
  const isNewApi = str(ev, 'apiVersion') === 'events.k8s.io/v1' || obj(ev, 'regarding') !== undefined;
  const fields = isNewApi ? EVENTS_V1_FIELDS : CORE_V1_FIELDS;
  const regarding = obj(ev, fields.regarding);
  if (regarding === undefined) return 'Event has no regarding/involvedObject';
  const times = eventTimes(ev, fields);
  if (times === undefined) return 'Event has no eventTime, firstTimestamp or creationTimestamp';
  const namespace = text(ev, 'metadata', 'namespace');
  const name = text(ev, 'metadata', 'name');
  const uid = str(ev, 'metadata', 'uid');
  const source = obj(ev, fields.source);
  return {
    key: uid !== undefined && uid !== '' ? uid : `${namespace}/${name}`,
    namespace,
    name,
    regarding: regardingOf(regarding),
    reason: text(ev, 'reason'),
    type: str(ev, 'type') ?? 'Normal',
    note: text(ev, fields.note),
    action: text(ev, 'action'),
    // events.k8s.io writers fill reportingController; core/v1 writers often only `source`.
    reportingController: nonEmpty(str(ev, fields.reportingController)) ?? text(source, 'component'),
    reportingInstance: nonEmpty(str(ev, 'reportingInstance')) ?? text(source, 'host'),
    ...times,
  };
}

/**
 * First and last time seen and the count: the series (events.k8s.io aggregation) wins over the
 * deprecated/core fields; creationTimestamp is the last resort for the first time. Last is never
 * before first and the count is at least 1. Undefined when the Event carries no time at all.
 */
function eventTimes(
  ev: JsonObject,
  fields: EventFieldNames,
): { firstMs: number; lastMs: number; count: number } | undefined {
  const first =
    parseTimeMs(str(ev, 'eventTime')) ??
    parseTimeMs(str(ev, fields.firstTimestamp)) ??
    parseTimeMs(str(ev, 'metadata', 'creationTimestamp'));
  if (first === undefined) return undefined;
  const last =
    parseTimeMs(str(ev, 'series', 'lastObservedTime')) ?? parseTimeMs(str(ev, fields.lastTimestamp)) ?? first;
  const count = num(ev, 'series', 'count') ?? num(ev, fields.count) ?? 1;
  return { firstMs: first, lastMs: Math.max(first, last), count: Math.max(1, Math.floor(count)) };
}

function regardingOf(regarding: JsonObject): EventRegarding {
  return {
    kind: text(regarding, 'kind'),
    apiVersion: text(regarding, 'apiVersion'),
    namespace: text(regarding, 'namespace'),
    name: text(regarding, 'name'),
    uid: text(regarding, 'uid'),
    fieldPath: text(regarding, 'fieldPath'),
  };
}

function nonEmpty(s: string | undefined): string | undefined {
  return s === undefined || s === '' ? undefined : s;
}
