import type { JsonObject } from '../../model/kube-json.js';
import { isObject, str } from '../../model/kube-json.js';
import type { WatchType } from '../../model/records.js';
import { RejectionCounts, checkRecord } from '../input-boundary.js';
import { KubeApiError, watchErrorOf } from './kube-http.js';
import type { KubeHttp, WatchEnd, WatchStream } from './kube-http.js';
import { collectionPath, resourceId } from './resources.js';
import type { WatchedResource } from './resources.js';
import { namespaceInScope, scopeQuery, scopedId } from './scope.js';
import type { InformerScope } from './scope.js';

/** What an informer hands on: a change of one object, with when we received it. */
export interface InformerEvent {
  readonly type: WatchType;
  readonly object: JsonObject;
  readonly receivedMs: number;
  /**
   * A DELETED that a relist found (the object is gone from the list): the informer has no last
   * state of it, only its identity; `lastSeen` resolves it from the caller's own history.
   */
  readonly missedDelete?: boolean;
}

/** The last version of an object the caller has applied (for relist diffs). */
export interface KnownObject {
  readonly resourceVersion: string;
  readonly namespace: string;
  readonly name: string;
}

export type InformerPhase = 'starting' | 'listing' | 'watching' | 'backoff' | 'stopped';

/** Health of one informer, for /readyz and metrics. */
export interface InformerStatus {
  readonly resource: string;
  readonly phase: InformerPhase;
  /** True once the first list completed (the caller has the whole current state). */
  readonly synced: boolean;
  readonly resourceVersion: string | undefined;
  readonly lists: number;
  readonly relistsOn410: number;
  readonly restarts: number;
  readonly events: number;
  readonly badLines: number;
  /** The bad lines by reason (input-boundary's reasonKey: `too deep`, `not JSON`, …). */
  readonly rejected: Readonly<Record<string, number>>;
  readonly lastError: string | undefined;
  readonly lastEventMs: number | undefined;
  /** When the last list (initial or relist) completed. */
  readonly lastListMs: number | undefined;
}

/** Logger subset (pino-compatible). */
export interface InformerLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface InformerOptions {
  readonly http: KubeHttp;
  readonly resource: WatchedResource;
  /** One namespace, excluded namespaces, a label selector (see scope.ts). Default: the whole cluster. */
  readonly scope?: InformerScope;
  /** Resume point from a checkpoint: watch from here first (410 → relist). */
  readonly resourceVersion?: string;
  /** The objects of this resource the caller holds (uid → version), for the relist diff. */
  readonly known: () => Iterable<readonly [string, KnownObject]>;
  /**
   * Receives changes in order. Awaited before more are delivered: it is the durability boundary
   * (the live journal append), and its pace is the informer's backpressure. A rejection is
   * treated like a watch failure: back off, then resume from the last delivered version.
   */
  readonly onEvents: (events: readonly InformerEvent[]) => Promise<void>;
  /** A new resume point, after everything before it was delivered (bookmarks too). */
  readonly onResourceVersion?: (rv: string) => void;
  readonly logger: InformerLogger;
  readonly nowMs?: () => number;
  readonly random?: () => number;
  /** Backoff after a failure: full jitter in [0, min(max, initial·2ⁿ)]. Defaults 500 ms / 30 s. */
  readonly backoffInitialMs?: number;
  readonly backoffMaxMs?: number;
  /** List page size (`limit`). Default 500, as client-go's reflector. */
  readonly pageSize?: number;
  /** Server-side watch timeout, randomized in [t, 2t) like client-go so watches do not expire in lockstep. Default 300 s. */
  readonly watchTimeoutSeconds?: number;
}

const PARTIAL_LIST =
  'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1beta1,application/json';
const PARTIAL_OBJECT =
  'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1beta1,application/json';
// A stream that was healthy this long resets the backoff.
const HEALTHY_MS = 10_000;
// A watch the server ends cleanly within this long without a single usable event (we ask for
// bookmarks) is a failure, as client-go's "very short watch": re-watching at once would spin against a proxy
// or apiserver that closes every watch. Real elapsed time, not the injected receive-time clock.
const SHORT_WATCH_MS = 1_000;
const WATCH_TYPES: ReadonlySet<string> = new Set(['ADDED', 'MODIFIED', 'DELETED']);
// Lines queued behind a journal write before the watch connection is paused.
const HIGH_WATER = 1_000;

/** Held objects a relist no longer finds: deleted while we were not watching. */
function missedDeletes(
  r: WatchedResource,
  known: ReadonlyMap<string, KnownObject>,
  seen: ReadonlySet<string>,
  receivedMs: number,
): InformerEvent[] {
  const apiVersion = r.group === '' ? r.version : `${r.group}/${r.version}`;
  return [...known]
    .filter(([uid]) => !seen.has(uid))
    .map(([uid, held]) => ({
      type: 'DELETED' as const,
      missedDelete: true,
      receivedMs,
      object: {
        apiVersion,
        kind: r.kind,
        metadata: {
          uid,
          name: held.name,
          resourceVersion: held.resourceVersion,
          ...(held.namespace !== '' ? { namespace: held.namespace } : {}),
        },
      },
    }));
}

/**
 * List + watch of one resource, supervised (DESIGN §2): resumes from the last delivered
 * resourceVersion, relists on 410 Gone (HTTP or in-stream) and diffs the list against what the
 * caller holds — objects gone meanwhile become DELETED (`missedDelete`) — and restarts after any
 * other failure with capped, jittered exponential backoff, forever, until `stop()`. It keeps no
 * object cache: the caller's `known()` view is the state the relist is compared with.
 */
export class Informer {
  readonly #o: InformerOptions;
  readonly #id: string;
  readonly #nowMs: () => number;
  readonly #random: () => number;
  #rv: string | undefined;
  #phase: InformerPhase = 'starting';
  #synced = false;
  #stopped = false;
  #stream: WatchStream | undefined;
  #listAbort: AbortController | undefined;
  #wake: (() => void) | undefined;
  #failures = 0;
  #counts = { lists: 0, relistsOn410: 0, restarts: 0, events: 0, badLines: 0 };
  readonly #rejected = new RejectionCounts();
  #lastError: string | undefined;
  #lastEventMs: number | undefined;
  #lastListMs: number | undefined;
  #loop: Promise<void> | undefined;
  #syncedWaiters: (() => void)[] = [];

  constructor(options: InformerOptions) {
    this.#o = options;
    this.#id = scopedId(resourceId(options.resource), options.scope ?? {});
    this.#nowMs = options.nowMs ?? Date.now;
    this.#random = options.random ?? Math.random;
    this.#rv = options.resourceVersion;
    // A resumed informer already holds the state (the caller restored it); it is synced.
    if (this.#rv !== undefined) this.#synced = true;
  }

  /** Starts the supervised loop (idempotent). */
  start(): void {
    this.#loop ??= this.#run();
  }

  /** Resolves once the first list (or a resume) has delivered the current state. */
  synced(): Promise<void> {
    if (this.#synced) return Promise.resolve();
    return new Promise((resolve) => this.#syncedWaiters.push(resolve));
  }

  /**
   * Stops watching (an open watch or list request is aborted, a backoff cut short); resolves when
   * the loop has ended (events in delivery finish first). Never rejects; idempotent.
   */
  async stop(): Promise<void> {
    this.#stopped = true;
    // A list can hang up to its timeout (an unreachable apiserver); shutdown must not wait for it.
    this.#listAbort?.abort();
    this.#stream?.close();
    this.#wake?.();
    await this.#loop;
    this.#phase = 'stopped';
  }

  status(): InformerStatus {
    return {
      resource: this.#id,
      phase: this.#phase,
      synced: this.#synced,
      resourceVersion: this.#rv,
      ...this.#counts,
      rejected: this.#rejected.snapshot(),
      lastError: this.#lastError,
      lastEventMs: this.#lastEventMs,
      lastListMs: this.#lastListMs,
    };
  }

  async #run(): Promise<void> {
    while (!this.#stopped) {
      const startedMs = this.#nowMs();
      try {
        if (this.#rv === undefined) await this.#list();
        if (this.#stopped) break;
        await this.#watch();
        this.#failures = 0;
      } catch (err: unknown) {
        if (this.#stopped) break;
        const error = err instanceof Error ? err : new Error(String(err));
        this.#lastError = error.message;
        if (error instanceof KubeApiError && error.expired) {
          this.#counts.relistsOn410++;
          this.#o.logger.info({ resource: this.#id, rv: this.#rv }, 'resourceVersion expired (410); relisting');
          this.#rv = undefined;
          continue;
        }
        if (this.#nowMs() - startedMs >= HEALTHY_MS) this.#failures = 0;
        this.#counts.restarts++;
        const delay = this.#backoff();
        this.#o.logger.warn({ resource: this.#id, err: error.message, retryInMs: delay }, 'informer failed; retrying');
        this.#phase = 'backoff';
        await this.#sleep(delay);
      }
    }
    this.#phase = 'stopped';
  }

  #backoff(): number {
    const initial = this.#o.backoffInitialMs ?? 500;
    const max = this.#o.backoffMaxMs ?? 30_000;
    const cap = Math.min(max, initial * 2 ** Math.min(this.#failures, 30));
    this.#failures++;
    return Math.floor(this.#random() * cap);
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = done;
    });
  }

  // Paginated list; the whole list is one consistent snapshot (the continue token pins its RV).
  // Compared with what the caller holds: new or changed objects are delivered as ADDED/MODIFIED,
  // unchanged ones not at all, and held objects missing from the list as missed deletes.
  async #list(): Promise<void> {
    this.#phase = 'listing';
    this.#counts.lists++;
    const r = this.#o.resource;
    const seen = new Set<string>();
    // What the caller held before this list, in this informer's scope: what the list is compared
    // with (another namespace's informer lists the rest).
    const scope = this.#o.scope ?? {};
    const known = new Map([...this.#o.known()].filter(([, k]) => namespaceInScope(k.namespace, scope)));
    let cont: string | undefined;
    let listRv = '';
    const pageSize = String(this.#o.pageSize ?? 500);
    const abort = new AbortController();
    this.#listAbort = abort;
    do {
      const query: Record<string, string> = { limit: pageSize, ...scopeQuery(scope) };
      if (cont !== undefined) query['continue'] = cont;
      const page = await this.#o.http.getJson(
        collectionPath(r, scope.namespace),
        query,
        r.metadataOnly ? PARTIAL_LIST : 'application/json',
        abort.signal,
      );
      if (this.#stopped) return;
      if (!isObject(page) || !Array.isArray(page['items'])) throw new Error(`list ${this.#id}: not a List`);
      listRv = str(page, 'metadata', 'resourceVersion') ?? listRv;
      cont = str(page, 'metadata', 'continue') || undefined;
      const events = this.#listedChanges(page['items'] as unknown[], known, seen);
      if (events.length > 0) await this.#deliver(events);
    } while (cont !== undefined && !this.#stopped);
    if (this.#stopped) return;
    const gone = missedDeletes(r, known, seen, this.#nowMs());
    if (gone.length > 0) await this.#deliver(gone);
    this.#lastListMs = this.#nowMs();
    this.#setRv(listRv);
    this.#markSynced();
  }

  // One page's objects against what the caller holds: new ones ADDED, changed ones MODIFIED,
  // unchanged ones nothing. Each listed uid goes into `seen`, even one refused at the boundary
  // (it is still there: it must not look deleted).
  #listedChanges(
    items: readonly unknown[],
    known: ReadonlyMap<string, KnownObject>,
    seen: Set<string>,
  ): InformerEvent[] {
    const receivedMs = this.#nowMs();
    const events: InformerEvent[] = [];
    for (const item of items) {
      if (!isObject(item)) continue;
      const object = this.#complete(item);
      const uid = str(object, 'metadata', 'uid');
      if (uid === undefined || !this.#inScope(object)) continue;
      seen.add(uid);
      const problem = checkRecord(object, receivedMs);
      if (problem !== undefined) {
        this.#badLine('', problem);
        continue;
      }
      const held = known.get(uid);
      if (held !== undefined && held.resourceVersion === str(object, 'metadata', 'resourceVersion')) continue;
      events.push({ type: held === undefined ? 'ADDED' : 'MODIFIED', object, receivedMs });
    }
    return events;
  }

  #markSynced(): void {
    if (this.#synced) return;
    this.#synced = true;
    for (const w of this.#syncedWaiters.splice(0)) w();
  }

  async #deliver(events: readonly InformerEvent[]): Promise<void> {
    this.#counts.events += events.length;
    this.#lastEventMs = this.#nowMs();
    await this.#o.onEvents(events);
  }

  #setRv(rv: string): void {
    if (rv === '' || rv === this.#rv) return;
    this.#rv = rv;
    this.#o.onResourceVersion?.(rv);
  }

  // List items omit kind/apiVersion; metadata-only objects name PartialObjectMetadata instead.
  #complete(item: JsonObject): JsonObject {
    const r = this.#o.resource;
    const kind = str(item, 'kind');
    if (kind === r.kind) return item;
    return { ...item, apiVersion: r.group === '' ? r.version : `${r.group}/${r.version}`, kind: r.kind };
  }

  // One watch stream from #rv. Lines are handled strictly in order; the stream resolves when it
  // ends cleanly (timeoutSeconds) and rejects on errors (410 included).
  #watch(): Promise<void> {
    this.#phase = 'watching';
    const r = this.#o.resource;
    const base = this.#o.watchTimeoutSeconds ?? 300;
    const timeout = Math.floor(base * (1 + this.#random()));
    const query: Record<string, string> = {
      ...scopeQuery(this.#o.scope ?? {}),
      allowWatchBookmarks: 'true',
      timeoutSeconds: String(timeout),
      ...(this.#rv !== undefined ? { resourceVersion: this.#rv } : {}),
    };
    const startedMs = performance.now();
    let usable = 0;
    return new Promise((resolve, reject) => {
      let chain = Promise.resolve();
      let failed: Error | undefined;
      // Lines wait here while the previous batch is being journaled; they go on together, as one
      // delivery (one durable write for many changes). Past HIGH_WATER the connection is paused,
      // so a burst the journal cannot keep up with waits in the apiserver, not in our heap.
      let queue: { line: string; receivedMs: number }[] = [];
      let draining = false;
      const fail = (error: Error): void => {
        failed ??= error;
        this.#stream?.close();
      };
      const drain = (): void => {
        if (draining) return;
        draining = true;
        chain = chain.then(async () => {
          while (queue.length > 0 && failed === undefined && !this.#stopped) {
            const lines = queue;
            queue = [];
            this.#stream?.resume();
            try {
              usable += await this.#onLines(lines);
            } catch (err: unknown) {
              fail(err instanceof Error ? err : new Error(String(err)));
            }
          }
          queue = [];
          draining = false;
        });
      };
      const onLine = (line: string): void => {
        // The receive time is taken here: a line waiting behind a journal write arrived earlier.
        queue.push({ line, receivedMs: this.#nowMs() });
        if (queue.length >= HIGH_WATER) this.#stream?.pause();
        drain();
      };
      const onEnd = (end: WatchEnd): void => {
        void chain.then(() => {
          this.#stream = undefined;
          if (failed !== undefined) reject(failed);
          else if (end.kind === 'error') reject(end.error);
          else if (end.kind === 'closed' && usable === 0 && performance.now() - startedMs < SHORT_WATCH_MS)
            reject(new Error('the apiserver ended the watch at once, without any event'));
          else resolve();
        });
      };
      this.#stream = this.#o.http.watch(
        collectionPath(r, this.#o.scope?.namespace),
        query,
        r.metadataOnly ? PARTIAL_OBJECT : 'application/json',
        (timeout + 60) * 1000,
        onLine,
        onEnd,
      );
    });
  }

  // Handles lines in order, delivering runs of changes as one batch; resolves to how many were
  // usable (changes and bookmarks). Rejects on an ERROR event, after delivering what preceded it.
  async #onLines(lines: readonly { line: string; receivedMs: number }[]): Promise<number> {
    let usable = 0;
    let batch: InformerEvent[] = [];
    const flush = async (): Promise<void> => {
      if (batch.length === 0) return;
      const events = batch;
      batch = [];
      await this.#deliver(events);
      this.#markSynced();
      this.#setRv(str(events.at(-1)?.object, 'metadata', 'resourceVersion') ?? '');
    };
    for (const { line, receivedMs } of lines) {
      let event: unknown;
      try {
        event = JSON.parse(line);
      } catch {
        this.#badLine(line, 'not JSON');
        continue;
      }
      if (!isObject(event) || !isObject(event['object'])) {
        this.#badLine(line, 'not a watch event');
        continue;
      }
      const type = str(event, 'type') ?? '';
      const object = event['object'];
      if (type === 'ERROR') {
        await flush();
        throw watchErrorOf(object);
      }
      if (type === 'BOOKMARK') {
        await flush();
        this.#markSynced();
        this.#setRv(str(object, 'metadata', 'resourceVersion') ?? '');
        usable++;
        continue;
      }
      if (!WATCH_TYPES.has(type)) {
        this.#badLine(line, `unknown watch event type: ${type}`);
        continue;
      }
      const problem = checkRecord(object, receivedMs);
      if (problem !== undefined) {
        this.#badLine(line, problem);
        continue;
      }
      usable++;
      if (!this.#inScope(object)) continue;
      batch.push({ type: type as WatchType, object: this.#complete(object), receivedMs });
    }
    await flush();
    return usable;
  }

  // The server filters by the scope; this catches a proxy or apiserver that ignored a selector.
  #inScope(object: JsonObject): boolean {
    return this.#o.scope === undefined || namespaceInScope(str(object, 'metadata', 'namespace') ?? '', this.#o.scope);
  }

  #badLine(line: string, reason: string): void {
    this.#counts.badLines++;
    this.#rejected.add(reason);
    // Counted and logged without its content: a line can hold data that must not reach logs.
    this.#o.logger.warn({ resource: this.#id, reason, bytes: line.length }, 'skipping unusable watch line');
  }
}
