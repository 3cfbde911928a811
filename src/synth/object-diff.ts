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
  walk(before, after, '', out);
  out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { changes: out.slice(0, limit), total: out.length };
}

function walk(a: unknown, b: unknown, path: string, out: FieldChange[]): void {
  if (NOISE_PATHS.has(path)) return;
  const leaf = path.slice(path.lastIndexOf('.') + 1);
  if (NOISE_LEAVES.has(leaf)) return;
  if (isObject(a) && isObject(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) walk(a[k], b[k], path === '' ? k : `${path}.${k}`, out);
    return;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    const key = listKeyOf(a, b);
    if (key !== undefined) {
      walkKeyedList(a, b, key, path, out);
      return;
    }
  }
  if (JSON.stringify(a) !== JSON.stringify(b)) out.push({ path, old: render(a), new: render(b) });
}

function walkKeyedList(
  a: readonly unknown[],
  b: readonly unknown[],
  key: string,
  path: string,
  out: FieldChange[],
): void {
  const index = (items: readonly unknown[]): Map<string, unknown> =>
    new Map(items.map((item) => [String(isObject(item) ? item[key] : ''), item]));
  const ia = index(a);
  const ib = index(b);
  for (const id of new Set([...ia.keys(), ...ib.keys()])) walk(ia.get(id), ib.get(id), `${path}[${key}=${id}]`, out);
}

// A list is a list-map when all its items are objects sharing a scalar key with unique values.
function listKeyOf(a: readonly unknown[], b: readonly unknown[]): string | undefined {
  const items = [...a, ...b];
  if (items.length === 0 || !items.every(isObject)) return undefined;
  for (const key of LIST_KEYS) {
    const ok = (list: readonly unknown[]): boolean => {
      const seen = new Set<string>();
      for (const item of list) {
        const v = isObject(item) ? item[key] : undefined;
        if (typeof v !== 'string' && typeof v !== 'number') return false;
        if (seen.has(String(v))) return false;
        seen.add(String(v));
      }
      return true;
    };
    if (ok(a) && ok(b)) return key;
  }
  return undefined;
}

function render(v: unknown): string {
  if (v === undefined) return '∅';
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return s.length > MAX_VALUE_CHARS ? `${s.slice(0, MAX_VALUE_CHARS)}…` : s;
}
