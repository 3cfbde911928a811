import type { ApiServer } from './api-server.js';
import type { EventLoop } from './event-loop.js';
import { Rng } from './rng.js';
import type { WatchHub } from './watch-hub.js';

/** What every simulated actor is constructed with. */
export interface SimContext {
  readonly loop: EventLoop;
  readonly api: ApiServer;
  readonly hub: WatchHub;
  readonly seed: number;
  /** Cluster name, mixed into every stream. */
  readonly streamPrefix: string;
}

/** A PRNG stream private to one actor, so its draws do not shift anyone else's. */
export function streamOf(ctx: SimContext, name: string): Rng {
  return new Rng(ctx.seed, `${ctx.streamPrefix}/${name}`);
}
