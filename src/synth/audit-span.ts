import { ATTR } from '../model/attributes.js';
import { kindOfResource } from '../model/object-ref.js';
import type { AuditEntry } from '../model/records.js';
import type { AttrValue, SpanEventData } from '../model/span.js';
import { auditActor } from './audit-actor.js';
import type { PendingSpan } from './pending-span.js';
import type { SpanTree } from './span-tree.js';

/** Verbs that change state; reads are not spans unless configured (DESIGN §3.3). */
export const MUTATING_VERBS: ReadonlySet<string> = new Set(['create', 'update', 'patch', 'delete', 'deletecollection']);

/** `create pods/binding`, `patch pods/status`, `delete deployments`. */
export function auditSpanName(entry: AuditEntry): string {
  const ref = entry.objectRef;
  if (ref === undefined || ref.resource === '') return `${entry.verb} ${entry.requestUri.split('?')[0] ?? ''}`;
  return `${entry.verb} ${ref.resource}${ref.subresource !== '' ? `/${ref.subresource}` : ''}`;
}

/**
 * Opens and closes the pseudo-span of one audited request under `parent`: requestReceived →
 * stageTimestamp, the actor as resource, allow-listed attributes only (never bodies), ERROR when
 * the response code is ≥ 400. `extra` carries placement facts (object identity).
 */
export function emitAuditSpan(
  tree: SpanTree,
  entry: AuditEntry,
  parent: PendingSpan | undefined,
  extra: Record<string, AttrValue>,
  diff?: SpanEventData,
): PendingSpan {
  const span = tree.open({
    key: `audit/${entry.auditId}`,
    name: auditSpanName(entry),
    kind: 'client',
    startMs: entry.receivedMs,
    parent,
    joinClosing: true,
    resource: auditActor(entry),
    attributes: { ...extra, ...auditAttributes(entry) },
  });
  if (diff !== undefined) tree.addEvent(span, diff);
  const code = entry.code;
  const failed = code !== undefined && code >= 400;
  tree.close(span, entry.stageMs, {
    outcome: failed ? 'failed' : 'ok',
    status: failed ? { code: 'error', message: `${code} ${entry.responseReason}`.trim() } : { code: 'unset' },
  });
  return span;
}

// The HTTP method of each Kubernetes verb (the apiserver's own mapping); semconv's `_OTHER` for
// verbs it does not map to one (proxy and connect requests keep their own method, not audited).
const HTTP_METHOD: Readonly<Record<string, string>> = {
  get: 'GET',
  list: 'GET',
  watch: 'GET',
  create: 'POST',
  update: 'PUT',
  patch: 'PATCH',
  delete: 'DELETE',
  deletecollection: 'DELETE',
};

function auditAttributes(e: AuditEntry): Record<string, AttrValue> {
  const out: Record<string, AttrValue> = {
    [ATTR.auditId]: e.auditId,
    [ATTR.auditVerb]: e.verb,
    [ATTR.auditStage]: e.stage,
    [ATTR.auditLevel]: e.level,
    [ATTR.enduserId]: e.impersonatedUser ?? e.user,
    [ATTR.auditUser]: e.user,
    [ATTR.auditGroups]: e.groups,
    [ATTR.userAgent]: e.userAgent,
    [ATTR.auditSourceIps]: e.sourceIps,
    [ATTR.urlPath]: e.requestUri.split('?')[0] ?? '',
    [ATTR.httpRequestMethod]: HTTP_METHOD[e.verb] ?? '_OTHER',
  };
  if (e.impersonatedUser !== undefined) out[ATTR.auditImpersonator] = e.user;
  if (e.code !== undefined) out[ATTR.httpStatusCode] = e.code;
  const ref = e.objectRef;
  if (ref !== undefined) {
    out[ATTR.objectResource] = ref.resource;
    if (ref.subresource !== '') out[ATTR.objectSubresource] = ref.subresource;
    if (ref.namespace !== '') out[ATTR.namespaceName] = ref.namespace;
    if (ref.name !== '') out[ATTR.objectName] = ref.name;
    if (ref.uid !== '') out[ATTR.objectUid] = ref.uid;
    if (ref.apiGroup !== '') out[ATTR.objectGroup] = ref.apiGroup;
    const kind = kindOfResource(ref.apiGroup, ref.resource);
    if (kind !== undefined) out[ATTR.objectKind] = kind;
  }
  return out;
}
