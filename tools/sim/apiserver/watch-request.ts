import type { Exchange, ServerContext } from './context.js';
import { sendError } from './http-util.js';
import { negotiate } from './media.js';
import { awaitRv, invalidListOptions, parseRv, scan, selectorsOf } from './reads.js';
import { tableOptions } from './render.js';
import type { ResourceRoute } from './router.js';
import type { ApiError } from './status.js';
import { expired } from './status.js';

/** The annotation on the BOOKMARK that ends the initial events of a streaming list (sendInitialEvents). */
export const INITIAL_EVENTS_END = 'k8s.io/initial-events-end';

interface Start {
  /** Send the current state as ADDED events first. */
  readonly initial: boolean;
  /** Replay history after this resourceVersion (when not initial). */
  readonly fromRv: number;
}

function validate(q: URLSearchParams): void {
  const match = q.get('resourceVersionMatch') ?? '';
  const sendInitial = q.get('sendInitialEvents');
  if (sendInitial === null && match !== '')
    throw invalidListOptions(
      'resourceVersionMatch',
      'Forbidden: resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided',
    );
  if (sendInitial === 'true') {
    if (match !== 'NotOlderThan')
      throw invalidListOptions(
        'resourceVersionMatch',
        'Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan',
      );
    if (q.get('allowWatchBookmarks') !== 'true')
      throw invalidListOptions(
        'allowWatchBookmarks',
        'Forbidden: sendInitialEvents requires setting allowWatchBookmarks to true',
      );
  }
}

/**
 * Where the watch starts, or the error that refuses it. RV unset/"0" (or sendInitialEvents=true)
 * starts with the current state; RV n replays changes after n, 410 when n is compacted, 504
 * when n is still in the future after the wait.
 */
async function startOf(ctx: ServerContext, q: URLSearchParams): Promise<Start | ApiError> {
  const rvText = q.get('resourceVersion') ?? '';
  const sendInitial = q.get('sendInitialEvents');
  if (sendInitial === 'true') {
    if (rvText !== '' && rvText !== '0') await awaitRv(ctx, parseRv(rvText));
    return { initial: true, fromRv: ctx.store.rv };
  }
  if (rvText === '' || rvText === '0') return { initial: sendInitial !== 'false', fromRv: ctx.store.rv };
  const rv = parseRv(rvText);
  try {
    await awaitRv(ctx, rv);
  } catch (e: unknown) {
    return e as ApiError;
  }
  if (rv < ctx.store.horizon) return expired(`too old resource version: ${rv} (${ctx.store.horizon})`);
  return { initial: false, fromRv: rv };
}

/**
 * WATCH: 200 with `Transfer-Encoding: chunked`, one JSON event per line. A refused start is a 200
 * with one in-stream ERROR event (the apiserver's behaviour) or, with expiredWatch 'http', the HTTP
 * status itself. Resolves when the stream ends. Throws ApiError 400/406/422 before the stream starts.
 */
export async function handleWatch(ctx: ServerContext, ex: Exchange, route: ResourceRoute): Promise<void> {
  const q = ex.query;
  const r = route.resource;
  const neg = negotiate(ex.accept, 'watch');
  const selectors = selectorsOf(r, q);
  validate(q);
  const table = tableOptions(q, ctx.now());
  const timeoutText = q.get('timeoutSeconds');
  const timeoutS = timeoutText === null || timeoutText === '' ? undefined : Number(timeoutText);
  const start = await startOf(ctx, q);
  if (!('initial' in start) && ctx.settings.expiredWatch === 'http') {
    sendError(ex.res, start);
    return;
  }
  // The apiserver streams JSON watch events as plain application/json whatever the embedded rendering.
  ex.res.writeHead(200, {
    'Content-Type': 'application/json',
    'Cache-Control': 'no-cache, private',
    'Transfer-Encoding': 'chunked',
  });
  ex.res.flushHeaders();
  const conn = ctx.watches.open(ex.res, {
    resource: r,
    namespace: route.namespace,
    name: route.name,
    selectors,
    rendering: neg.rendering,
    table,
    bookmarks: q.get('allowWatchBookmarks') === 'true',
    timeoutMs: timeoutS !== undefined && Number.isFinite(timeoutS) && timeoutS > 0 ? timeoutS * 1000 : undefined,
  });
  if (!('initial' in start)) {
    conn.error(start.status);
    await conn.closed;
    return;
  }
  // Everything below runs in the same tick as open(): no commit can slip between replay and live.
  if (start.initial) {
    const snap = ctx.store.snapshot(r, ctx.store.rv);
    const byName = route.name;
    for (const [, o] of scan(r, snap, route.namespace, undefined, selectors))
      if (byName === undefined || o.name === byName) conn.send('ADDED', o);
    if (q.get('sendInitialEvents') === 'true') conn.bookmark(ctx.store.rv, { [INITIAL_EVENTS_END]: 'true' });
  } else {
    for (const c of ctx.store.changesAfter(start.fromRv)) conn.offer(c);
  }
  conn.startBookmarks(() => ctx.store.rv);
  await conn.closed;
}
