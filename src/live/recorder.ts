import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { LRUCache } from 'lru-cache';
import { Informer } from '../sources/watch/informer.js';
import type { InformerEvent, InformerLogger, InformerStatus } from '../sources/watch/informer.js';
import type { KubeHttp } from '../sources/watch/kube-http.js';
import type { WatchedResource } from '../sources/watch/resources.js';
import { UNSCOPED, scopedInformers } from '../sources/watch/scope.js';
import type { WatchScope } from '../sources/watch/scope.js';
import { watchLine } from './journal-entries.js';

export interface RecorderOptions {
  readonly http: KubeHttp;
  readonly dir: string;
  readonly resources: readonly WatchedResource[];
  /** Namespaces and labels to record (default: the whole cluster). */
  readonly scope?: WatchScope;
  readonly logger: InformerLogger;
  readonly nowMs?: () => number;
  readonly backoffInitialMs?: number;
  readonly backoffMaxMs?: number;
}

/** Lines written so far, per file. */
export interface RecorderStats {
  watchLines: number;
  eventLines: number;
  /** Events received through both Event APIs, written once. */
  duplicateEvents: number;
}

/**
 * `kubestitch record`: captures a live cluster into the recording format (DESIGN §2) — watch
 * events of objects in `watch.jsonl`, of Events in `events.jsonl`, each with its receive time
 * `ts` — so anyone can replay it (`kubestitch replay DIR`). The same redaction as the live journal
 * applies: Secret data and ConfigMap values never reach the files, managedFields only summarized
 * (withManagedFieldsSummary: who wrote, how, when, whether spec; no field names). Informers are
 * supervised as in `run` (backoff, relist on 410: a relist re-lists every object as ADDED).
 */
export class Recorder {
  readonly stats: RecorderStats = { watchLines: 0, eventLines: 0, duplicateEvents: 0 };
  // A real apiserver serves each Event through both Event APIs (same uid and resourceVersion):
  // the recording keeps one copy.
  readonly #seenEvents = new LRUCache<string, true>({ max: 100_000 });
  readonly #informers: Informer[];
  readonly #watch: WriteStream;
  readonly #events: WriteStream;
  // The first write error of a file: a write stream reports it once and then drops every later
  // line silently, so it is kept, fails each later delivery and ends the recording (failed()).
  #writeError: Error | undefined;
  readonly #failed: Promise<Error>;

  private constructor(options: RecorderOptions, watch: WriteStream, events: WriteStream) {
    this.#watch = watch;
    this.#events = events;
    let fail: (error: Error) => void = () => undefined;
    this.#failed = new Promise((resolve) => (fail = resolve));
    for (const stream of [watch, events]) {
      stream.on('error', (err: Error) => {
        this.#writeError ??= new Error(`cannot write ${String(stream.path)}: ${err.message}`);
        fail(this.#writeError);
      });
    }
    this.#informers = options.resources
      .flatMap((r) => scopedInformers(r, options.scope ?? UNSCOPED))
      .map(
        ({ resource, scope }) =>
          new Informer({
            http: options.http,
            resource,
            scope,
            known: () => [],
            onEvents: (events) => this.#write(events),
            logger: options.logger,
            ...(options.nowMs !== undefined ? { nowMs: options.nowMs } : {}),
            ...(options.backoffInitialMs !== undefined ? { backoffInitialMs: options.backoffInitialMs } : {}),
            ...(options.backoffMaxMs !== undefined ? { backoffMaxMs: options.backoffMaxMs } : {}),
          }),
      );
  }

  /**
   * Creates `dir` (appending to recording files already there) and starts recording. Rejects when
   * the directory or files cannot be created.
   */
  static async start(options: RecorderOptions): Promise<Recorder> {
    await mkdir(options.dir, { recursive: true });
    const open = async (name: string): Promise<WriteStream> => {
      const s = createWriteStream(join(options.dir, name), { flags: 'a' });
      await new Promise<void>((resolve, reject) => {
        s.once('open', () => resolve());
        s.once('error', reject);
      });
      return s;
    };
    const recorder = new Recorder(options, await open('watch.jsonl'), await open('events.jsonl'));
    for (const i of recorder.#informers) i.start();
    return recorder;
  }

  /**
   * Resolves with the first error writing a recording file (disk full, file system gone): the
   * recording is incomplete from there on and should be stopped. Pending while writes succeed.
   */
  failed(): Promise<Error> {
    return this.#failed;
  }

  status(): InformerStatus[] {
    return this.#informers.map((i) => i.status());
  }

  /** Resolves once every informer has its first list. */
  async waitSynced(): Promise<void> {
    await Promise.all(this.#informers.map((i) => i.synced()));
  }

  /** Stops the informers and closes the files (everything received is written). Never rejects. */
  async stop(): Promise<void> {
    await Promise.all(this.#informers.map((i) => i.stop()));
    await Promise.all([this.#watch, this.#events].map((s) => new Promise<void>((resolve) => s.end(() => resolve()))));
  }

  async #write(events: readonly InformerEvent[]): Promise<void> {
    for (const e of events) {
      if (this.#writeError !== undefined) throw this.#writeError;
      const isEvent = e.object['kind'] === 'Event';
      if (isEvent) {
        const meta = e.object['metadata'] as { uid?: unknown; resourceVersion?: unknown } | undefined;
        const key = `${String(meta?.uid)}:${String(meta?.resourceVersion)}`;
        if (this.#seenEvents.has(key)) {
          this.stats.duplicateEvents++;
          continue;
        }
        this.#seenEvents.set(key, true);
        this.stats.eventLines++;
      } else this.stats.watchLines++;
      const stream = isEvent ? this.#events : this.#watch;
      const line = `${JSON.stringify(watchLine(e.type, e.object, e.receivedMs))}\n`;
      // Backpressure: a slow disk slows the informer down instead of buffering without bound.
      // A stream that fails never drains: the error ends the wait too.
      if (!stream.write(line)) {
        await new Promise<void>((resolve) => {
          const done = (): void => {
            stream.off('drain', done);
            stream.off('error', done);
            resolve();
          };
          stream.on('drain', done);
          stream.on('error', done);
        });
      }
    }
  }
}
