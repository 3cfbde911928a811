import { isObject, obj, str } from '../model/kube-json.js';
import type { JsonObject } from '../model/kube-json.js';

/**
 * The one redaction of Kubernetes objects (DESIGN §3.5 invariant 5): replay, the webhook, the
 * audit file follower, the live journal and `kubestitch record` all pass objects through
 * redactObject (audit events through redactAuditEvent, which uses it for their bodies), so no
 * path keeps what another drops.
 */

/** Which annotations are dropped: exact names, or `/regex/flags` entries. */
export interface RedactionPolicy {
  readonly annotation: (name: string) => boolean;
}

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/** The default annotation list: last-applied (a full copy of the object) and credential-like names. */
export const DEFAULT_REDACTED_ANNOTATIONS: readonly string[] = [LAST_APPLIED, '/token|secret|password|key/i'];

/** A policy from an annotation list (see RedactionPolicy). Throws SyntaxError for a bad regex. */
export function redactionPolicy(annotations: readonly string[]): RedactionPolicy {
  const exact = new Set<string>();
  const patterns: RegExp[] = [];
  for (const entry of annotations) {
    const m = /^\/(.*)\/([a-z]*)$/.exec(entry);
    if (m === null) exact.add(entry);
    else patterns.push(new RegExp(m[1] ?? '', m[2]));
  }
  return { annotation: (name) => exact.has(name) || patterns.some((p) => p.test(name)) };
}

export const DEFAULT_REDACTION = redactionPolicy(DEFAULT_REDACTED_ANNOTATIONS);

// The policy every path uses unless given one. One process-wide setting, made once at start from
// `--redact-annotations`, rather than a parameter threaded through each reader: a path that was
// not handed it would keep what the others drop (DESIGN §3.5 invariant 5).
let active: RedactionPolicy = DEFAULT_REDACTION;

/**
 * Drops `extra` annotations (exact names or `/regex/flags`) besides the defaults, on every path
 * from now on. Throws SyntaxError for a bad regex, before changing anything.
 */
export function redactAnnotations(extra: readonly string[]): void {
  active = redactionPolicy([...DEFAULT_REDACTED_ANNOTATIONS, ...extra]);
}

/** The policy in force (the defaults unless redactAnnotations added to them). */
export function activeRedaction(): RedactionPolicy {
  return active;
}

// Kinds whose payload is confidential or user data: only metadata survives.
const PAYLOAD_FIELDS: Readonly<Record<string, readonly string[]>> = {
  Secret: ['data', 'stringData'],
  ConfigMap: ['data', 'binaryData'],
};

// Credentials that sit inside spec/status of otherwise harmless kinds.
const CREDENTIAL_FIELDS: Readonly<Record<string, readonly (readonly [string, string])[]>> = {
  TokenRequest: [['status', 'token']],
  TokenReview: [
    ['spec', 'token'],
    ['status', 'token'],
  ],
};

// Past this depth a subtree is dropped whole (inputs are depth-checked before; this is a backstop).
const MAX_WALK_DEPTH = 128;

/**
 * Removes Secret data, ConfigMap values, TokenRequest/TokenReview tokens, container env values
 * (anywhere in `spec`: pods, templates, CRDs) and the annotations the policy names. `kind` is the
 * object's own, or the one implied by where it came from (an audit body may omit it). Returns the
 * same object when there is nothing to remove, otherwise a copy; never mutates or throws.
 */
export function redactObject(
  object: JsonObject,
  policy: RedactionPolicy = active,
  kind: string = str(object, 'kind') ?? '',
): JsonObject {
  // Key → new value (undefined: removed); applied to one copy at the end.
  const changes = confidentialFieldChanges(object, kind);
  const metadata = obj(object, 'metadata');
  const cleaned = metadata === undefined ? undefined : withoutAnnotations(metadata, policy);
  if (cleaned !== metadata) changes.set('metadata', cleaned);
  const spec = changes.has('spec') ? changes.get('spec') : object['spec'];
  const specOut = withoutEnvValues(spec, 0);
  if (specOut !== spec) changes.set('spec', specOut);
  return changes.size === 0 ? object : withChanges(object, changes);
}

// The payload of Secrets and ConfigMaps and the tokens of TokenRequest/TokenReview, by kind.
function confidentialFieldChanges(object: JsonObject, kind: string): Map<string, unknown> {
  const changes = new Map<string, unknown>();
  for (const f of PAYLOAD_FIELDS[kind] ?? []) if (f in object) changes.set(f, undefined);
  for (const [parent, key] of CREDENTIAL_FIELDS[kind] ?? []) {
    const holder = obj(object, parent);
    if (holder !== undefined && key in holder) {
      const { [key]: _dropped, ...rest } = holder;
      changes.set(parent, rest);
    }
  }
  return changes;
}

// One shallow copy with the top-level changes applied (undefined removes the key).
function withChanges(object: JsonObject, changes: ReadonlyMap<string, unknown>): JsonObject {
  const out: Record<string, unknown> = { ...object };
  for (const [key, value] of changes) {
    if (value === undefined) delete out[key];
    else out[key] = value;
  }
  return out;
}

function withoutAnnotations(metadata: JsonObject, policy: RedactionPolicy): JsonObject {
  const annotations = obj(metadata, 'annotations');
  if (annotations === undefined) return metadata;
  const names = Object.keys(annotations).filter((name) => policy.annotation(name));
  if (names.length === 0) return metadata;
  const kept: Record<string, unknown> = { ...annotations };
  for (const name of names) delete kept[name];
  return { ...metadata, annotations: kept };
}

// Copy-on-write: untouched subtrees are returned as they are.
function withoutEnvValues(value: unknown, depth: number): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (depth > MAX_WALK_DEPTH) return null;
  // Indexes and keys, not entries(): a pair allocated per field of every spec was most of the walk.
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      const next = withoutEnvValues(item, depth + 1);
      if (next !== item) (copy ??= [...(value as unknown[])])[i] = next;
    }
    return copy ?? value;
  }
  let copy: Record<string, unknown> | undefined;
  for (const key of Object.keys(value)) {
    const child = (value as JsonObject)[key];
    const next = key === 'env' && Array.isArray(child) ? envWithoutValues(child) : withoutEnvValues(child, depth + 1);
    if (next !== child) (copy ??= { ...value })[key] = next;
  }
  return copy ?? value;
}

// `env[].value` is where manifests put literal passwords; names and valueFrom references stay.
function envWithoutValues(env: readonly unknown[]): readonly unknown[] {
  if (!env.some((e) => isObject(e) && 'value' in e)) return env;
  return env.map((e) => {
    if (!isObject(e) || !('value' in e)) return e;
    const { value: _value, ...rest } = e;
    return rest;
  });
}
