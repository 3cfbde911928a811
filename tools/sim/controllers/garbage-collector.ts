import type { WriteCtx } from '../engine/api-server.js';
import { controllerActor } from '../engine/identities.js';
import type { KObject } from '../engine/k8s-types.js';
import { idOf } from '../engine/object-table.js';
import type { Rng } from '../engine/rng.js';
import { streamOf, type SimContext } from '../engine/sim-context.js';
import { US_PER_MS } from '../engine/time-format.js';

/**
 * The garbage collector's background cascade: when an owner disappears, each dependent whose
 * owners are all gone is deleted (propagationPolicy Background, uid precondition).
 */
export class GarbageCollector {
  readonly #c: SimContext;
  readonly #rng: Rng;
  readonly #ctx: WriteCtx;

  constructor(c: SimContext) {
    this.#c = c;
    this.#rng = streamOf(c, 'generic-garbage-collector');
    this.#ctx = { actor: controllerActor('generic-garbage-collector', this.#rng) };
    c.hub.subscribe((type, obj, atUs) => {
      if (type !== 'DELETED') return;
      const uid = obj.metadata.uid ?? '';
      this.#c.loop.at(atUs + this.#rng.int(15, 250) * US_PER_MS, () => this.#collect(uid));
    });
  }

  #collect(ownerUid: string): void {
    for (const dep of this.#c.api.table.dependentsOf(ownerUid)) {
      if (dep.metadata.deletionTimestamp !== undefined || this.#hasLiveOwner(dep)) continue;
      this.#c.api.delete(idOf(dep), this.#ctx, {
        propagationPolicy: 'Background',
        preconditionUid: dep.metadata.uid ?? '',
      });
    }
  }

  #hasLiveOwner(dep: KObject): boolean {
    return (dep.metadata.ownerReferences ?? []).some((r) => this.#c.api.table.byUid(r.uid) !== undefined);
  }
}
