/**
 * A GKE Cloud Logging LogEntry of a Kubernetes audit record (`protoPayload` of type
 * google.cloud.audit.AuditLog, `serviceName: k8s.io`) back into the `audit.k8s.io/v1` Event the
 * apiserver wrote. Cloud Logging keeps one time per entry, so the request is placed at
 * `timestamp` with no duration; `status.code` is a google.rpc code and is mapped back to HTTP.
 */
import { isObject, obj, str } from '../../model/kube-json.js';
import type { JsonObject } from '../../model/kube-json.js';

const AUDIT_LOG_TYPE = 'type.googleapis.com/google.cloud.audit.AuditLog';

// google.rpc.Code → the HTTP status the apiserver answered (the inverse of Google's mapping).
const RPC_TO_HTTP: Readonly<Record<number, number>> = {
  0: 200,
  1: 499,
  2: 500,
  3: 400,
  4: 504,
  5: 404,
  6: 409,
  7: 403,
  8: 429,
  9: 400,
  10: 409,
  11: 400,
  12: 501,
  13: 500,
  14: 503,
  15: 500,
  16: 401,
};

export function isGkeLogEntry(value: JsonObject): boolean {
  return isObject(value['protoPayload']) || (typeof value['logName'] === 'string' && 'insertId' in value);
}

interface ObjectPath {
  readonly apiGroup: string;
  readonly apiVersion: string;
  readonly namespace: string;
  readonly resource: string;
  readonly name: string;
  readonly subresource: string;
}

/**
 * `resourceName` as GKE writes it: `<group>/<version>/[namespaces/<ns>/]<resource>[/<name>[/<sub>]]`
 * with `core` for the legacy group (`core/v1/namespaces/shop/pods/web-1/status`).
 */
function parseResourceName(resourceName: string): ObjectPath | undefined {
  const parts = resourceName.split('/');
  const [group, version] = parts;
  if (group === undefined || version === undefined || parts.length < 3 || group === '') return undefined;
  let rest = parts.slice(2);
  let namespace = '';
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1] ?? '';
    rest = rest.slice(2);
  }
  return {
    apiGroup: group === 'core' ? '' : group,
    apiVersion: version,
    namespace,
    resource: rest[0] ?? '',
    name: rest[1] ?? '',
    subresource: rest[2] ?? '',
  };
}

function requestUri(path: ObjectPath): string {
  const root = path.apiGroup === '' ? `/api/${path.apiVersion}` : `/apis/${path.apiGroup}/${path.apiVersion}`;
  const ns = path.namespace === '' ? '' : `/namespaces/${path.namespace}`;
  const tail = [path.resource, path.name, path.subresource].filter((p) => p !== '').join('/');
  return `${root}${ns}/${tail}`;
}

/** The request/response body without the `@type` Cloud Logging adds. */
function body(value: unknown): JsonObject | undefined {
  if (!isObject(value)) return undefined;
  const { '@type': _type, ...rest } = value;
  return rest;
}

function httpCode(payload: JsonObject, response: JsonObject | undefined, verb: string): number {
  // A Status answer (an error, or a delete) carries the HTTP code itself.
  if (response !== undefined && str(response, 'kind') === 'Status' && typeof response['code'] === 'number') {
    return response['code'];
  }
  const rpc = obj(payload, 'status')?.['code'];
  const code = typeof rpc === 'number' ? (RPC_TO_HTTP[rpc] ?? 500) : 200;
  return code === 200 && verb === 'create' ? 201 : code;
}

function stageOf(entry: JsonObject): string {
  const op = obj(entry, 'operation');
  // A long-running request (watch, exec) is logged when it starts (first) and when it ends (last).
  return op !== undefined && op['first'] === true && op['last'] !== true ? 'ResponseStarted' : 'ResponseComplete';
}

function annotationsOf(entry: JsonObject): JsonObject | undefined {
  const labels = obj(entry, 'labels');
  if (labels === undefined) return undefined;
  // Cloud Logging keeps the audit annotations (authorization.k8s.io/decision, …) as labels.
  const kept = Object.entries(labels).filter(([k, v]) => typeof v === 'string' && k.includes('/'));
  return kept.length > 0 ? Object.fromEntries(kept) : undefined;
}

/** objectRef as the apiserver writes it: empty fields (core apiGroup, no name yet) left out. */
function objectRef(path: ObjectPath): JsonObject {
  const ordered: [string, string][] = [
    ['resource', path.resource],
    ['namespace', path.namespace],
    ['name', path.name],
    ['apiGroup', path.apiGroup],
    ['apiVersion', path.apiVersion],
    ['subresource', path.subresource],
  ];
  return Object.fromEntries(ordered.filter(([, v]) => v !== ''));
}

/** What every converted Event needs from the entry, or why it is missing. */
interface EntryBasics {
  readonly verb: string;
  readonly auditId: string;
  readonly time: string;
  readonly resourceName: string;
  /** Undefined for a non-resource request (`resourceName` is then the URL path). */
  readonly path: ObjectPath | undefined;
}

function entryBasics(entry: JsonObject, payload: JsonObject): EntryBasics | string {
  const method = str(payload, 'methodName') ?? '';
  const verb = method.split('.').pop()?.toLowerCase() ?? '';
  if (!method.startsWith('io.k8s.') || verb === '') {
    return `Cloud Logging audit entry is not from Kubernetes (methodName ${JSON.stringify(method.slice(0, 80))})`;
  }
  const auditId = str(entry, 'operation', 'id') ?? str(entry, 'labels', 'audit.k8s.io/id') ?? str(entry, 'insertId');
  if (auditId === undefined || auditId === '') return 'Cloud Logging audit entry has no operation.id or insertId';
  const time = str(entry, 'timestamp') ?? str(entry, 'receiveTimestamp');
  if (time === undefined) return 'Cloud Logging audit entry has no timestamp';
  const resourceName = str(payload, 'resourceName') ?? '';
  if (resourceName.startsWith('/')) return { verb, auditId, time, resourceName, path: undefined };
  const path = parseResourceName(resourceName);
  if (path === undefined) {
    return `Cloud Logging audit entry has an unreadable resourceName ${JSON.stringify(resourceName.slice(0, 80))}`;
  }
  return { verb, auditId, time, resourceName, path };
}

/** The Event, or why the entry is not a usable Kubernetes audit record. Never throws. */
export function fromGkeLogEntry(entry: JsonObject): JsonObject | string {
  const payload = obj(entry, 'protoPayload');
  if (payload === undefined || str(payload, '@type') !== AUDIT_LOG_TYPE) {
    return 'Cloud Logging entry without an AuditLog protoPayload (not a Kubernetes audit record)';
  }
  const basics = entryBasics(entry, payload);
  if (typeof basics === 'string') return basics;
  const { verb, auditId, time, resourceName, path } = basics;
  const request = body(payload['request']);
  const response = body(payload['response']);
  const annotations = annotationsOf(entry);
  const optional: [string, JsonObject | undefined][] = [
    ['objectRef', path === undefined ? undefined : objectRef(path)],
    ['requestObject', request],
    ['responseObject', response],
    ['annotations', annotations],
  ];
  return {
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: request !== undefined || response !== undefined ? 'RequestResponse' : 'Metadata',
    auditID: auditId,
    stage: stageOf(entry),
    requestURI: path === undefined ? resourceName : requestUri(path),
    verb,
    user: { username: str(payload, 'authenticationInfo', 'principalEmail') ?? '' },
    sourceIPs: [str(payload, 'requestMetadata', 'callerIp')].filter((ip) => ip !== undefined),
    userAgent: str(payload, 'requestMetadata', 'callerSuppliedUserAgent') ?? '',
    responseStatus: { metadata: {}, code: httpCode(payload, response, verb) },
    requestReceivedTimestamp: time,
    stageTimestamp: time,
    ...Object.fromEntries(optional.filter(([, v]) => v !== undefined)),
  };
}
