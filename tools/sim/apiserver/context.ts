import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ResourceRegistry } from './resources.js';
import type { ObjectStore } from './store.js';
import type { WatchHub } from './watch.js';

/** How a watch at a compacted resourceVersion is refused. */
export type ExpiredWatchMode = 'in-stream' | 'http';

/** Settings the handlers read on every request (tests may change them while the server runs). */
export interface Settings {
  /** Interval of BOOKMARK events on watches with allowWatchBookmarks=true. */
  bookmarkIntervalMs: number;
  expiredWatch: ExpiredWatchMode;
  /** Delay before each watch event is written (slowStreams). */
  slowStreamMs: number;
  /** How long a read at a future resourceVersion waits before 504 (apiserver: 3 s). */
  tooLargeWaitMs: number;
  /** Creating in a namespace that does not exist is refused with 404, like NamespaceLifecycle. */
  enforceNamespaces: boolean;
  /** Events queued for one watcher before it is terminated as too slow (the cacher's buffer). */
  watchQueueLimit: number;
}

/** Everything a request handler needs. */
export interface ServerContext {
  readonly registry: ResourceRegistry;
  readonly store: ObjectStore;
  readonly settings: Settings;
  readonly watches: WatchHub;
  /** Wall-clock time for creationTimestamp and table ages. */
  readonly now: () => number;
}

/** One request being served. */
export interface Exchange {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly query: URLSearchParams;
  readonly accept: string | undefined;
}
