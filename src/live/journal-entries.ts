import type { IntakeEntry } from '../../storage/intake-log.js';
import type { JsonObject } from '../model/kube-json.js';
import { formatTimeMs, str } from '../model/kube-json.js';
import { withManagedFieldsSummary } from '../model/managed-fields.js';
import type { WatchType } from '../model/records.js';
import { redactObject } from '../sources/redact.js';
import { TICK_TYPE } from './journal-pipeline.js';

/**
 * A watched change as a recording line (`watch.jsonl` / `events.jsonl` format, DESIGN §2): the
 * live journal stores exactly what `kubestitch record` writes, so a journal and a recording are
 * read by the same code. Secret data and ConfigMap values are dropped at the door, and
 * managedFields (half the bytes of a real object) keep only who wrote when and whether it touched
 * spec (withManagedFieldsSummary): the initiator of a rollout when there is no audit.
 */
export function watchLine(type: WatchType, object: JsonObject, receivedMs: number, missed = false): JsonObject {
  return {
    type,
    object: withManagedFieldsSummary(redactObject(object)),
    ts: formatTimeMs(receivedMs),
    ...(missed ? { missed: true } : {}),
  };
}

/**
 * The journal entry of a watched change. Its id dedupes the same version delivered twice (a
 * resumed watch overlapping what was journaled before a restart, a relist re-listing it).
 */
export function watchEntry(type: WatchType, object: JsonObject, receivedMs: number, missed = false): IntakeEntry {
  const uid =
    str(object, 'metadata', 'uid') ??
    `${str(object, 'metadata', 'namespace') ?? ''}/${str(object, 'metadata', 'name') ?? ''}`;
  const rv = str(object, 'metadata', 'resourceVersion') ?? '';
  const id = missed ? `o:${uid}:missed` : type === 'DELETED' ? `o:${uid}:${rv}:d` : `o:${uid}:${rv}`;
  return { id, body: JSON.stringify(watchLine(type, object, receivedMs, missed)) };
}

/** A clock tick entry (time moves on without a record). */
export function tickEntry(nowMs: number): IntakeEntry {
  return { id: `t:${nowMs}`, body: JSON.stringify({ type: TICK_TYPE, ts: formatTimeMs(nowMs) }) };
}
