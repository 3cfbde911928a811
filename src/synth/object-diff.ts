import { isObject } from '../model/kube-json.js';
import type { JsonObject } from '../model/kube-json.js';

/** One changed field: a JSON path with list-map keys (`spec.containers[name=nginx].image`). */
export interface FieldChange {
  readonly path: string;
  /** Rendered values, `∅` when absent; long values are cut. */
  readonly old: string;
  readonly new: string;
}

// Fields that change on every write or heartbeat and say nothing about what an actor did.
const NOISE_PATHS: ReadonlySet<string> = new Set([
  'metadata.managedFields',
  'metadata.resourceVersion',
  'metadata.selfLink',
  'status.observedGeneration',
  'spec.renewTime',
]);
const NOISE_LEAVES: ReadonlySet<string> = new Set(['lastHeartbeatTime', 'lastProbeTime']);
// Kubernetes list-map keys (+listMapKey in the API types), most specific first.
const LIST_KEYS = [
  'name',
  'type',
  'containerPort',
  'mountPath',
  'devicePath',
  'ip',
  'key',
  'topologyKey',
  'uid',
] as const;
const MAX_VALUE_CHARS = 120;

/**
 * Field diff between two versions of an object (DESIGN §3.4): lists of objects are matched by
 * their list-map key, not by index; managedFields, resourceVersion and heartbeat timestamps are
 * left out. Returns at most `limit` changes in path order (the caller reports the rest as a count).
 */
export function diffObjects(
  before: JsonObject,
  after: JsonObject,
  limit = 50,
): { changes: FieldChange[]; total: number } {
  const out: FieldChange[] = [];
  walk(before, after, '', 0, out);
  out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { changes: out.slice(0, limit), total: out.length };
}

// Only the object walk has noise to skip: NOISE_PATHS hold one dot, so only paths two keys deep
// can match; a list item's path segment (`[key=id]`) never matches a path or a leaf. Checking the
// key instead of the (long, concatenated) path keeps the walk from flattening every path string.
function walk(a: unknown, b: unknown, path: string, depth: number, out: FieldChange[]): void {
  if (isObject(a) && isObject(b)) {
    // Most of an object is unchanged between versions, and two parses of it share no references:
    // equal subtrees (most of spec and metadata) are compared, which builds nothing, before a path
    // is built or a list indexed for them. Equal values can never yield a change.
    for (const k of Object.keys(a)) if (!sameJson(a[k], b[k])) walkField(a[k], b[k], path, k, depth + 1, out);
    for (const k of Object.keys(b)) {
      if (!Object.hasOwn(a, k) && b[k] !== undefined) walkField(undefined, b[k], path, k, depth + 1, out);
    }
    return;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    const key = listKeyOf(a, b);
    if (key !== undefined) {
      walkKeyedList(a, b, key, path, depth, out);
      return;
    }
  }
  if (!sameJson(a, b)) out.push({ path, old: render(a), new: render(b) });
}

// Equal JSON values, whatever the key order: a watch, an audit body and a recording serialize one
// object with keys in different orders, and a reordering is not a change.
function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) return Array.isArray(a) && Array.isArray(b) && sameArray(a, b);
  return sameObject(a as JsonObject, b as JsonObject);
}

// Lists keep their order: a reordered list is a change.
function sameArray(a: readonly unknown[], b: readonly unknown[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!sameJson(a[i], b[i])) return false;
  return true;
}

function sameObject(a: JsonObject, b: JsonObject): boolean {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) {
    if (!Object.hasOwn(b, k) || !sameJson(a[k], b[k])) return false;
  }
  return true;
}

// JSON with object keys sorted, so a value renders the same whichever source serialized it.
function canonicalJson(v: unknown): string {
  if (typeof v !== 'object' || v === null) return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  const keys = Object.keys(v).sort();
  return `{${keys
    .filter((k) => (v as JsonObject)[k] !== undefined)
    .map((k) => `${JSON.stringify(k)}:${canonicalJson((v as JsonObject)[k])}`)
    .join(',')}}`;
}

function walkField(a: unknown, b: unknown, parent: string, key: string, depth: number, out: FieldChange[]): void {
  if (NOISE_LEAVES.has(key.slice(key.lastIndexOf('.') + 1))) return;
  const path = parent === '' ? key : `${parent}.${key}`;
  if (depth <= 2 && NOISE_PATHS.has(path)) return;
  walk(a, b, path, depth, out);
}

function walkKeyedList(
  a: readonly unknown[],
  b: readonly unknown[],
  key: string,
  path: string,
  depth: number,
  out: FieldChange[],
): void {
  const ia = indexBy(a, key);
  const ib = indexBy(b, key);
  for (const [id, item] of ia) {
    const other = ib.get(id);
    if (!sameJson(item, other)) walk(item, other, `${path}[${key}=${id}]`, depth + 1, out);
  }
  for (const [id, item] of ib) if (!ia.has(id)) walk(undefined, item, `${path}[${key}=${id}]`, depth + 1, out);
}

function indexBy(items: readonly unknown[], key: string): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const item of items) out.set(String(isObject(item) ? item[key] : ''), item);
  return out;
}

// A list is a list-map when all its items are objects sharing a scalar key with unique values.
function listKeyOf(a: readonly unknown[], b: readonly unknown[]): string | undefined {
  if (a.length + b.length === 0 || !a.every(isObject) || !b.every(isObject)) return undefined;
  for (const key of LIST_KEYS) if (uniqueScalarKey(a, key) && uniqueScalarKey(b, key)) return key;
  return undefined;
}

function uniqueScalarKey(list: readonly unknown[], key: string): boolean {
  const seen = new Set<string>();
  for (const item of list) {
    const v = isObject(item) ? item[key] : undefined;
    if (typeof v !== 'string' && typeof v !== 'number') return false;
    if (seen.has(String(v))) return false;
    seen.add(String(v));
  }
  return true;
}

function render(v: unknown): string {
  if (v === undefined) return '∅';
  const s = typeof v === 'string' ? v : canonicalJson(v);
  return s.length > MAX_VALUE_CHARS ? `${s.slice(0, MAX_VALUE_CHARS)}…` : s;
}
