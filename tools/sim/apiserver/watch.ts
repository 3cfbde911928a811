import type { ServerResponse } from 'node:http';
import type { Settings } from './context.js';
import { drained } from './http-util.js';
import type { Rendering } from './media.js';
import { partialObject } from './media.js';
import { fullObject } from './render.js';
import type { ResourceInfo } from './resources.js';
import { apiVersionOf } from './resources.js';
import type { Selector } from './selectors.js';
import type { StatusBody } from './status.js';
import { failure } from './status.js';
import type { Change, ChangeType, ObjectStore, StoredObject } from './store.js';
import { withTypeMeta } from './store.js';
import type { TableOptions } from './table.js';
import { toTable } from './table.js';

type Json = Record<string, unknown>;

/** What one watch request asked for. */
export interface WatchSpec {
  readonly resource: ResourceInfo;
  readonly namespace: string | undefined;
  readonly name: string | undefined;
  readonly selectors: readonly Selector[];
  readonly rendering: Rendering;
  readonly table: TableOptions;
  readonly bookmarks: boolean;
  /** Ends the stream cleanly after this long (timeoutSeconds). */
  readonly timeoutMs: number | undefined;
}

/** Counters the fault tests read. */
export interface WatchStats {
  opened: number;
  /** Watchers whose queue overflowed (too slow) and were closed, as the cacher does. */
  terminatedSlow: number;
}

/**
 * One open watch response: events are filtered for the watcher, queued, and written one JSON
 * object per line on a chunked response, honouring socket back-pressure and the slowStreams delay.
 */
export class WatchConnection {
  readonly spec: WatchSpec;
  /** Resolves when the response is finished or the connection is gone. */
  readonly closed: Promise<void>;
  readonly #res: ServerResponse;
  readonly #settings: Settings;
  readonly #stats: WatchStats;
  #queue: string[] = [];
  #pumping = false;
  #ending = false;
  #tableHeaderSent = false;
  #timers: NodeJS.Timeout[] = [];

  constructor(res: ServerResponse, spec: WatchSpec, settings: Settings, stats: WatchStats, onClose: () => void) {
    this.#res = res;
    this.spec = spec;
    this.#settings = settings;
    this.#stats = stats;
    this.closed = new Promise((resolve) =>
      res.once('close', () => {
        for (const t of this.#timers) clearTimeout(t);
        onClose();
        resolve();
      }),
    );
    if (spec.timeoutMs !== undefined) this.#timers.push(setTimeout(() => this.end(), spec.timeoutMs).unref());
  }

  /** Starts periodic bookmarks read from `currentRv` (called once, after the initial events). */
  startBookmarks(currentRv: () => number): void {
    if (!this.spec.bookmarks) return;
    const timer = setInterval(() => this.bookmark(currentRv()), Math.max(1, this.#settings.bookmarkIntervalMs));
    timer.unref();
    this.#timers.push(timer);
  }

  /** Offers a committed change; queues the event this watcher should see, if any. */
  offer(c: Change): void {
    const s = this.spec;
    if (c.resource !== s.resource || this.#ending) return;
    if (s.namespace !== undefined && c.object.namespace !== s.namespace) return;
    if (s.name !== undefined && c.object.name !== s.name) return;
    const type = this.#typeFor(c);
    if (type !== undefined) this.send(type, c.object);
  }

  /** Queues one event for an object (initial ADDED events use this directly). */
  send(type: ChangeType, o: StoredObject): void {
    this.#enqueue(`{"type":"${type}","object":${this.#render(o)}}\n`);
  }

  /** Queues a BOOKMARK at `rv` (the object carries only kind, apiVersion and resourceVersion). */
  bookmark(rv: number, annotations?: Record<string, string>): void {
    if (!this.spec.bookmarks || this.#ending) return;
    const metadata: Json = { resourceVersion: String(rv), ...(annotations === undefined ? {} : { annotations }) };
    const r = this.spec.resource;
    let object: Json;
    if (this.spec.rendering === 'partial')
      object = { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata };
    else if (this.spec.rendering === 'table')
      object = { kind: 'Table', apiVersion: 'meta.k8s.io/v1', metadata, rows: [] };
    else object = { kind: r.kind, apiVersion: apiVersionOf(r), metadata };
    this.#enqueue(`${JSON.stringify({ type: 'BOOKMARK', object })}\n`);
  }

  /** Sends an ERROR event with `status`, then ends the stream (what the apiserver does on 410). */
  error(status: StatusBody): void {
    if (this.#ending) return;
    this.#enqueue(`${JSON.stringify({ type: 'ERROR', object: status })}\n`);
    this.end();
  }

  /** Ends the stream cleanly once the queued events are written. */
  end(): void {
    this.#ending = true;
    void this.#pump();
  }

  /** Aborts the connection mid-stream: no terminating chunk, the client sees a broken stream. */
  drop(): void {
    this.#ending = true;
    this.#queue = [];
    this.#res.socket?.destroy();
    this.#res.destroy();
  }

  #typeFor(c: Change): ChangeType | undefined {
    const sel = this.spec.selectors;
    if (sel.length === 0) return c.type;
    const r = this.spec.resource;
    const matches = (o: StoredObject | undefined): boolean => {
      if (o === undefined) return false;
      const full = fullObject(r, o);
      return sel.every((s) => s(full));
    };
    if (c.type !== 'MODIFIED') return matches(c.object) ? c.type : undefined;
    // An object moving into or out of the selection is ADDED or DELETED for this watcher.
    const before = matches(c.previous);
    const after = matches(c.object);
    if (before && after) return 'MODIFIED';
    if (after) return 'ADDED';
    if (before) return 'DELETED';
    return undefined;
  }

  #render(o: StoredObject): string {
    const r = this.spec.resource;
    if (this.spec.rendering === 'object') return withTypeMeta(r, o.body);
    if (this.spec.rendering === 'partial') return JSON.stringify(partialObject(fullObject(r, o)));
    const table = toTable(
      r,
      [fullObject(r, o)],
      { resourceVersion: String(o.rv) },
      { ...this.spec.table, noHeaders: this.#tableHeaderSent },
    );
    this.#tableHeaderSent = true;
    return JSON.stringify(table);
  }

  #enqueue(line: string): void {
    if (this.#ending) return;
    this.#queue.push(line);
    if (this.#queue.length > this.#settings.watchQueueLimit) {
      // The watch cache closes a watcher that cannot keep up; the client sees a clean end of stream.
      this.#stats.terminatedSlow++;
      this.#queue = [];
      this.end();
      return;
    }
    void this.#pump();
  }

  async #pump(): Promise<void> {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      while (this.#queue.length > 0 && !this.#res.destroyed) {
        const slowMs = this.#settings.slowStreamMs;
        if (slowMs > 0) await new Promise((resolve) => setTimeout(resolve, slowMs));
        const batch = slowMs > 0 ? this.#queue.splice(0, 1) : this.#takeBatch();
        if (this.#res.destroyed) break;
        if (!this.#res.write(batch.join(''))) await drained(this.#res);
      }
      if (this.#ending && this.#queue.length === 0 && !this.#res.destroyed && !this.#res.writableEnded) this.#res.end();
    } finally {
      this.#pumping = false;
    }
  }

  /** Up to ~1 MiB of queued lines, so a 100k-object initial state is written in pieces. */
  #takeBatch(): string[] {
    let size = 0;
    let n = 0;
    while (n < this.#queue.length && size < 1 << 20) size += this.#queue[n++]?.length ?? 0;
    return this.#queue.splice(0, n);
  }
}

/** All open watches; fans each committed change out to them in commit order. */
export class WatchHub {
  readonly stats: WatchStats = { opened: 0, terminatedSlow: 0 };
  readonly #conns = new Set<WatchConnection>();
  readonly #settings: Settings;

  constructor(store: ObjectStore, settings: Settings) {
    this.#settings = settings;
    store.subscribe((c) => {
      for (const conn of this.#conns) conn.offer(c);
    });
  }

  /** Registers a watch on an already-started (200, chunked) response. */
  open(res: ServerResponse, spec: WatchSpec): WatchConnection {
    const conn = new WatchConnection(res, spec, this.#settings, this.stats, () => this.#conns.delete(conn));
    this.#conns.add(conn);
    this.stats.opened++;
    return conn;
  }

  get count(): number {
    return this.#conns.size;
  }

  all(): WatchConnection[] {
    return [...this.#conns];
  }

  dropAll(): void {
    for (const c of this.all()) c.drop();
  }

  /** An in-stream 410 Expired to every open watch, each then ends. */
  expireAll(horizon: number): void {
    for (const c of this.all())
      c.error(failure(410, 'Expired', `The resourceVersion for the provided watch is too old. (${horizon})`));
  }

  bookmarkAll(rv: number): void {
    for (const c of this.all()) c.bookmark(rv);
  }

  endAll(): void {
    for (const c of this.all()) c.end();
  }
}
