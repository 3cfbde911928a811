import { str } from '../model/kube-json.js';
import type { JsonObject } from '../model/kube-json.js';

// Kinds whose payload is confidential or user data: only metadata survives.
const PAYLOAD_FIELDS: Readonly<Record<string, readonly string[]>> = {
  Secret: ['data', 'stringData'],
  ConfigMap: ['data', 'binaryData'],
};

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/**
 * Removes Secret data, ConfigMap values and the last-applied-configuration annotation (which
 * embeds a full copy of them) from an object. Returns the same object when there is nothing to
 * remove, otherwise a shallow copy. Never throws.
 */
export function redactObject(object: JsonObject): JsonObject {
  const kind = str(object, 'kind') ?? '';
  const fields = PAYLOAD_FIELDS[kind] ?? [];
  const hasLastApplied = str(object, 'metadata', 'annotations', LAST_APPLIED) !== undefined;
  if (!hasLastApplied && !fields.some((f) => f in object)) return object;
  const copy: Record<string, unknown> = { ...object };
  for (const f of fields) delete copy[f];
  if (hasLastApplied) {
    const metadata = { ...(object['metadata'] as JsonObject) };
    const ann: Record<string, unknown> = { ...(metadata['annotations'] as JsonObject) };
    delete ann[LAST_APPLIED];
    copy['metadata'] = { ...metadata, annotations: ann };
  }
  return copy;
}
