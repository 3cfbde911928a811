import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ExpiredWatchMode, Exchange, ServerContext, Settings } from './context.js';
import { handleDiscovery } from './discovery.js';
import type { ApplyOptions, FeedStats } from './feed.js';
import { Feeder, namespaceObject } from './feed.js';
import { sendError } from './http-util.js';
import { writeKubeconfig } from './kubeconfig.js';
import { handleGet, handleList } from './reads.js';
import { fullObject } from './render.js';
import type { ResourceInfo, ResourceSpec } from './resources.js';
import { ResourceRegistry } from './resources.js';
import type { ResourceRoute } from './router.js';
import { route } from './router.js';
import { ApiError, injected, methodNotAllowed, pathNotFound } from './status.js';
import type { ChangeType } from './store.js';
import { ObjectStore } from './store.js';
import { WatchHub } from './watch.js';
import type { WatchStats } from './watch.js';
import { handleWatch } from './watch-request.js';
import { handleDelete, handleDeleteCollection } from './deletes.js';
import { handleCreate, handlePatch, handleReplace, rfc3339 } from './writes.js';

type Json = Record<string, unknown>;

export interface FakeApiserverOptions {
  /** Default 0 (any free port). Always bound to 127.0.0.1. */
  readonly port?: number;
  /** Store resourceVersion before the first write. Default 1. */
  readonly initialResourceVersion?: number;
  /** Changes kept for watch resume; older ones become 410. Default 50,000. */
  readonly historyCapacity?: number;
  /** BOOKMARK interval on watches with allowWatchBookmarks. Default 1000 ms (the apiserver: ~1 min). */
  readonly bookmarkIntervalMs?: number;
  /** How a watch at a compacted resourceVersion is refused. Default 'in-stream' (the apiserver's way). */
  readonly expiredWatch?: ExpiredWatchMode;
  /** Wait for a future resourceVersion before 504. Default 3000 ms, as the apiserver. */
  readonly tooLargeWaitMs?: number;
  /** Events queued per watcher before it is closed as too slow. Default 100,000. */
  readonly watchQueueLimit?: number;
  /** Namespaces that exist from the start. Default default, kube-system, kube-public, kube-node-lease. */
  readonly namespaces?: readonly string[];
  /** `apply`/`loadObjects` create missing namespaces. Default true. */
  readonly autoNamespaces?: boolean;
  /** POST into a missing namespace is 404, like NamespaceLifecycle admission. Default true. */
  readonly enforceNamespaces?: boolean;
  /** Wall clock (creationTimestamp, table ages). Default Date.now. */
  readonly now?: () => number;
}

/** One served request, for assertions such as "never asked for secrets". */
export interface RequestRecord {
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly accept: string | undefined;
  readonly contentType: string | undefined;
  readonly userAgent: string | undefined;
  /** Response status, once the response started. */
  status: number | undefined;
}

/** A fault to inject: the next matching requests get `status` with a Status body. */
export interface FaultRule {
  readonly method?: string;
  readonly pathPrefix?: string;
  readonly status: number;
  /** How many requests it applies to. Default 1. */
  readonly times?: number;
}

export interface FakeApiserverStats {
  readonly feed: FeedStats;
  readonly watches: WatchStats;
  /** Requests answered with an injected fault. */
  faultsInjected: number;
  /** Unexpected handler failures answered with 500 (a bug in the fake). */
  internalErrors: number;
}

/**
 * An in-memory Kubernetes apiserver speaking the real HTTP protocol (list, watch, get, writes,
 * discovery, tables) on 127.0.0.1, with test controls for the faults a real one shows: compaction
 * (410), dropped and expired watches, slow streams, injected error statuses.
 */
export class FakeApiserver {
  readonly url: string;
  readonly port: number;
  /** Every request served, in arrival order. */
  readonly requests: RequestRecord[] = [];
  readonly stats: FakeApiserverStats;
  readonly #server: Server;
  readonly #ctx: ServerContext;
  readonly #feeder: Feeder;
  #faults: { rule: FaultRule; left: number }[] = [];
  readonly #inflight = new Set<Promise<void>>();

  constructor(server: Server, ctx: ServerContext, feeder: Feeder) {
    this.#server = server;
    this.#ctx = ctx;
    this.#feeder = feeder;
    this.port = (server.address() as AddressInfo).port;
    this.url = `http://127.0.0.1:${this.port}`;
    this.stats = { feed: feeder.stats, watches: ctx.watches.stats, faultsInjected: 0, internalErrors: 0 };
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      const p = this.#serve(req, res);
      this.#inflight.add(p);
      void p.finally(() => this.#inflight.delete(p));
    });
  }

  /** Writes a kubeconfig for this server (context `contextName`, default `sim`); resolves to its path. */
  kubeconfig(path: string, contextName = 'sim'): Promise<string> {
    return writeKubeconfig(path, this.url, contextName);
  }

  /** Serves one more resource (a CRD or an extra kind). Throws when it is already served or malformed. */
  registerResource(spec: ResourceSpec): ResourceInfo {
    return this.#ctx.registry.register(spec);
  }

  /** Feeds an object as a recording shows it; see Feeder.apply. Throws for unknown kinds. */
  apply(type: ChangeType, object: Json, options?: ApplyOptions): Json | undefined {
    const stored = this.#feeder.apply(type, object, options);
    const r = this.#ctx.registry.byKind(String(object.apiVersion), String(object.kind));
    return stored === undefined || r === undefined ? undefined : fullObject(r, stored);
  }

  /** Feeds without parsing the result back (bulk loads). Throws like apply. */
  applyQuiet(type: ChangeType, object: Json, options?: ApplyOptions): void {
    this.#feeder.apply(type, object, options);
  }

  /** Stores objects as pre-existing state with their own resourceVersions; see Feeder.preload. */
  preload(objects: readonly Json[]): number {
    return this.#feeder.preload(objects);
  }

  /** The stored object, or undefined. */
  get(apiVersion: string, kind: string, namespace: string | undefined, name: string): Json | undefined {
    const r = this.#ctx.registry.byKind(apiVersion, kind);
    const o = r === undefined ? undefined : this.#ctx.store.get(r, r.namespaced ? (namespace ?? 'default') : '', name);
    return r === undefined || o === undefined ? undefined : fullObject(r, o);
  }

  /** How many objects of a kind are stored. */
  count(apiVersion: string, kind: string): number {
    const r = this.#ctx.registry.byKind(apiVersion, kind);
    return r === undefined ? 0 : this.#ctx.store.count(r);
  }

  /** Forgets history up to `upToRv` (default: now): older resourceVersions get 410 from then on. */
  compact(upToRv?: number | string): void {
    this.#ctx.store.compact(upToRv === undefined ? undefined : Number(upToRv));
  }

  /** Aborts every open watch mid-stream (no clean end of the chunked body). */
  dropWatches(): void {
    this.#ctx.watches.dropAll();
  }

  /** Sends an in-stream 410 Expired ERROR event to every open watch, which then ends. */
  expireWatches(): void {
    this.#ctx.watches.expireAll(this.#ctx.store.horizon);
  }

  /** Ends every open watch cleanly, as an apiserver does when a watch times out. */
  endWatches(): void {
    this.#ctx.watches.endAll();
  }

  /** Injects a fault for the next matching request(s). */
  failNext(rule: FaultRule): void {
    this.#faults.push({ rule, left: Math.max(1, rule.times ?? 1) });
  }

  /** Delays every watch event by `delayMsPerEvent` (0 turns it off). */
  slowStreams(delayMsPerEvent: number): void {
    this.#ctx.settings.slowStreamMs = Math.max(0, delayMsPerEvent);
  }

  /** How a watch at a compacted resourceVersion is refused from now on. */
  setExpiredWatchMode(mode: ExpiredWatchMode): void {
    this.#ctx.settings.expiredWatch = mode;
  }

  /** A BOOKMARK at the current resourceVersion on every watch that allows bookmarks. */
  bookmarkNow(): void {
    this.#ctx.watches.bookmarkAll(this.#ctx.store.rv);
  }

  /** Open watch connections. */
  watchCount(): number {
    return this.#ctx.watches.count;
  }

  /** The current cluster-wide resourceVersion. */
  resourceVersion(): string {
    return String(this.#ctx.store.rv);
  }

  /** The compaction horizon: watches from an older resourceVersion get 410. */
  compactedResourceVersion(): string {
    return String(this.#ctx.store.horizon);
  }

  /** Stops listening, drops open connections and waits for handlers. Idempotent. */
  async close(): Promise<void> {
    if (!this.#server.listening) return;
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#ctx.watches.dropAll();
    this.#server.closeAllConnections();
    await Promise.allSettled([...this.#inflight]);
    await closed;
  }

  async #serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const record: RequestRecord = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      accept: req.headers.accept,
      contentType: req.headers['content-type'],
      userAgent: req.headers['user-agent'],
      status: undefined,
    };
    this.requests.push(record);
    const writeHead = res.writeHead.bind(res);
    res.writeHead = ((code: number, ...rest: unknown[]) => {
      record.status = code;
      return (writeHead as (c: number, ...r: unknown[]) => ServerResponse)(code, ...rest);
    }) as typeof res.writeHead;
    const ex: Exchange = { req, res, query: url.searchParams, accept: req.headers.accept };
    try {
      const fault = this.#takeFault(record.method, url.pathname);
      if (fault !== undefined) throw injected(fault);
      await this.#dispatch(ex, record.method, url.pathname);
    } catch (e: unknown) {
      if (e instanceof ApiError) sendError(res, e);
      else {
        this.stats.internalErrors++;
        sendError(res, new ApiError(500, 'InternalError', `Internal error occurred: ${(e as Error).message}`));
      }
    }
  }

  #takeFault(method: string, path: string): number | undefined {
    const hit = this.#faults.find(
      (f) =>
        (f.rule.method === undefined || f.rule.method.toUpperCase() === method) &&
        (f.rule.pathPrefix === undefined || path.startsWith(f.rule.pathPrefix)),
    );
    if (hit === undefined) return undefined;
    hit.left--;
    if (hit.left <= 0) this.#faults = this.#faults.filter((f) => f !== hit);
    this.stats.faultsInjected++;
    return hit.rule.status;
  }

  async #dispatch(ex: Exchange, method: string, path: string): Promise<void> {
    const rt = route(this.#ctx.registry, path);
    if (rt.type === 'unknown') {
      if (path.startsWith('/api')) throw pathNotFound();
      return handleDiscovery(this.#ctx, ex, path, `127.0.0.1:${this.port}`);
    }
    if (rt.type === 'discovery') {
      if (method !== 'GET') throw methodNotAllowed();
      return handleDiscovery(this.#ctx, ex, path, `127.0.0.1:${this.port}`);
    }
    return this.#resource(ex, method, rt);
  }

  #resource(ex: Exchange, method: string, rt: ResourceRoute): Promise<void> {
    const watch = rt.watchPrefix || ex.query.get('watch') === 'true' || ex.query.get('watch') === '1';
    const name = rt.name;
    switch (method) {
      case 'GET':
        if (watch) return handleWatch(this.#ctx, ex, rt);
        return name === undefined ? handleList(this.#ctx, ex, rt) : handleGet(this.#ctx, ex, rt, name);
      case 'POST':
        return handleCreate(this.#ctx, ex, rt);
      case 'PUT':
        if (name === undefined) throw methodNotAllowed();
        return handleReplace(this.#ctx, ex, rt, name);
      case 'PATCH':
        if (name === undefined) throw methodNotAllowed();
        return handlePatch(this.#ctx, ex, rt, name);
      case 'DELETE':
        return name === undefined ? handleDeleteCollection(this.#ctx, ex, rt) : handleDelete(this.#ctx, ex, rt, name);
      default:
        throw methodNotAllowed();
    }
  }
}

/**
 * Starts a fake apiserver on 127.0.0.1. Rejects when the port cannot be bound.
 */
export async function startFakeApiserver(options: FakeApiserverOptions = {}): Promise<FakeApiserver> {
  const settings: Settings = {
    bookmarkIntervalMs: options.bookmarkIntervalMs ?? 1000,
    expiredWatch: options.expiredWatch ?? 'in-stream',
    slowStreamMs: 0,
    tooLargeWaitMs: options.tooLargeWaitMs ?? 3000,
    enforceNamespaces: options.enforceNamespaces ?? true,
    watchQueueLimit: options.watchQueueLimit ?? 100_000,
  };
  const store = new ObjectStore({
    ...(options.initialResourceVersion === undefined ? {} : { initialResourceVersion: options.initialResourceVersion }),
    ...(options.historyCapacity === undefined ? {} : { historyCapacity: options.historyCapacity }),
  });
  const now = options.now ?? Date.now;
  const ctx: ServerContext = {
    registry: new ResourceRegistry(),
    store,
    settings,
    watches: new WatchHub(store, settings),
    now,
  };
  const nsr = ctx.registry.byPath('', 'v1', 'namespaces');
  for (const ns of options.namespaces ?? ['default', 'kube-system', 'kube-public', 'kube-node-lease'])
    if (nsr !== undefined) store.commit(nsr, 'ADDED', namespaceObject(ns, rfc3339(now())));
  const server = createServer();
  // Watches are long-lived; node's default request timeouts would cut them.
  server.requestTimeout = 0;
  server.headersTimeout = 60_000;
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return new FakeApiserver(server, ctx, new Feeder(ctx, options.autoNamespaces ?? true));
}
