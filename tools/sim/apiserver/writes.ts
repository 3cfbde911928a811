import { randomInt, randomUUID } from 'node:crypto';
import type { Exchange, ServerContext } from './context.js';
import { parseJson, parseObjectBody, readBody, sendJson } from './http-util.js';
import { negotiate } from './media.js';
import { jsonPatch, mergePatch, PatchError, strategicMergePatch } from './patch.js';
import { fullObject, renderObject, tableOptions } from './render.js';
import type { ResourceInfo } from './resources.js';
import { apiVersionOf } from './resources.js';
import type { ResourceRoute } from './router.js';
import {
  alreadyExists,
  ApiError,
  badRequest,
  conflict,
  invalid,
  methodNotAllowed,
  notFound,
  staleResourceVersion,
  unsupportedMediaType,
} from './status.js';
import type { StoredObject } from './store.js';
import { withTypeMeta } from './store.js';

type Json = Record<string, unknown>;

const rec = (v: unknown): Json => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {});
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const NAME_CHARS = 'bcdfghjklmnpqrstvwxz2456789';

/** What PrepareForCreate leaves in status for kinds whose create resets it. */
const INITIAL_STATUS: Readonly<Record<string, Json>> = { Pod: { phase: 'Pending' }, Namespace: { phase: 'Active' } };

/** RFC 3339 with seconds, as metadata timestamps are written. */
export function rfc3339(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** Answers a write with the stored object in the negotiated rendering. */
export function respond(ctx: ServerContext, ex: Exchange, r: ResourceInfo, code: number, o: StoredObject): void {
  const neg = negotiate(ex.accept, 'object');
  sendJson(ex.res, code, neg.contentType, renderObject(r, o, neg, tableOptions(ex.query, ctx.now())));
}

function checkTypeMeta(r: ResourceInfo, body: Json): void {
  const want = apiVersionOf(r);
  if (body.apiVersion !== undefined && body.apiVersion !== want)
    throw badRequest(
      `the API version in the data (${String(body.apiVersion)}) does not match the expected API version (${want})`,
    );
  if (body.kind !== undefined && body.kind !== r.kind)
    throw badRequest(`${String(body.kind)} in version "${want}" cannot be handled as a ${r.kind}`);
}

function validName(r: ResourceInfo, name: string): boolean {
  const re = r.resource === 'namespaces' && r.group === '' ? DNS_LABEL : DNS_SUBDOMAIN;
  return name.length <= 253 && re.test(name);
}

/** Spec-like content: everything but metadata and status, for generation bumps. */
function specOf(o: Json): string {
  const { metadata: _m, status: _s, kind: _k, apiVersion: _a, ...rest } = o;
  return JSON.stringify(rest);
}

/** 404 when the namespace of a namespaced create does not exist (NamespaceLifecycle admission). */
function checkNamespace(ctx: ServerContext, r: ResourceInfo, ns: string): void {
  if (!ctx.settings.enforceNamespaces || !r.namespaced) return;
  const nsResource = ctx.registry.byPath('', 'v1', 'namespaces');
  if (nsResource !== undefined && ctx.store.get(nsResource, '', ns) === undefined) throw notFound(nsResource, ns);
}

/**
 * Only JSON bodies are decoded; protobuf and YAML get 415, after which client-go falls back to
 * JSON (kubectl sends protobuf first for built-in kinds). Throws ApiError 415.
 */
function requireJsonBody(ex: Exchange): void {
  const type = (ex.req.headers['content-type'] ?? 'application/json').split(';')[0]?.trim().toLowerCase() ?? '';
  if (type !== 'application/json' && type !== '')
    throw new ApiError(
      415,
      'UnsupportedMediaType',
      `the body of the request was in an unknown format - accepted media types include: application/json`,
    );
}

/**
 * POST: create with uid, creationTimestamp, resourceVersion (and generation 1 for kinds that
 * track it). Throws ApiError 400/404/405/409/422/500 as the apiserver would.
 */
export async function handleCreate(ctx: ServerContext, ex: Exchange, route: ResourceRoute): Promise<void> {
  const r = route.resource;
  if (route.name !== undefined || (r.namespaced && route.namespace === undefined)) throw methodNotAllowed();
  requireJsonBody(ex);
  const body = parseObjectBody(await readBody(ex.req));
  checkTypeMeta(r, body);
  const meta = { ...rec(body.metadata) };
  const ns = route.namespace ?? '';
  if (r.namespaced) {
    if (meta.namespace !== undefined && meta.namespace !== '' && meta.namespace !== ns)
      throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
    meta.namespace = ns;
  } else delete meta.namespace;
  if (
    (typeof meta.name !== 'string' || meta.name === '') &&
    typeof meta.generateName === 'string' &&
    meta.generateName !== ''
  )
    meta.name = `${meta.generateName}${Array.from({ length: 5 }, () => NAME_CHARS[randomInt(NAME_CHARS.length)]).join('')}`;
  const name = typeof meta.name === 'string' ? meta.name : '';
  if (name === '')
    throw invalid(r, '', [{ field: 'metadata.name', message: 'Required value: name or generateName is required' }]);
  if (!validName(r, name))
    throw invalid(r, name, [
      {
        field: 'metadata.name',
        message: `Invalid value: "${name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.'`,
      },
    ]);
  if (meta.resourceVersion !== undefined && meta.resourceVersion !== '')
    throw new ApiError(
      500,
      'InternalError',
      'Internal error occurred: resourceVersion should not be set on objects to be created',
    );
  checkNamespace(ctx, r, ns);
  if (ctx.store.get(r, ns, name) !== undefined) throw alreadyExists(r, name);
  meta.uid = randomUUID();
  meta.creationTimestamp = rfc3339(ctx.now());
  delete meta.deletionTimestamp;
  if (r.tracksGeneration) meta.generation = 1;
  const object: Json = { kind: r.kind, apiVersion: apiVersionOf(r), ...body, metadata: meta };
  if (r.hasStatus) object.status = INITIAL_STATUS[r.kind] ?? {};
  const c = ctx.store.commit(r, 'ADDED', object);
  respond(ctx, ex, r, 201, c.object);
}

/**
 * Writes `next` over `old` with the apiserver's update rules: immutable identity, status only
 * through the status subresource, generation bump on spec change, no-op updates write nothing,
 * and removing the last finalizer of a deleting object deletes it. Throws ApiError 409/422.
 */
export function update(
  ctx: ServerContext,
  r: ResourceInfo,
  old: StoredObject,
  next: Json,
  subresource: string | undefined,
): StoredObject {
  const prev = fullObject(r, old);
  const prevMeta = rec(prev.metadata);
  const meta = { ...rec(next.metadata) };
  const name = old.name;
  if (meta.name !== undefined && meta.name !== name)
    throw badRequest(`the name of the object (${String(meta.name)}) does not match the name on the URL (${name})`);
  if (
    meta.resourceVersion !== undefined &&
    meta.resourceVersion !== '' &&
    meta.resourceVersion !== prevMeta.resourceVersion
  )
    throw staleResourceVersion(r, name);
  if (meta.uid !== undefined && meta.uid !== '' && meta.uid !== prevMeta.uid)
    throw conflict(
      r,
      name,
      `Precondition failed: UID in precondition: ${String(meta.uid)}, UID in object meta: ${String(prevMeta.uid)}`,
    );
  let object: Json;
  if (subresource === 'status') object = { ...prev, status: next.status };
  else {
    for (const k of [
      'name',
      'namespace',
      'uid',
      'creationTimestamp',
      'deletionTimestamp',
      'deletionGracePeriodSeconds',
      'generation',
    ])
      if (prevMeta[k] === undefined) delete meta[k];
      else meta[k] = prevMeta[k];
    object = { kind: r.kind, apiVersion: apiVersionOf(r), ...next, metadata: meta };
    if (r.hasStatus) object.status = prev.status;
    if (r.tracksGeneration && specOf(object) !== specOf(prev)) meta.generation = Number(prevMeta.generation ?? 0) + 1;
  }
  rec(object.metadata).resourceVersion = prevMeta.resourceVersion;
  if (JSON.stringify(object) === withTypeMeta(r, old.body)) return old;
  const finalizers = rec(object.metadata).finalizers;
  const deleting = typeof prevMeta.deletionTimestamp === 'string';
  if (deleting && (!Array.isArray(finalizers) || finalizers.length === 0))
    return ctx.store.commit(r, 'DELETED', object).object;
  return ctx.store.commit(r, 'MODIFIED', object).object;
}

/** PUT: replace with optimistic concurrency. Throws ApiError 400/404/409/422. */
export async function handleReplace(
  ctx: ServerContext,
  ex: Exchange,
  route: ResourceRoute,
  name: string,
): Promise<void> {
  const r = route.resource;
  checkSubresource(r, route.subresource);
  requireJsonBody(ex);
  const body = parseObjectBody(await readBody(ex.req));
  checkTypeMeta(r, body);
  const old = ctx.store.get(r, route.namespace ?? '', name);
  if (old === undefined) throw notFound(r, name);
  respond(ctx, ex, r, 200, update(ctx, r, old, body, route.subresource));
}

function checkSubresource(r: ResourceInfo, sub: string | undefined): void {
  if (sub !== undefined && !(sub === 'status' && r.hasStatus))
    throw new ApiError(404, 'NotFound', 'the server could not find the requested resource', {});
}

/**
 * PATCH with merge-patch, strategic-merge-patch or json-patch bodies. Throws ApiError
 * 400/404/409/415/422.
 */
export async function handlePatch(ctx: ServerContext, ex: Exchange, route: ResourceRoute, name: string): Promise<void> {
  const r = route.resource;
  checkSubresource(r, route.subresource);
  const type = (ex.req.headers['content-type'] ?? '').split(';')[0]?.trim() ?? '';
  const patchers: Record<string, (t: unknown, p: unknown) => unknown> = {
    'application/merge-patch+json': mergePatch,
    'application/strategic-merge-patch+json': strategicMergePatch,
    'application/json-patch+json': jsonPatch,
  };
  const patcher = patchers[type];
  if (patcher === undefined) throw unsupportedMediaType(type);
  const patch = parseJson(await readBody(ex.req));
  const old = ctx.store.get(r, route.namespace ?? '', name);
  if (old === undefined) throw notFound(r, name);
  const current = fullObject(r, old);
  let next: unknown;
  try {
    next = patcher(current, patch);
  } catch (e: unknown) {
    if (!(e instanceof PatchError)) throw e;
    if (e.kind === 'bad') throw badRequest(e.message);
    throw new ApiError(422, 'Invalid', `the server rejected our request due to an error in our request: ${e.message}`);
  }
  const nextObj = rec(next);
  const nextMeta = rec(nextObj.metadata);
  if (nextMeta.namespace !== undefined && nextMeta.namespace !== rec(current.metadata).namespace)
    throw invalid(r, name, [{ field: 'metadata.namespace', message: 'Invalid value: field is immutable' }]);
  respond(ctx, ex, r, 200, update(ctx, r, old, nextObj, route.subresource));
}
