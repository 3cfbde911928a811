/**
 * The three patch formats the apiserver accepts on PATCH. Strategic merge patch follows the
 * patchMergeKey/patchStrategy tags of the built-in types for the lists that carry them (containers by
 * name, conditions by type, finalizers as a set …); other lists are replaced, as JSON merge patch does.
 */
type Json = Record<string, unknown>;

const isRecord = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A failed patch: `invalid` (422, e.g. a failed `test` op) or `bad` (400, malformed document). */
export class PatchError extends Error {
  constructor(
    readonly kind: 'invalid' | 'bad',
    message: string,
  ) {
    super(message);
  }
}

/** RFC 7386 JSON merge patch. Returns a new value; `target` is not modified. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isRecord(patch)) return structuredClone(patch);
  const out: Json = isRecord(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/** Merge keys of the built-in list fields (patchMergeKey tags), by field name. */
const MERGE_KEYS: Readonly<Record<string, string>> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  volumes: 'name',
  env: 'name',
  imagePullSecrets: 'name',
  volumeMounts: 'mountPath',
  volumeDevices: 'devicePath',
  conditions: 'type',
  ownerReferences: 'uid',
  podIPs: 'ip',
  hostIPs: 'ip',
  addresses: 'type',
  containerStatuses: 'name',
  initContainerStatuses: 'name',
  hostAliases: 'ip',
  topologySpreadConstraints: 'topologyKey',
};

/** Primitive lists with patchStrategy "merge": the patch's entries are added to the set. */
const SET_LISTS = new Set(['finalizers']);

function portKey(items: readonly unknown[]): string | undefined {
  if (items.every((i) => isRecord(i) && 'containerPort' in i)) return 'containerPort';
  if (items.every((i) => isRecord(i) && 'port' in i)) return 'port';
  return undefined;
}

/** Strategic merge patch for the built-in kinds. Returns a new value; `target` is not modified. */
export function strategicMergePatch(target: unknown, patch: unknown): unknown {
  if (!isRecord(patch)) return structuredClone(patch);
  if (patch.$patch === 'replace') return stripDirectives(patch);
  if (patch.$patch === 'delete') return undefined;
  const out: Json = isRecord(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (k.startsWith('$deleteFromPrimitiveList/')) {
      const field = k.slice('$deleteFromPrimitiveList/'.length);
      const drop = new Set(Array.isArray(v) ? v : []);
      const cur = out[field];
      if (Array.isArray(cur)) out[field] = cur.filter((x) => !drop.has(x));
      continue;
    }
    if (k.startsWith('$')) continue;
    if (v === null) {
      delete out[k];
      continue;
    }
    const cur = out[k];
    if (Array.isArray(v)) out[k] = patchList(k, cur, v);
    else out[k] = strategicMergePatch(cur, v);
  }
  return out;
}

function patchList(field: string, cur: unknown, patch: readonly unknown[]): unknown[] {
  const current = Array.isArray(cur) ? cur : [];
  if (SET_LISTS.has(field)) return [...current, ...patch.filter((p) => !current.includes(p))];
  const key = MERGE_KEYS[field] ?? (field === 'ports' ? portKey([...current, ...patch]) : undefined);
  if (key === undefined || !patch.every(isRecord)) return patch.map(stripDirectives);
  if (patch.some((p) => isRecord(p) && p.$patch === 'replace'))
    return patch.filter((p) => !(isRecord(p) && p.$patch === 'replace')).map(stripDirectives);
  const out = [...current];
  for (const p of patch) {
    if (!isRecord(p)) continue;
    const idx = out.findIndex((c) => isRecord(c) && c[key] === p[key]);
    if (p.$patch === 'delete') {
      if (idx >= 0) out.splice(idx, 1);
    } else if (idx >= 0) out[idx] = strategicMergePatch(out[idx], p);
    else out.push(stripDirectives(p));
  }
  return out;
}

function stripDirectives(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(stripDirectives);
  if (!isRecord(v)) return v;
  const out: Json = {};
  for (const [k, x] of Object.entries(v)) if (!k.startsWith('$')) out[k] = stripDirectives(x);
  return out;
}

/** RFC 6901 pointer → path segments. */
function pointer(p: unknown): string[] {
  if (typeof p !== 'string' || (p !== '' && !p.startsWith('/')))
    throw new PatchError('bad', `invalid JSON pointer ${String(p)}`);
  return p === ''
    ? []
    : p
        .slice(1)
        .split('/')
        .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function parentOf(doc: unknown, path: readonly string[]): { parent: unknown; key: string } {
  let cur = doc;
  for (const seg of path.slice(0, -1)) {
    cur = Array.isArray(cur) ? cur[Number(seg)] : isRecord(cur) ? cur[seg] : undefined;
    if (cur === undefined) throw new PatchError('invalid', `path /${path.join('/')} does not exist`);
  }
  return { parent: cur, key: path[path.length - 1] ?? '' };
}

function getAt(doc: unknown, path: readonly string[]): unknown {
  let cur = doc;
  for (const seg of path) cur = Array.isArray(cur) ? cur[Number(seg)] : isRecord(cur) ? cur[seg] : undefined;
  return cur;
}

function add(doc: unknown, path: readonly string[], value: unknown): unknown {
  if (path.length === 0) return value;
  const { parent, key } = parentOf(doc, path);
  if (Array.isArray(parent)) {
    const i = key === '-' ? parent.length : Number(key);
    if (!Number.isInteger(i) || i < 0 || i > parent.length)
      throw new PatchError('invalid', `index ${key} out of range`);
    parent.splice(i, 0, value);
  } else if (isRecord(parent)) parent[key] = value;
  else throw new PatchError('invalid', `cannot add at /${path.join('/')}`);
  return doc;
}

function remove(doc: unknown, path: readonly string[]): unknown {
  const { parent, key } = parentOf(doc, path);
  if (Array.isArray(parent) && Number(key) < parent.length) parent.splice(Number(key), 1);
  else if (isRecord(parent) && key in parent) delete parent[key];
  else throw new PatchError('invalid', `path /${path.join('/')} does not exist`);
  return doc;
}

/** RFC 6902 JSON patch. Throws PatchError for a malformed document or a failed `test`. */
export function jsonPatch(target: unknown, ops: unknown): unknown {
  if (!Array.isArray(ops)) throw new PatchError('bad', 'json patch must be an array of operations');
  let doc = structuredClone(target);
  for (const op of ops) {
    if (!isRecord(op)) throw new PatchError('bad', 'json patch operation must be an object');
    const path = pointer(op.path);
    switch (op.op) {
      case 'add':
        doc = add(doc, path, structuredClone(op.value));
        break;
      case 'remove':
        doc = remove(doc, path);
        break;
      case 'replace':
        if (getAt(doc, path) === undefined) throw new PatchError('invalid', `path ${String(op.path)} does not exist`);
        doc = add(remove(doc, path), path, structuredClone(op.value));
        break;
      case 'move':
      case 'copy': {
        const from = pointer(op.from);
        const value = structuredClone(getAt(doc, from));
        if (value === undefined) throw new PatchError('invalid', `from ${String(op.from)} does not exist`);
        if (op.op === 'move') doc = remove(doc, from);
        doc = add(doc, path, value);
        break;
      }
      case 'test':
        if (JSON.stringify(getAt(doc, path)) !== JSON.stringify(op.value))
          throw new PatchError('invalid', `testing value ${String(op.path)} failed`);
        break;
      default:
        throw new PatchError('bad', `unexpected json patch operation ${String(op.op)}`);
    }
  }
  return doc;
}
