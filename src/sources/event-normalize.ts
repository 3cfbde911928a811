import { type JsonObject, num, obj, parseTimeMs, str } from '../model/kube-json.js';
import type { KubeEvent } from '../model/records.js';

/**
 * Normalizes an Event object of either API — `events.k8s.io/v1` (regarding, note, eventTime µs,
 * series) or `core/v1` (involvedObject, message, first/lastTimestamp, count, source) — into one
 * shape. Returns an error string instead of throwing when the object is not a usable Event
 * (no regarding object, no time at all).
 */
export function normalizeEvent(ev: JsonObject): KubeEvent | string {
  const isNewApi = str(ev, 'apiVersion') === 'events.k8s.io/v1' || obj(ev, 'regarding') !== undefined;
  const regarding = obj(ev, isNewApi ? 'regarding' : 'involvedObject');
  if (regarding === undefined) return 'Event has no regarding/involvedObject';
  const eventTime = parseTimeMs(str(ev, 'eventTime'));
  const first =
    eventTime ??
    parseTimeMs(str(ev, isNewApi ? 'deprecatedFirstTimestamp' : 'firstTimestamp')) ??
    parseTimeMs(str(ev, 'metadata', 'creationTimestamp'));
  if (first === undefined) return 'Event has no eventTime, firstTimestamp or creationTimestamp';
  const last =
    parseTimeMs(str(ev, 'series', 'lastObservedTime')) ??
    parseTimeMs(str(ev, isNewApi ? 'deprecatedLastTimestamp' : 'lastTimestamp')) ??
    first;
  const count = num(ev, 'series', 'count') ?? num(ev, isNewApi ? 'deprecatedCount' : 'count') ?? 1;
  const source = obj(ev, isNewApi ? 'deprecatedSource' : 'source');
  const namespace = str(ev, 'metadata', 'namespace') ?? '';
  const name = str(ev, 'metadata', 'name') ?? '';
  const uid = str(ev, 'metadata', 'uid');
  return {
    key: uid !== undefined && uid !== '' ? uid : `${namespace}/${name}`,
    namespace,
    name,
    regarding: {
      kind: str(regarding, 'kind') ?? '',
      apiVersion: str(regarding, 'apiVersion') ?? '',
      namespace: str(regarding, 'namespace') ?? '',
      name: str(regarding, 'name') ?? '',
      uid: str(regarding, 'uid') ?? '',
      fieldPath: str(regarding, 'fieldPath') ?? '',
    },
    reason: str(ev, 'reason') ?? '',
    type: str(ev, 'type') ?? 'Normal',
    note: str(ev, isNewApi ? 'note' : 'message') ?? '',
    action: str(ev, 'action') ?? '',
    reportingController:
      nonEmpty(str(ev, isNewApi ? 'reportingController' : 'reportingComponent')) ?? str(source, 'component') ?? '',
    reportingInstance: nonEmpty(str(ev, 'reportingInstance')) ?? str(source, 'host') ?? '',
    firstMs: first,
    lastMs: Math.max(first, last),
    count: Math.max(1, Math.floor(count)),
  };
}

function nonEmpty(s: string | undefined): string | undefined {
  return s === undefined || s === '' ? undefined : s;
}
