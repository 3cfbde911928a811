import type { KObject } from './k8s-types.js';
import type { WatchHub } from './watch-hub.js';
import type { WorkQueue } from './work-queue.js';

/** `namespace/name`, the work-queue key of a namespaced object. */
export function keyOf(o: KObject): string {
  return `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;
}

/**
 * The informer wiring every workload controller has: queue an object of `kind` when it is added
 * or changed, and queue its controller when one of the `childKind` objects it controls changes.
 */
export function queueOwnAndOwned(
  hub: WatchHub,
  queue: WorkQueue,
  kind: string,
  childKind: string,
  ownOnlyOnAdd = false,
): void {
  hub.subscribe((type, obj, atUs) => {
    if (obj.kind === kind && (type === 'ADDED' || (type === 'MODIFIED' && !ownOnlyOnAdd))) queue.add(keyOf(obj), atUs);
    if (obj.kind !== childKind) return;
    const owner = obj.metadata.ownerReferences?.find((r) => r.controller === true && r.kind === kind);
    if (owner !== undefined) queue.add(`${obj.metadata.namespace ?? ''}/${owner.name}`, atUs);
  });
}
