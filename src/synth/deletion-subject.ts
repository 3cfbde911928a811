import type { OwnerLink, SlimObject } from '../graph/slim.js';
import { ATTR } from '../model/attributes.js';
import { arr, isObject, str } from '../model/kube-json.js';
import type { JsonObject } from '../model/kube-json.js';
import { kindOfResource } from '../model/object-ref.js';
import type { AuditEntry } from '../model/records.js';
import { auditActor } from './audit-actor.js';
import { evidenceSlim } from './event-evidence-parse.js';

/** An object whose deletion is open: a candidate owner of what the garbage collector deletes next. */
export interface OpenDeletionOwner {
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
}

/**
 * The object an audited delete request names, when nothing else knows it — audit-only input that
 * began after the object was created, or a kind nobody watches (a StatefulSet's
 * ControllerRevisions). The request names its resource, namespace and name; its response status
 * the uid (`details.uid`, AuditEntry.deletedUid), or the response the object itself while it is
 * only marked. Undefined when
 * the request names no known kind or no uid can be found (nothing could find its deletion again).
 *
 * Its controller: the response object's, else — for the garbage collector, which deletes an
 * object only because its owner is gone — the open deletion in its namespace whose name, with a
 * dash, begins its name (the names controllers generate: web → web-7c94cc59d → web-7c94cc59d-x2k4q,
 * long → long-z867j, kv → kv-0), the longest such name.
 */
export function requestedSubject(
  entry: AuditEntry,
  openDeletions: () => Iterable<OpenDeletionOwner>,
): SlimObject | undefined {
  const ref = entry.objectRef;
  if (ref === undefined || ref.name === '') return undefined;
  const kind = kindOfResource(ref.apiGroup, ref.resource);
  if (kind === undefined) return undefined;
  const body = entry.responseObject;
  const self = body !== undefined && str(body, 'kind') === kind ? body : undefined;
  const uid = nonEmpty(ref.uid) ?? nonEmpty(str(self ?? {}, 'metadata', 'uid')) ?? entry.deletedUid;
  if (uid === undefined) return undefined;
  const controller =
    (self !== undefined ? controllerOf(self) : undefined) ??
    (byGarbageCollector(entry) ? ownerByName(ref.namespace, ref.name, openDeletions()) : undefined);
  return evidenceSlim(kind, ref.namespace, ref.name, uid, controller);
}

function nonEmpty(s: string | undefined): string | undefined {
  return s === undefined || s === '' ? undefined : s;
}

function controllerOf(object: JsonObject): OwnerLink | undefined {
  for (const ref of arr(object, 'metadata', 'ownerReferences')) {
    if (!isObject(ref) || ref['controller'] !== true) continue;
    const kind = str(ref, 'kind');
    const name = str(ref, 'name');
    const uid = str(ref, 'uid');
    if (kind !== undefined && name !== undefined && uid !== undefined) return { kind, name, uid };
  }
  return undefined;
}

function byGarbageCollector(entry: AuditEntry): boolean {
  return auditActor(entry)[ATTR.controllerName] === 'generic-garbage-collector';
}

function ownerByName(namespace: string, name: string, open: Iterable<OpenDeletionOwner>): OwnerLink | undefined {
  let best: OpenDeletionOwner | undefined;
  for (const o of open) {
    if (o.namespace !== namespace || namespace === '' || !name.startsWith(`${o.name}-`)) continue;
    if (best === undefined || o.name.length > best.name.length) best = o;
  }
  return best === undefined ? undefined : { kind: best.kind, name: best.name, uid: best.uid };
}
