import { arr, isObject, num, obj, parseTimeMs, str, text } from '../../model/kube-json.js';
import type { JsonObject } from '../../model/kube-json.js';
import type { AuditEntry, AuditObjectRef, AuditRecord, RecordOrigin } from '../../model/records.js';
import { redactObject } from '../redact.js';
import { checkAuditEvent } from './audit-entry.js';
import { redactAuditEvent } from './redact-audit.js';

const AUDIT_API_VERSIONS: ReadonlySet<string> = new Set(['audit.k8s.io/v1', 'audit.k8s.io/v1beta1']);
// Resources whose bodies are confidential or user data: never kept, not even slimmed.
const BODYLESS_RESOURCES: ReadonlySet<string> = new Set([
  'secrets',
  'configmaps',
  'tokenreviews',
  'subjectaccessreviews',
]);

/**
 * Normalizes one `audit.k8s.io/v1` (or v1beta1, or apiVersion-less) audit Event. Old events
 * without requestReceivedTimestamp/stageTimestamp use `timestamp`. Request bodies are dropped;
 * the response object is kept (redacted) only for graph building, never for spans. Returns an
 * error string instead of throwing for anything that is not a usable audit event.
 */
export function parseAuditEvent(ev: JsonObject): AuditEntry | string {
  return entryOf(ev, redactObject);
}

// `redactBody` is redactObject, or nothing for an event redactAuditEvent has already redacted
// (its bodies passed redactObject there; a second walk of the body found nothing to drop).
function entryOf(ev: JsonObject, redactBody: (body: JsonObject) => JsonObject): AuditEntry | string {
  const rejected = notAnAuditEvent(ev);
  if (rejected !== undefined) return rejected;
  const auditId = text(ev, 'auditID');
  if (auditId === '') return 'audit event has no auditID';
  const stage = str(ev, 'stage');
  if (stage === undefined) return 'audit event has no stage';
  const times = timesOf(ev);
  if (times === undefined) return 'audit event has no timestamp';
  const ref = obj(ev, 'objectRef');
  const resource = text(ref, 'resource');
  return {
    auditId,
    stage,
    level: text(ev, 'level'),
    verb: text(ev, 'verb'),
    requestUri: text(ev, 'requestURI'),
    user: text(ev, 'user', 'username'),
    groups: strings(arr(ev, 'user', 'groups')),
    impersonatedUser: str(obj(ev, 'impersonatedUser'), 'username'),
    userAgent: text(ev, 'userAgent'),
    sourceIps: strings(arr(ev, 'sourceIPs')),
    objectRef: ref === undefined ? undefined : objectRefOf(ref),
    code: num(ev, 'responseStatus', 'code'),
    responseReason: text(ev, 'responseStatus', 'reason'),
    ...times,
    responseObject: BODYLESS_RESOURCES.has(resource) ? undefined : bodyObject(ev['responseObject'], redactBody),
    bindingTarget:
      resource === 'pods' && str(ref, 'subresource') === 'binding'
        ? str(ev, 'requestObject', 'target', 'name')
        : undefined,
    deletedUid: text(ev, 'verb') === 'delete' ? statusUid(ev) : undefined,
  };
}

// The responseStatus (every level) or a Status response of a delete names what it removed.
function statusUid(ev: JsonObject): string | undefined {
  const uid = str(ev, 'responseStatus', 'details', 'uid') ?? str(ev, 'responseObject', 'details', 'uid');
  return uid === '' ? undefined : uid;
}

// apiVersion and kind may be absent (apiVersion-less events are accepted), but when present must say audit Event.
function notAnAuditEvent(ev: JsonObject): string | undefined {
  const apiVersion = str(ev, 'apiVersion');
  if (apiVersion !== undefined && !AUDIT_API_VERSIONS.has(apiVersion))
    return `not an audit event (apiVersion ${apiVersion})`;
  const kind = str(ev, 'kind');
  if (kind !== undefined && kind !== 'Event') return `not an audit Event (kind ${kind})`;
  return undefined;
}

/**
 * Received and stage times. Old events without requestReceivedTimestamp/stageTimestamp use
 * `timestamp`; a stage time before the receive time (clock step) is clamped to it.
 */
function timesOf(ev: JsonObject): { receivedMs: number; stageMs: number } | undefined {
  const legacy = parseTimeMs(str(ev, 'timestamp')) ?? parseTimeMs(str(ev, 'metadata', 'creationTimestamp'));
  const receivedMs = parseTimeMs(str(ev, 'requestReceivedTimestamp')) ?? legacy;
  const stageMs = parseTimeMs(str(ev, 'stageTimestamp')) ?? legacy ?? receivedMs;
  if (receivedMs === undefined || stageMs === undefined) return undefined;
  return { receivedMs, stageMs: Math.max(stageMs, receivedMs) };
}

function objectRefOf(ref: JsonObject): AuditObjectRef {
  return {
    resource: text(ref, 'resource'),
    subresource: text(ref, 'subresource'),
    namespace: text(ref, 'namespace'),
    name: text(ref, 'name'),
    uid: text(ref, 'uid'),
    apiGroup: text(ref, 'apiGroup'),
    apiVersion: text(ref, 'apiVersion'),
    resourceVersion: text(ref, 'resourceVersion'),
  };
}

// Only a real object (with kind and metadata) can feed the graph; Status answers cannot.
function bodyObject(value: unknown, redactBody: (body: JsonObject) => JsonObject): JsonObject | undefined {
  if (!isObject(value) || str(value, 'kind') === undefined || str(value, 'kind') === 'Status') return undefined;
  if (!isObject(value['metadata'])) return undefined;
  return redactBody(value);
}

function redacted(body: JsonObject): JsonObject {
  return body;
}

function strings(values: readonly unknown[]): string[] {
  return values.filter((v): v is string => typeof v === 'string');
}

/**
 * One audit event value (already JSON-parsed) as a pipeline record timed by its stageTimestamp,
 * or the reason it is unusable. The value passes the audit boundary and the one redaction every
 * path shares (a replayed log holds what the webhook would have stored). Never throws.
 */
export function auditRecordOf(value: unknown, origin: RecordOrigin, receivedMs = Date.now()): AuditRecord | string {
  const checked = checkAuditEvent(value, receivedMs);
  if (!checked.ok) return checked.reason;
  const audit = entryOf(redactAuditEvent(checked.event), redacted);
  if (typeof audit === 'string') return audit;
  return { source: 'audit', audit, timeMs: audit.stageMs, timeEstimated: false, origin };
}
