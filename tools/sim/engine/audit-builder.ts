import type { AuditEventJson, AuditLevel, AuditObjectRef, AuditVerb } from '../types.js';
import type { Actor } from './identities.js';
import { rfc3339Micros } from './time-format.js';

export interface AuditInput {
  readonly auditId: string;
  readonly level: AuditLevel;
  readonly uri: string;
  readonly verb: AuditVerb;
  readonly actor: Actor;
  readonly objectRef: AuditObjectRef;
  readonly code: number;
  readonly statusText?: string;
  readonly requestObject?: unknown;
  readonly responseObject?: unknown;
  readonly receivedUs: number;
  readonly stageUs: number;
}

/** One ResponseComplete audit event, fields in the order the apiserver's log backend writes them. */
export function buildAuditEvent(a: AuditInput): AuditEventJson {
  const user = {
    username: a.actor.username,
    ...(a.actor.uid === undefined ? {} : { uid: a.actor.uid }),
    groups: a.actor.groups,
    ...(a.actor.extra === undefined ? {} : { extra: a.actor.extra }),
  };
  const bodies =
    a.level === 'RequestResponse' ? { requestObject: a.requestObject, responseObject: a.responseObject } : {};
  return {
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: a.level,
    auditID: a.auditId,
    stage: 'ResponseComplete',
    requestURI: a.uri,
    verb: a.verb,
    user,
    sourceIPs: [a.actor.sourceIp],
    userAgent: a.actor.userAgent,
    objectRef: a.objectRef,
    responseStatus: {
      metadata: {},
      ...(a.statusText === undefined ? {} : { status: a.statusText }),
      ...statusDetails(a.responseObject),
      code: a.code,
    },
    ...bodies,
    requestReceivedTimestamp: rfc3339Micros(a.receivedUs),
    stageTimestamp: rfc3339Micros(a.stageUs),
    annotations: {
      'authorization.k8s.io/decision': 'allow',
      'authorization.k8s.io/reason': a.actor.authzReason,
    },
  };
}

// The apiserver's audit responseStatus is the Status it answered, details included (a delete's
// names the object and its uid), at every level — not only RequestResponse's responseObject.
function statusDetails(response: unknown): { details?: unknown } {
  if (typeof response !== 'object' || response === null || !('details' in response)) return {};
  return (response as { kind?: unknown }).kind === 'Status' ? { details: response.details } : {};
}
