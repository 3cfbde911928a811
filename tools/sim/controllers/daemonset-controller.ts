import type { DaemonSet, Node, Pod, Toleration } from '../engine/k8s-types.js';
import { controllerRef, referenceTo } from '../engine/object-ref.js';
import { idOf } from '../engine/object-table.js';
import type { SimContext } from '../engine/sim-context.js';
import { admitPod, podFromTemplate } from '../objects/pod-builder.js';
import { isReady } from './pod-util.js';
import { ensureRevision } from './revisions.js';
import { type PodOwnerWiring, wirePodOwner } from './pod-owner-wiring.js';

const NAME = 'daemon-set-controller';

const DS_TOLERATIONS: readonly Toleration[] = [
  { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
];

/**
 * pkg/controller/daemon: one pod per node (pinned with a metadata.name node affinity and the
 * daemon tolerations), RollingUpdate within maxUnavailable (deleting outdated pods, unavailable
 * ones first, and creating the replacement as soon as the old pod is terminating).
 */
export class DaemonSetController {
  readonly #c: SimContext;
  readonly #w: PodOwnerWiring;

  constructor(c: SimContext) {
    this.#c = c;
    this.#w = wirePodOwner(c, NAME, 'DaemonSet', (key) => this.#sync(key));
  }

  #sync(key: string): void {
    const [namespace = '', name = ''] = key.split('/');
    const ds = this.#c.api.get<DaemonSet>({ apiVersion: 'apps/v1', kind: 'DaemonSet', namespace, name });
    if (ds === undefined || ds.metadata.deletionTimestamp !== undefined) return;
    const { hash } = ensureRevision(this.#c.api, this.#w.ctx, ds);
    const nodes = this.#c.api.table.list<Node>('v1', 'Node').map((n) => n.metadata.name ?? '');
    const podsOn = (node: string): Pod[] =>
      this.#c.api.table.controlledBy<Pod>(ds.metadata.uid, 'Pod').filter((p) => nodeOf(p) === node);
    for (const node of nodes) {
      if (!podsOn(node).some((p) => p.metadata.deletionTimestamp === undefined)) this.#createPod(ds, node, hash);
    }
    this.#rollingUpdate(ds, nodes, podsOn, hash);
    this.#writeStatus(ds, nodes, podsOn, hash);
  }

  #rollingUpdate(ds: DaemonSet, nodes: string[], podsOn: (n: string) => Pod[], hash: string): void {
    const maxUnavailable = Number(ds.spec.updateStrategy.rollingUpdate?.maxUnavailable ?? 1);
    const live = nodes.map((n) => podsOn(n).find((p) => p.metadata.deletionTimestamp === undefined));
    const unavailable = live.filter((p) => p === undefined || !isReady(p)).length;
    const outdated = live.filter(
      (p): p is Pod => p !== undefined && p.metadata.labels?.['controller-revision-hash'] !== hash,
    );
    outdated.sort((a, b) => Number(isReady(a)) - Number(isReady(b)) || nodeOf(a).localeCompare(nodeOf(b)));
    let budget = maxUnavailable - unavailable;
    for (const p of outdated) {
      if (isReady(p) && budget <= 0) break;
      if (isReady(p)) budget--;
      if (this.#c.api.delete(idOf(p), this.#w.ctx) === undefined) continue;
      this.#w.events.record(referenceTo(ds), 'Normal', 'SuccessfulDelete', `Deleted pod: ${p.metadata.name ?? ''}`);
      this.#createPod(ds, nodeOf(p), hash);
    }
  }

  #createPod(ds: DaemonSet, node: string, hash: string): void {
    const body = podFromTemplate(ds.spec.template, {
      generateName: `${ds.metadata.name ?? ''}-`,
      namespace: ds.metadata.namespace ?? '',
      labels: { 'controller-revision-hash': hash, 'pod-template-generation': String(ds.metadata.generation ?? 1) },
      ownerReferences: [controllerRef(ds)],
    });
    const affinity = {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [node] }] }],
        },
      },
    };
    const extra =
      ds.spec.template.spec.hostNetwork === true
        ? [{ key: 'node.kubernetes.io/network-unavailable', operator: 'Exists', effect: 'NoSchedule' }]
        : [];
    body.spec = {
      ...body.spec,
      affinity,
      tolerations: [...(body.spec.tolerations ?? []), ...DS_TOLERATIONS, ...extra],
    };
    const pod = this.#c.api.create(body, this.#w.ctx, (req) => admitPod(req, this.#w.rng));
    this.#w.events.record(referenceTo(ds), 'Normal', 'SuccessfulCreate', `Created pod: ${pod.metadata.name ?? ''}`);
  }

  #writeStatus(ds: DaemonSet, nodes: string[], podsOn: (n: string) => Pod[], hash: string): void {
    const live = nodes.map((n) => podsOn(n).find((p) => p.metadata.deletionTimestamp === undefined));
    const scheduled = live.filter((p) => p !== undefined).length;
    const ready = live.filter((p) => p !== undefined && isReady(p)).length;
    const updated = live.filter((p) => p?.metadata.labels?.['controller-revision-hash'] === hash).length;
    const status: DaemonSet['status'] = {
      currentNumberScheduled: scheduled,
      numberMisscheduled: 0,
      desiredNumberScheduled: nodes.length,
      numberReady: ready,
      observedGeneration: ds.metadata.generation ?? 1,
      ...(updated > 0 ? { updatedNumberScheduled: updated } : {}),
      ...(ready > 0 ? { numberAvailable: ready } : {}),
      ...(nodes.length - ready > 0 ? { numberUnavailable: nodes.length - ready } : {}),
    };
    this.#c.api.updateStatus(ds, status, this.#w.ctx);
  }
}

function nodeOf(p: Pod): string {
  const aff = p.spec.affinity as
    | {
        nodeAffinity?: {
          requiredDuringSchedulingIgnoredDuringExecution?: {
            nodeSelectorTerms?: { matchFields?: { values?: string[] }[] }[];
          };
        };
      }
    | undefined;
  return (
    aff?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms?.[0]?.matchFields?.[0]
      ?.values?.[0] ??
    p.spec.nodeName ??
    ''
  );
}
