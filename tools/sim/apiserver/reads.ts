import type { ServerResponse } from 'node:http';
import type { Exchange, ServerContext } from './context.js';
import { sendJson, writeChunks } from './http-util.js';
import { listKind, negotiate, partialObject } from './media.js';
import { fullObject, renderObject, tableOptions } from './render.js';
import type { ResourceInfo } from './resources.js';
import { apiVersionOf } from './resources.js';
import type { ResourceRoute } from './router.js';
import type { Selector } from './selectors.js';
import { parseFieldSelector, parseLabelSelector } from './selectors.js';
import { ApiError, badRequest, expired, notFound, tooLargeResourceVersion } from './status.js';
import type { Snapshot, StoredObject } from './store.js';
import { withTypeMeta } from './store.js';
import { toTable } from './table.js';

type Json = Record<string, unknown>;

/** Parses a resourceVersion query value. Throws ApiError 400 for a non-integer, like the apiserver. */
export function parseRv(text: string): number {
  if (!/^[0-9]+$/.test(text) || !Number.isSafeInteger(Number(text)))
    throw badRequest(`invalid resource version: ${JSON.stringify(text)}`);
  return Number(text);
}

/** 422 for invalid ListOptions, worded like the apiserver's validation. */
export function invalidListOptions(field: string, detail: string): ApiError {
  return new ApiError(422, 'Invalid', `ListOptions.meta.k8s.io "" is invalid: ${field}: ${detail}`, {
    group: 'meta.k8s.io',
    kind: 'ListOptions',
    causes: [{ reason: 'FieldValueForbidden', message: detail, field }],
  });
}

/** Waits until the store reaches `rv`; throws ApiError 504 "Too large resource version" otherwise. */
export async function awaitRv(ctx: ServerContext, rv: number): Promise<void> {
  if (rv <= ctx.store.rv) return;
  if (!(await ctx.store.waitFor(rv, ctx.settings.tooLargeWaitMs))) throw tooLargeResourceVersion(rv, ctx.store.rv);
}

/** GET one object (or its status subresource). Throws ApiError 404/406/504. */
export async function handleGet(ctx: ServerContext, ex: Exchange, route: ResourceRoute, name: string): Promise<void> {
  const r = route.resource;
  if (route.subresource !== undefined && !(route.subresource === 'status' && r.hasStatus))
    throw new ApiError(404, 'NotFound', 'the server could not find the requested resource', {});
  const neg = negotiate(ex.accept, 'object');
  const rv = ex.query.get('resourceVersion');
  if (rv !== null && rv !== '' && rv !== '0') await awaitRv(ctx, parseRv(rv));
  const o = ctx.store.get(r, route.namespace ?? '', name);
  if (o === undefined) throw notFound(r, name);
  sendJson(ex.res, 200, neg.contentType, renderObject(r, o, neg, tableOptions(ex.query, ctx.now())));
}

interface ContinueToken {
  readonly rv: number;
  readonly after: string;
}

function encodeContinue(rv: number, lastKey: string): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv, start: `${lastKey}\u0000` })).toString('base64');
}

function decodeContinue(token: string): ContinueToken {
  try {
    const t = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as {
      v?: unknown;
      rv?: unknown;
      start?: unknown;
    };
    if (
      t.v === 'meta.k8s.io/v1' &&
      typeof t.rv === 'number' &&
      typeof t.start === 'string' &&
      t.start.endsWith('\u0000')
    )
      return { rv: t.rv, after: t.start.slice(0, -1) };
  } catch {
    // fall through to the apiserver's message
  }
  throw badRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
}

/** Which snapshot a list reads, per resourceVersion/resourceVersionMatch/continue. */
async function listSnapshot(
  ctx: ServerContext,
  q: URLSearchParams,
  r: ResourceInfo,
): Promise<{ snap: Snapshot; after?: string }> {
  const rvText = q.get('resourceVersion') ?? '';
  const match = q.get('resourceVersionMatch') ?? '';
  const cont = q.get('continue') ?? '';
  if (match !== '' && match !== 'NotOlderThan' && match !== 'Exact')
    throw invalidListOptions(
      'resourceVersionMatch',
      `Unsupported value: "${match}": supported values: "Exact", "NotOlderThan"`,
    );
  if (match !== '' && rvText === '')
    throw invalidListOptions(
      'resourceVersionMatch',
      'Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided',
    );
  if (cont !== '') {
    if (rvText !== '' && rvText !== '0')
      throw badRequest('specifying resource version is not allowed when using continue');
    const token = decodeContinue(cont);
    if (token.rv < ctx.store.horizon)
      throw expired(
        'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.',
      );
    return { snap: ctx.store.snapshot(r, token.rv), after: token.after };
  }
  if (rvText === '' || rvText === '0') {
    if (match === 'Exact')
      throw invalidListOptions(
        'resourceVersionMatch',
        'Forbidden: resourceVersionMatch "exact" is forbidden for resourceVersion "0"',
      );
    return { snap: ctx.store.snapshot(r, ctx.store.rv) };
  }
  const rv = parseRv(rvText);
  await awaitRv(ctx, rv);
  if (match === 'Exact') {
    if (rv < ctx.store.horizon) throw expired(`too old resource version: ${rv} (${ctx.store.horizon})`);
    return { snap: ctx.store.snapshot(r, rv) };
  }
  return { snap: ctx.store.snapshot(r, ctx.store.rv) };
}

/** Objects of a snapshot in key order, restricted to a namespace and selectors. */
export function* scan(
  r: ResourceInfo,
  snap: Snapshot,
  namespace: string | undefined,
  after: string | undefined,
  selectors: readonly Selector[],
): IterableIterator<[string, StoredObject]> {
  const prefix = namespace === undefined ? undefined : `${namespace}/`;
  const start = prefix !== undefined && (after === undefined || after < prefix) ? prefix : after;
  for (const [key, o] of snap.from(start)) {
    if (prefix !== undefined && !key.startsWith(prefix)) return;
    if (selectors.length > 0) {
      const full = fullObject(r, o);
      if (!selectors.every((s) => s(full))) continue;
    }
    yield [key, o];
  }
}

/** The selectors of a list or watch request. Throws ApiError 400 for a malformed one. */
export function selectorsOf(r: ResourceInfo, q: URLSearchParams): Selector[] {
  const out: Selector[] = [];
  const label = parseLabelSelector(q.get('labelSelector') ?? undefined);
  const field = parseFieldSelector(r, q.get('fieldSelector') ?? undefined);
  if (label !== undefined) out.push(label);
  if (field !== undefined) out.push(field);
  return out;
}

/**
 * LIST: limit/continue pagination over a consistent snapshot, resourceVersion semantics, label
 * and field selectors, and the object / PartialObjectMetadataList / Table renderings. Large
 * lists are streamed. Throws ApiError 400/406/410/422/504.
 */
export async function handleList(ctx: ServerContext, ex: Exchange, route: ResourceRoute): Promise<void> {
  const r = route.resource;
  const q = ex.query;
  const neg = negotiate(ex.accept, 'list');
  const selectors = selectorsOf(r, q);
  const limitText = q.get('limit');
  const limit = limitText === null || limitText === '' ? 0 : Number(limitText);
  if (!Number.isInteger(limit) || limit < 0) throw badRequest(`limit: Invalid value: ${JSON.stringify(limitText)}`);
  const { snap, after } = await listSnapshot(ctx, q, r);
  const items: StoredObject[] = [];
  let lastKey: string | undefined;
  let more = false;
  const it = scan(r, snap, route.namespace, after, selectors);
  // Manual iteration: a for-of `break` would close the generator needed for remainingItemCount.
  for (let next = it.next(); !next.done; next = it.next()) {
    if (limit > 0 && items.length === limit) {
      more = true;
      break;
    }
    const [key, o] = next.value;
    items.push(o);
    lastKey = key;
  }
  const meta: Json = { resourceVersion: String(snap.rv) };
  if (more && lastKey !== undefined) {
    meta.continue = encodeContinue(snap.rv, lastKey);
    if (selectors.length === 0 && route.namespace === undefined) meta.remainingItemCount = snap.countAfter(lastKey);
    else if (selectors.length === 0) {
      let remaining = 1;
      for (let n = it.next(); !n.done; n = it.next()) remaining++;
      meta.remainingItemCount = remaining;
    }
  }
  await writeList(ctx, ex.res, r, items, meta, neg.rendering, neg.contentType, q);
}

async function writeList(
  ctx: ServerContext,
  res: ServerResponse,
  r: ResourceInfo,
  items: readonly StoredObject[],
  meta: Json,
  rendering: 'object' | 'partial' | 'table',
  contentType: string,
  q: URLSearchParams,
): Promise<void> {
  if (rendering === 'table') {
    const table = toTable(
      r,
      items.map((o) => fullObject(r, o)),
      meta,
      tableOptions(q, ctx.now()),
    );
    sendJson(res, 200, contentType, JSON.stringify(table));
    return;
  }
  const head =
    rendering === 'partial'
      ? `{"kind":"PartialObjectMetadataList","apiVersion":"meta.k8s.io/v1","metadata":${JSON.stringify(meta)},"items":[`
      : `{"kind":${JSON.stringify(listKind(r))},"apiVersion":${JSON.stringify(apiVersionOf(r))},"metadata":${JSON.stringify(meta)},"items":[`;
  const item = (o: StoredObject): string => {
    if (rendering === 'partial') return JSON.stringify(partialObject(fullObject(r, o)));
    return r.listItemsHaveTypeMeta ? withTypeMeta(r, o.body) : o.body;
  };
  if (items.length <= 500) {
    // Small lists go out in one piece with a Content-Length, as the apiserver's buffered writer does.
    sendJson(res, 200, contentType, `${head}${items.map(item).join(',')}]}`);
    return;
  }
  res.writeHead(200, { 'Content-Type': contentType, 'Cache-Control': 'no-cache, private' });
  function* pieces(): IterableIterator<string> {
    yield head;
    for (let i = 0; i < items.length; i++) {
      const o = items[i];
      if (o !== undefined) yield i === 0 ? item(o) : `,${item(o)}`;
    }
    yield ']}';
  }
  await writeChunks(res, pieces());
  res.end();
}
