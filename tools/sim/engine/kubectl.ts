import type { WriteCtx } from './api-server.js';
import { clone } from './hash.js';
import { sortDeep } from './strategic-patch.js';
import { kubectlActor } from './identities.js';
import type { KObject } from './k8s-types.js';
import type { ObjectId } from './object-table.js';
import type { SimContext } from './sim-context.js';
import { rfc3339Seconds } from './time-format.js';

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

// Field values the apiserver defaults; a hand-written manifest does not spell them out.
const DEFAULTS: readonly (readonly [string, unknown])[] = [
  ['terminationMessagePath', '/dev/termination-log'],
  ['terminationMessagePolicy', 'File'],
  ['imagePullPolicy', 'IfNotPresent'],
  ['dnsPolicy', 'ClusterFirst'],
  ['restartPolicy', 'Always'],
  ['schedulerName', 'default-scheduler'],
  ['terminationGracePeriodSeconds', 30],
  ['progressDeadlineSeconds', 600],
  ['revisionHistoryLimit', 10],
  ['protocol', 'TCP'],
  ['timeoutSeconds', 1],
  ['successThreshold', 1],
  ['failureThreshold', 3],
  ['scheme', 'HTTP'],
  ['creationTimestamp', null],
  ['completionMode', 'NonIndexed'],
  ['suspend', false],
  ['podReplacementPolicy', 'TerminatingOrFailed'],
  ['concurrencyPolicy', 'Allow'],
  ['podManagementPolicy', 'OrderedReady'],
];

/** A manifest as a person writes it: the object minus status and apiserver defaults. */
export function toManifest(obj: KObject): Record<string, unknown> {
  const strip = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(strip);
    if (v === null || typeof v !== 'object') return v;
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      if (DEFAULTS.some(([dk, dv]) => dk === k && dv === x)) continue;
      if ((k === 'securityContext' || k === 'resources') && isEmptyObject(x)) continue;
      out[k] = strip(x);
    }
    return out;
  };
  const { status: _status, ...rest } = obj;
  void _status;
  return strip(rest) as Record<string, unknown>;
}

/**
 * A cluster admin with kubectl v1.31: `apply` (client-side, first create), `set image`, `scale`,
 * `rollout restart`, `delete` — each the request kubectl really sends.
 */
export class Kubectl {
  readonly #c: SimContext;
  readonly #ctx: WriteCtx;

  constructor(c: SimContext) {
    this.#c = c;
    this.#ctx = { actor: kubectlActor() };
  }

  /** `kubectl apply -f` of a new object: POST of the manifest; the stored object is `defaulted`. */
  apply<T extends KObject>(defaulted: T, admit?: (req: T, uid: string) => T): T {
    const manifest = toManifest(defaulted);
    const meta = manifest['metadata'] as Record<string, unknown>;
    const lastApplied =
      JSON.stringify(
        sortDeep({
          ...manifest,
          metadata: { ...meta, annotations: { ...(meta['annotations'] as object | undefined) } },
        }),
      ) + '\n';
    const annotate = <U extends KObject>(o: U): U => ({
      ...o,
      metadata: { ...o.metadata, annotations: { ...o.metadata.annotations, [LAST_APPLIED]: lastApplied } },
    });
    const body = annotate({
      ...manifest,
      metadata: { ...meta, annotations: { ...(meta['annotations'] as object | undefined) } },
    } as unknown as T);
    const query = 'fieldManager=kubectl-client-side-apply&fieldValidation=Strict';
    return this.#c.api.create(body, { ...this.#ctx, query }, (req, uid) => {
      const stored = annotate(clone(defaulted));
      return admit === undefined ? stored : admit(stored, uid);
    });
  }

  /** `kubectl set image <kind>/<name> <container>=<image>` (strategic merge patch). */
  setImage(id: ObjectId, container: string, image: string): void {
    const body = { spec: { template: { spec: { containers: [{ image, name: container }] } } } };
    this.#c.api.patch<KObject & { spec: { template: { spec: { containers: { name: string; image: string }[] } } } }>(
      id,
      body,
      (cur) => {
        const d = clone(cur);
        for (const c of d.spec.template.spec.containers) if (c.name === container) c.image = image;
        return d;
      },
      { ...this.#ctx, query: 'fieldManager=kubectl-set' },
    );
  }

  /** `kubectl scale --replicas=n`: a merge patch of the scale subresource, answered with a Scale. */
  scale(id: ObjectId, replicas: number): void {
    this.#c.api.patch<
      KObject & {
        spec: { replicas: number; selector: { matchLabels: Record<string, string> } };
        status: { replicas?: number };
      }
    >(
      id,
      { spec: { replicas } },
      (d) => ({ ...d, spec: { ...d.spec, replicas } }),
      this.#ctx,
      'scale',
      (s) => ({
        kind: 'Scale',
        apiVersion: 'autoscaling/v1',
        metadata: {
          name: s.metadata.name,
          namespace: s.metadata.namespace,
          uid: s.metadata.uid,
          resourceVersion: s.metadata.resourceVersion,
          creationTimestamp: s.metadata.creationTimestamp,
        },
        spec: { replicas },
        status: {
          replicas: s.status.replicas ?? 0,
          selector: Object.entries(s.spec.selector.matchLabels)
            .map(([k, v]) => `${k}=${v}`)
            .join(','),
        },
      }),
    );
  }

  /** `kubectl rollout restart`: stamps the pod template with kubectl.kubernetes.io/restartedAt. */
  rolloutRestart(id: ObjectId): void {
    const at = rfc3339Seconds(this.#c.loop.nowUs);
    const body = { spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': at } } } } };
    this.#c.api.patch<KObject & { spec: { template: { metadata: { annotations?: Record<string, string> } } } }>(
      id,
      body,
      (cur) => {
        const d = clone(cur);
        d.spec.template.metadata.annotations = {
          ...d.spec.template.metadata.annotations,
          'kubectl.kubernetes.io/restartedAt': at,
        };
        return d;
      },
      { ...this.#ctx, query: 'fieldManager=kubectl-rollout' },
    );
  }

  /** `kubectl delete` (propagationPolicy Background). */
  delete(id: ObjectId): void {
    this.#c.api.delete(id, this.#ctx, { propagationPolicy: 'Background' });
  }
}

function isEmptyObject(v: unknown): boolean {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0;
}
