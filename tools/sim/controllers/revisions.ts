import type { ApiServer, WriteCtx } from '../engine/api-server.js';
import { computeHash } from '../engine/hash.js';
import type { KObject, PodTemplate } from '../engine/k8s-types.js';
import { controllerRef, isControlledBy } from '../engine/object-ref.js';

type ControllerRevision = KObject & { revision: number };

/**
 * Finds or creates the ControllerRevision for `owner`'s current template (StatefulSet,
 * DaemonSet), returning its hash and name (`<owner>-<hash>`) and revision number.
 */
export function ensureRevision(
  api: ApiServer,
  ctx: WriteCtx,
  owner: KObject & { spec: { template: PodTemplate; selector: { matchLabels: Record<string, string> } } },
): { hash: string; name: string; revision: number } {
  const hash = computeHash(owner.spec.template);
  const name = `${owner.metadata.name ?? ''}-${hash}`;
  const ns = owner.metadata.namespace ?? '';
  const mine = api.table
    .list<ControllerRevision>('apps/v1', 'ControllerRevision', ns)
    .filter((r) => isControlledBy(r, owner.metadata.uid));
  const found = mine.find((r) => r.metadata.name === name);
  if (found !== undefined) return { hash, name, revision: found.revision };
  const revision = Math.max(0, ...mine.map((r) => r.revision)) + 1;
  api.create(
    {
      kind: 'ControllerRevision',
      apiVersion: 'apps/v1',
      metadata: {
        name,
        namespace: ns,
        creationTimestamp: null,
        labels: { ...owner.spec.selector.matchLabels, 'controller.kubernetes.io/hash': hash },
        ownerReferences: [controllerRef(owner)],
      },
      data: { spec: { template: { ...owner.spec.template, $patch: 'replace' } } },
      revision,
    },
    ctx,
  );
  return { hash, name, revision };
}
