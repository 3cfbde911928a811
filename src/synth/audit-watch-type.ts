import type { SlimObject } from '../graph/slim.js';
import { arr, num, parseTimeMs, str } from '../model/kube-json.js';
import type { JsonObject } from '../model/kube-json.js';
import type { AuditEntry, WatchType } from '../model/records.js';

/** What an audited write did to the stored object, as a watch would have shown it. */
export function auditWatchType(entry: AuditEntry, body: JsonObject, known: SlimObject | undefined): WatchType {
  if (entry.verb === 'create') return 'ADDED';
  return entry.verb === 'delete' && !onlyMarked(body, known) ? 'DELETED' : 'MODIFIED';
}

// A delete answered with the object still there (graceful, or held by finalizers) only marked it.
// Grace 0, or a second delete of an already marked object, without finalizers, removes it (the
// kubelet's final delete of a pod).
function onlyMarked(body: JsonObject, known: SlimObject | undefined): boolean {
  if (str(body, 'metadata', 'deletionTimestamp') === undefined) return false;
  if (arr(body, 'metadata', 'finalizers').length > 0) return true;
  return num(body, 'metadata', 'deletionGracePeriodSeconds') !== 0 && !markedByAnother(body, known);
}

// Marked by another request than this one: a late audit batch may bring the marking delete itself
// after the watch showed its mark (same deletionTimestamp and grace).
function markedByAnother(body: JsonObject, known: SlimObject | undefined): boolean {
  return (
    known?.deletionMs !== undefined &&
    !(
      known.deletionMs === parseTimeMs(str(body, 'metadata', 'deletionTimestamp')) &&
      known.deletionGraceS === num(body, 'metadata', 'deletionGracePeriodSeconds')
    )
  );
}
