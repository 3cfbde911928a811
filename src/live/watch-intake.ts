import type { IntakeLog, KvStore } from '../../storage/index.js';
import { Informer } from '../sources/watch/informer.js';
import type { InformerEvent, InformerLogger, InformerStatus, KnownObject } from '../sources/watch/informer.js';
import type { KubeHttp } from '../sources/watch/kube-http.js';
import { resourceId } from '../sources/watch/resources.js';
import type { WatchedResource } from '../sources/watch/resources.js';
import { UNSCOPED, scopedId, scopedInformers } from '../sources/watch/scope.js';
import type { WatchScope } from '../sources/watch/scope.js';
import { watchEntry } from './journal-entries.js';

// Resume points are written at most this often: a stale one only replays a few seconds of
// watch events, which the journal's dedupe drops.
const CHECKPOINT_EVERY_MS = 2_000;

export interface WatchIntakeOptions {
  readonly http: KubeHttp;
  readonly resources: readonly WatchedResource[];
  /** Namespaces and labels to watch (default: the whole cluster); one informer per listed namespace. */
  readonly scope?: WatchScope;
  readonly journal: IntakeLog;
  /** Where resume resourceVersions live (its own namespace). */
  readonly checkpoints: KvStore;
  /** Resume points the journal implies (`apiVersion/kind` → resourceVersion), used when newer than a checkpoint. */
  readonly resumeHints?: ReadonlyMap<string, string>;
  /** The objects synth holds of a kind (for relist diffs); Event kinds hold none. */
  readonly known: (kind: string) => Iterable<readonly [string, KnownObject]>;
  /** Called after entries were journaled (the pipeline drains them). */
  readonly onJournaled: () => void;
  readonly logger: InformerLogger & { error(obj: object, msg: string): void };
  readonly nowMs?: () => number;
  readonly random?: () => number;
  readonly backoffInitialMs?: number;
  readonly backoffMaxMs?: number;
  readonly watchTimeoutSeconds?: number;
}

/**
 * The object and Event source of `kubestitch run`: one supervised informer per resource, each
 * change appended to the journal (durable before the informer moves on), resume points
 * checkpointed so a restart watches on from where it stopped.
 */
export class WatchIntake {
  readonly #o: WatchIntakeOptions;
  readonly #informers: Informer[] = [];
  readonly #dirty = new Map<string, string>();
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> = Promise.resolve();

  private constructor(options: WatchIntakeOptions) {
    this.#o = options;
  }

  /**
   * Loads the resume points and starts every informer. Rejects only with the checkpoint store's
   * read error; apiserver failures are retried by the informers and show in `status()`.
   */
  static async start(options: WatchIntakeOptions): Promise<WatchIntake> {
    const intake = new WatchIntake(options);
    const targets = options.resources.flatMap((r) => scopedInformers(r, options.scope ?? UNSCOPED));
    for (const { resource, scope } of targets) {
      const id = scopedId(resourceId(resource), scope);
      const saved = await options.checkpoints.get(`rv/${id}`);
      const resume = newer(
        typeof saved === 'string' && saved !== '' ? saved : undefined,
        options.resumeHints?.get(
          `${resource.group === '' ? '' : `${resource.group}/`}${resource.version}/${resource.kind}`,
        ),
      );
      const informer = new Informer({
        http: options.http,
        resource,
        scope,
        ...(resume !== undefined ? { resourceVersion: resume } : {}),
        known: () => (resource.kind === 'Event' ? [] : options.known(resource.kind)),
        onEvents: (events) => intake.#journal(events),
        onResourceVersion: (rv) => intake.#dirty.set(id, rv),
        logger: options.logger,
        ...(options.nowMs !== undefined ? { nowMs: options.nowMs } : {}),
        ...(options.random !== undefined ? { random: options.random } : {}),
        ...(options.backoffInitialMs !== undefined ? { backoffInitialMs: options.backoffInitialMs } : {}),
        ...(options.backoffMaxMs !== undefined ? { backoffMaxMs: options.backoffMaxMs } : {}),
        ...(options.watchTimeoutSeconds !== undefined ? { watchTimeoutSeconds: options.watchTimeoutSeconds } : {}),
      });
      intake.#informers.push(informer);
    }
    for (const informer of intake.#informers) informer.start();
    intake.#timer = setInterval(() => void intake.#checkpoint(), CHECKPOINT_EVERY_MS);
    intake.#timer.unref();
    return intake;
  }

  /** Per-informer state for /readyz and metrics. */
  status(): InformerStatus[] {
    return this.#informers.map((i) => i.status());
  }

  /** True once every informer has listed (or resumed). */
  get synced(): boolean {
    return this.#informers.every((i) => i.status().synced);
  }

  /** Resolves once every informer has synced. */
  async waitSynced(): Promise<void> {
    await Promise.all(this.#informers.map((i) => i.synced()));
  }

  /** Stops every informer and writes the last resume points. Never rejects. */
  async stop(): Promise<void> {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    await Promise.all(this.#informers.map((i) => i.stop()));
    await this.#checkpoint();
  }

  async #journal(events: readonly InformerEvent[]): Promise<void> {
    const entries = events.map((e) => watchEntry(e.type, e.object, e.receivedMs, e.missedDelete === true));
    await this.#o.journal.append(entries);
    this.#o.onJournaled();
  }

  #checkpoint(): Promise<void> {
    this.#flushing = this.#flushing.then(async () => {
      if (this.#dirty.size === 0) return;
      const ops = [...this.#dirty].map(([id, rv]) => ({ type: 'put' as const, key: `rv/${id}`, value: rv }));
      this.#dirty.clear();
      try {
        await this.#o.checkpoints.batch(ops);
      } catch (err: unknown) {
        // Harmless beyond a longer replay after a restart; the next change writes it again.
        this.#o.logger.error({ err }, 'could not save watch resume points');
      }
    });
    return this.#flushing;
  }
}

// resourceVersions are opaque to clients, but etcd's are integers: the larger one is the later
// resume point. Non-numeric ones (other storage backends) keep the checkpoint.
function newer(checkpoint: string | undefined, hint: string | undefined): string | undefined {
  if (hint === undefined) return checkpoint;
  if (checkpoint === undefined) return hint;
  const a = Number(checkpoint);
  const b = Number(hint);
  return Number.isSafeInteger(a) && Number.isSafeInteger(b) && b > a ? hint : checkpoint;
}
