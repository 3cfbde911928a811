import { isObject, obj, str } from '../../model/kube-json.js';
import type { JsonObject } from '../../model/kube-json.js';

// Resources whose bodies are confidential or user data, in any API group: bodies are dropped whole.
const CONFIDENTIAL_RESOURCES = new Set(['secrets', 'configmaps']);
const CONFIDENTIAL_KINDS = new Set(['Secret', 'SecretList', 'ConfigMap', 'ConfigMapList']);

// What trace synthesis reads from a request/response object (ownerReferences live in metadata).
const KEPT_FIELDS = ['apiVersion', 'kind', 'metadata', 'spec', 'status'] as const;

// Credentials that sit inside spec/status of otherwise harmless kinds.
const CREDENTIAL_FIELDS: Readonly<Record<string, readonly (readonly [string, string])[]>> = {
  TokenRequest: [['status', 'token']],
  TokenReview: [
    ['spec', 'token'],
    ['status', 'token'],
  ],
};

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

type BodyField = 'requestObject' | 'responseObject';

/**
 * Strips an `audit.k8s.io` Event down to what may be stored and turned into spans (DESIGN §3.5.5):
 * - `requestObject`/`responseObject` of Secrets and ConfigMaps (by `objectRef.resource` in any API
 *   group, or by the body's own kind) are removed entirely;
 * - other bodies keep only apiVersion, kind, metadata (without managedFields and the
 *   last-applied-configuration annotation, which embeds a full copy of the object), spec and
 *   status — plus `target` of a Binding request; bodies that are not objects (JSON patches) go;
 * - TokenRequest/TokenReview token fields are removed;
 * - `responseStatus.details.causes` is removed (validation causes can echo submitted values).
 * Everything else (user, objectRef, timestamps, annotations, …) is kept as is.
 *
 * Never mutates its input and never throws: odd shapes are dropped, not rejected.
 */
export function redactAuditEvent(event: JsonObject): JsonObject {
  const out: Record<string, unknown> = { ...event };
  const confidential = CONFIDENTIAL_RESOURCES.has(str(event, 'objectRef', 'resource') ?? '');
  for (const field of ['requestObject', 'responseObject'] as const) {
    if (!(field in event)) continue;
    const body = confidential ? undefined : reduceBody(event, field);
    if (body === undefined) delete out[field];
    else out[field] = body;
  }
  const status = obj(event, 'responseStatus');
  const details = obj(status, 'details');
  if (status !== undefined && details !== undefined && 'causes' in details) {
    const { causes: _causes, ...rest } = details;
    out['responseStatus'] = { ...status, details: rest };
  }
  return out;
}

function reduceBody(event: JsonObject, field: BodyField): JsonObject | undefined {
  const body = event[field];
  if (!isObject(body)) return undefined;
  const kind = str(body, 'kind') ?? impliedKind(event);
  if (kind !== undefined && CONFIDENTIAL_KINDS.has(kind)) return undefined;
  const out: Record<string, unknown> = {};
  for (const key of KEPT_FIELDS) if (key in body) out[key] = body[key];
  if (field === 'requestObject' && kind === 'Binding' && 'target' in body) out['target'] = body['target'];
  const metadata = obj(body, 'metadata');
  if (metadata !== undefined) out['metadata'] = cleanMetadata(metadata);
  for (const [parent, key] of CREDENTIAL_FIELDS[kind ?? ''] ?? []) {
    const holder = obj(out, parent);
    if (holder !== undefined && key in holder) {
      const { [key]: _dropped, ...rest } = holder;
      out[parent] = rest;
    }
  }
  return out;
}

// Bodies without `kind` (a client may omit it) still get their credentials stripped.
function impliedKind(event: JsonObject): string | undefined {
  if (str(event, 'objectRef', 'resource') === 'tokenreviews') return 'TokenReview';
  if (str(event, 'objectRef', 'subresource') === 'token') return 'TokenRequest';
  return undefined;
}

function cleanMetadata(metadata: JsonObject): JsonObject {
  const { managedFields: _managedFields, ...rest } = metadata;
  const annotations = obj(metadata, 'annotations');
  if (annotations === undefined || !(LAST_APPLIED in annotations)) return rest;
  const { [LAST_APPLIED]: _lastApplied, ...kept } = annotations;
  return { ...rest, annotations: kept };
}
