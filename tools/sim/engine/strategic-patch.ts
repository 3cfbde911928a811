import { jsonEqual } from './hash.js';

type Json = Record<string, unknown>;

function isPlain(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Deep copy with object keys sorted, as Go marshals the map[string]interface{} of a patch. */
export function sortDeep(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortDeep);
  if (!isPlain(v)) return v;
  const out: Json = {};
  for (const k of Object.keys(v).sort()) out[k] = sortDeep(v[k]);
  return out;
}

/**
 * A strategic-merge two-way patch from `before` to `after` (what kubelet and kube-scheduler send
 * for status): changed fields only, `null` for removed ones, and for lists with a merge key
 * (`conditions` by `type`, `podIPs` by `ip`, …) a `$setElementOrder/<list>` directive plus only the
 * changed items. Lists without a merge key are replaced whole.
 */
export function twoWayPatch(before: Json, after: Json, mergeKeys: Readonly<Record<string, string>>): Json {
  const out: Json = {};
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const a = before[key];
    const b = after[key];
    if (jsonEqual(a, b)) continue;
    if (b === undefined) {
      out[key] = null;
      continue;
    }
    const mk = mergeKeys[key];
    if (mk !== undefined && Array.isArray(b)) {
      out[`$setElementOrder/${key}`] = b.map((item) => ({ [mk]: isPlain(item) ? item[mk] : item }));
      const changed = listDiff(Array.isArray(a) ? a : [], b, mk);
      if (changed.length > 0) out[key] = changed;
      continue;
    }
    out[key] = isPlain(a) && isPlain(b) ? twoWayPatch(a, b, mergeKeys) : b;
  }
  return out;
}

function listDiff(before: unknown[], after: unknown[], mk: string): unknown[] {
  const out: unknown[] = [];
  for (const item of after) {
    if (!isPlain(item)) continue;
    const prev = before.find((x) => isPlain(x) && x[mk] === item[mk]);
    if (!isPlain(prev)) {
      out.push(item);
      continue;
    }
    if (jsonEqual(prev, item)) continue;
    const diff: Json = { [mk]: item[mk] };
    for (const k of new Set([...Object.keys(prev), ...Object.keys(item)])) {
      if (k === mk || jsonEqual(prev[k], item[k])) continue;
      diff[k] = item[k] === undefined ? null : item[k];
    }
    out.push(diff);
  }
  for (const item of before) {
    if (isPlain(item) && !after.some((x) => isPlain(x) && x[mk] === item[mk]))
      out.push({ [mk]: item[mk], $patch: 'delete' });
  }
  return out;
}

export const POD_STATUS_MERGE_KEYS = { conditions: 'type', podIPs: 'ip', hostIPs: 'ip' } as const;
export const NODE_STATUS_MERGE_KEYS = { conditions: 'type', addresses: 'type' } as const;
