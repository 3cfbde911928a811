// What informer.test.ts (against the fake apiserver) and informer-misbehaving-server.test.ts
// (against raw HTTP servers) share: the watched resource, a holder of what the informer
// delivered, and the informer as a test builds it.
import { Informer } from '../../../src/sources/watch/informer.js';
import type { InformerEvent, InformerOptions, KnownObject } from '../../../src/sources/watch/informer.js';
import type { KubeHttp } from '../../../src/sources/watch/kube-http.js';
import type { WatchedResource } from '../../../src/sources/watch/resources.js';

export const CONFIGMAPS: WatchedResource = {
  group: '',
  version: 'v1',
  resource: 'configmaps',
  kind: 'ConfigMap',
  namespaced: true,
  metadataOnly: false,
};

export const meta = (
  o: Record<string, unknown>,
): { uid: string; name: string; namespace: string; resourceVersion: string } =>
  o['metadata'] as { uid: string; name: string; namespace: string; resourceVersion: string };

/** What a caller of the informer holds: every event delivered (in order) and the current objects. */
export class Holder {
  readonly events: InformerEvent[] = [];
  readonly known = new Map<string, KnownObject>();
  /** Makes the next `n` deliveries fail (the journal append failing). */
  failNext = 0;
  failures = 0;

  constructor(readonly namespace: string) {}

  readonly onEvents = async (events: readonly InformerEvent[]): Promise<void> => {
    if (this.failNext > 0) {
      this.failNext--;
      this.failures++;
      throw new Error('journal append failed');
    }
    for (const e of events) {
      const m = meta(e.object);
      if (m.namespace !== this.namespace) continue;
      this.events.push(e);
      if (e.type === 'DELETED') this.known.delete(m.uid);
      else this.known.set(m.uid, { resourceVersion: m.resourceVersion, namespace: m.namespace, name: m.name });
    }
  };

  /** `TYPE name@rv` per delivered event, for exact comparisons. */
  lines(): string[] {
    return this.events.map((e) => `${e.type} ${meta(e.object).name}@${meta(e.object).resourceVersion}`);
  }

  names(): string[] {
    return [...this.known.values()].map((k) => k.name).sort();
  }
}

/** A configmaps informer feeding `holder`, with short backoffs and no jitter; `options` override. */
export function newInformer(http: KubeHttp, holder: Holder, options: Partial<InformerOptions> = {}): Informer {
  return new Informer({
    http,
    resource: CONFIGMAPS,
    known: () => holder.known,
    onEvents: holder.onEvents,
    logger: { info: () => undefined, warn: () => undefined },
    backoffInitialMs: 20,
    backoffMaxMs: 100,
    random: () => 0.5,
    ...options,
  });
}

export async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
