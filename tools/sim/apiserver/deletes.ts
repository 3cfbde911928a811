import type { Exchange, ServerContext } from './context.js';
import { parseObjectBody, readBody, sendJson } from './http-util.js';
import { scan, selectorsOf } from './reads.js';
import { fullObject } from './render.js';
import type { ResourceInfo } from './resources.js';
import { apiVersionOf } from './resources.js';
import type { ResourceRoute } from './router.js';
import { conflict, methodNotAllowed, notFound } from './status.js';
import type { Change, StoredObject } from './store.js';
import { withTypeMeta } from './store.js';
import { respond, rfc3339 } from './writes.js';

type Json = Record<string, unknown>;

const rec = (v: unknown): Json => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {});

/** Checks DeleteOptions.preconditions. Throws ApiError 409. */
function checkPreconditions(r: ResourceInfo, o: StoredObject, opts: Json): void {
  const pre = rec(opts.preconditions);
  const meta = rec(fullObject(r, o).metadata);
  if (typeof pre.uid === 'string' && pre.uid !== meta.uid)
    throw conflict(
      r,
      o.name,
      `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${String(meta.uid)}`,
    );
  if (typeof pre.resourceVersion === 'string' && pre.resourceVersion !== meta.resourceVersion)
    throw conflict(
      r,
      o.name,
      `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${String(meta.resourceVersion)}`,
    );
}

/**
 * Deletes now, or marks deletionTimestamp while finalizers remain. There is no kubelet and no
 * garbage collector: pods go at once and dependents stay.
 */
export function deleteObject(
  ctx: ServerContext,
  r: ResourceInfo,
  o: StoredObject,
): { change: Change | undefined; pending: boolean; object: StoredObject } {
  const full = fullObject(r, o);
  const meta = rec(full.metadata);
  if (Array.isArray(meta.finalizers) && meta.finalizers.length > 0) {
    if (typeof meta.deletionTimestamp === 'string') return { change: undefined, pending: true, object: o };
    full.metadata = { ...meta, deletionTimestamp: rfc3339(ctx.now()), deletionGracePeriodSeconds: 0 };
    const change = ctx.store.commit(r, 'MODIFIED', full);
    return { change, pending: true, object: change.object };
  }
  const change = ctx.store.commit(r, 'DELETED', full);
  return { change, pending: false, object: change.object };
}

/** DELETE one object. Throws ApiError 400/404/409. */
export async function handleDelete(
  ctx: ServerContext,
  ex: Exchange,
  route: ResourceRoute,
  name: string,
): Promise<void> {
  const r = route.resource;
  if (route.subresource !== undefined) throw methodNotAllowed();
  const text = await readBody(ex.req);
  const opts = text.trim() === '' ? {} : parseObjectBody(text);
  const o = ctx.store.get(r, route.namespace ?? '', name);
  if (o === undefined) throw notFound(r, name);
  checkPreconditions(r, o, opts);
  const result = deleteObject(ctx, r, o);
  if (result.pending) return respond(ctx, ex, r, 202, result.object);
  if (r.deleteReturnsObject) return respond(ctx, ex, r, 200, result.object);
  const uid = rec(fullObject(r, result.object).metadata).uid;
  const details = {
    name,
    ...(r.group === '' ? {} : { group: r.group }),
    kind: r.resource,
    ...(typeof uid === 'string' ? { uid } : {}),
  };
  sendJson(
    ex.res,
    200,
    'application/json',
    JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details }),
  );
}

/** DELETE on a collection (deletecollection) with label/field selectors; answers the deleted list. */
export async function handleDeleteCollection(ctx: ServerContext, ex: Exchange, route: ResourceRoute): Promise<void> {
  const r = route.resource;
  await readBody(ex.req);
  const selectors = selectorsOf(r, ex.query);
  const targets = [...scan(r, ctx.store.snapshot(r, ctx.store.rv), route.namespace, undefined, selectors)].map(
    ([, o]) => o,
  );
  const items = targets.map((o) => deleteObject(ctx, r, o).object);
  const body = `{"kind":"${r.kind}List","apiVersion":"${apiVersionOf(r)}","metadata":{"resourceVersion":"${ctx.store.rv}"},"items":[${items.map((o) => withTypeMeta(r, o.body)).join(',')}]}`;
  sendJson(ex.res, 200, 'application/json', body);
}
