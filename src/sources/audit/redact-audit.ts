import { isObject, num, obj, str } from '../../model/kube-json.js';
import type { JsonObject } from '../../model/kube-json.js';
import { activeRedaction, redactObject } from '../redact.js';
import type { RedactionPolicy } from '../redact.js';

// Resources whose bodies are confidential or user data, in any API group: bodies are dropped whole.
const CONFIDENTIAL_RESOURCES = new Set(['secrets', 'configmaps']);
const CONFIDENTIAL_KINDS = new Set(['Secret', 'SecretList', 'ConfigMap', 'ConfigMapList']);

// What trace synthesis reads from a request/response object (ownerReferences live in metadata).
const KEPT_FIELDS = ['apiVersion', 'kind', 'metadata', 'spec', 'status'] as const;

type BodyField = 'requestObject' | 'responseObject';

// Subresources whose query string carries what the client sent: commands, ports, paths.
const QUERY_SUBRESOURCES = /\/(exec|attach|portforward|proxy)(\/[^?]*)?\?/;
// Answers whose message quotes the submitted object ("Invalid value: \"hunter2\"").
const ECHOING_CODES: ReadonlySet<number> = new Set([400, 422]);

/**
 * Strips an `audit.k8s.io` Event down to what may be stored and turned into spans (DESIGN §3.5.5):
 * - `requestObject`/`responseObject` of Secrets and ConfigMaps (by `objectRef.resource` in any API
 *   group, or by the body's own kind) are removed entirely;
 * - other bodies keep only apiVersion, kind, metadata (without managedFields), spec and status —
 *   plus `target` of a Binding request — and then pass redactObject (tokens, env values, the
 *   policy's annotations); bodies that are not objects (JSON patches) go;
 * - the query string of exec/attach/portforward/proxy requestURIs is removed;
 * - `responseStatus.details.causes`, and the message of a 400/422 (or any naming an invalid
 *   value), are removed: they echo submitted values.
 * Everything else (user, objectRef, timestamps, annotations, …) is kept as is.
 *
 * Never mutates its input and never throws: odd shapes are dropped, not rejected. Idempotent.
 */
export function redactAuditEvent(event: JsonObject, policy: RedactionPolicy = activeRedaction()): JsonObject {
  const out: Record<string, unknown> = { ...event };
  const confidential = CONFIDENTIAL_RESOURCES.has(str(event, 'objectRef', 'resource') ?? '');
  for (const field of ['requestObject', 'responseObject'] as const) {
    if (!(field in event)) continue;
    const body = confidential ? undefined : reduceBody(event, field, policy);
    if (body === undefined) delete out[field];
    else out[field] = body;
  }
  const uri = str(event, 'requestURI');
  const cut = uri === undefined ? -1 : uri.search(QUERY_SUBRESOURCES);
  if (uri !== undefined && cut >= 0) out['requestURI'] = uri.slice(0, uri.indexOf('?', cut));
  const status = obj(event, 'responseStatus');
  if (status !== undefined) out['responseStatus'] = redactStatus(status);
  return out;
}

function redactStatus(status: JsonObject): JsonObject {
  const details = obj(status, 'details');
  const message = str(status, 'message');
  const echoes =
    message !== undefined && (ECHOING_CODES.has(num(status, 'code') ?? 0) || /invalid value/i.test(message));
  if (!echoes && (details === undefined || !('causes' in details))) return status;
  const { message: _message, details: _details, ...rest } = status;
  const out: Record<string, unknown> = { ...rest };
  if (!echoes && message !== undefined) out['message'] = message;
  if (details !== undefined) {
    const { causes: _causes, ...kept } = details;
    out['details'] = kept;
  }
  return out;
}

function reduceBody(event: JsonObject, field: BodyField, policy: RedactionPolicy): JsonObject | undefined {
  const body = event[field];
  if (!isObject(body)) return undefined;
  const kind = str(body, 'kind') ?? impliedKind(event);
  if (kind !== undefined && CONFIDENTIAL_KINDS.has(kind)) return undefined;
  const out: Record<string, unknown> = {};
  for (const key of KEPT_FIELDS) if (key in body) out[key] = body[key];
  if (field === 'requestObject' && kind === 'Binding' && 'target' in body) out['target'] = body['target'];
  const metadata = obj(body, 'metadata');
  // Copied only to drop managedFields: metadata without them is kept as it is.
  if (metadata !== undefined && 'managedFields' in metadata) {
    const { managedFields: _managedFields, ...rest } = metadata;
    out['metadata'] = rest;
  }
  return redactObject(out, policy, kind ?? '');
}

// Bodies without `kind` (a client may omit it) still get their credentials stripped.
function impliedKind(event: JsonObject): string | undefined {
  if (str(event, 'objectRef', 'resource') === 'tokenreviews') return 'TokenReview';
  if (str(event, 'objectRef', 'subresource') === 'token') return 'TokenRequest';
  return undefined;
}
