/**
 * The Lease reads and writes leader election needs, on client-node's CoordinationV1Api: the same
 * authentication (in-cluster service account, token, client certificate, exec plugin) and TLS
 * handling as every other request kubestitch makes, instead of a second HTTP client.
 */
import { ApiException, CoordinationV1Api, Observable, V1MicroTime } from '@kubernetes/client-node';
import type { KubeConfig, ObservableMiddleware, V1Lease, V1LeaseSpec } from '@kubernetes/client-node';

/** The spec fields of a coordination.k8s.io/v1 Lease that leader election reads and writes. */
export interface LeaseSpec {
  readonly holderIdentity?: string;
  readonly leaseDurationSeconds?: number;
  /** MicroTime, RFC 3339 with exactly six fractional digits (the apiserver refuses fewer). */
  readonly acquireTime?: string;
  readonly renewTime?: string;
  readonly leaseTransitions?: number;
}

/** A Lease as read: its spec and the resourceVersion an update must carry. */
export interface LeaseRecord {
  readonly spec: LeaseSpec;
  readonly resourceVersion: string;
}

/** 409 from the apiserver: another candidate wrote the Lease first (create or update race). */
export class LeaseConflictError extends Error {
  override readonly name = 'LeaseConflictError';
}

/** Reads and writes one Lease. Implementations reject with LeaseConflictError on 409, Error otherwise. */
export interface LeaseClient {
  /** Resolves to undefined when the Lease does not exist (404). */
  get(namespace: string, name: string): Promise<LeaseRecord | undefined>;
  create(namespace: string, name: string, spec: LeaseSpec): Promise<LeaseRecord>;
  /** PUT with `resourceVersion` for optimistic concurrency. */
  update(namespace: string, name: string, resourceVersion: string, spec: LeaseSpec): Promise<LeaseRecord>;
}

/** `Date` has millisecond precision; MicroTime needs six digits, so the last three are zeros. */
export function microTime(ms: number): string {
  return new Date(Math.floor(ms)).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/**
 * LeaseClient over CoordinationV1Api. MicroTime fields are sent as client-node's V1MicroTime,
 * whose JSON has the six fractional digits the apiserver requires (a plain Date's three are
 * refused with 400). Every request has a timeout (default 5 s), so a renewal cannot hang past the
 * renew deadline; failures reject, 409 as LeaseConflictError.
 */
export class KubeLeaseClient implements LeaseClient {
  readonly #api: CoordinationV1Api;
  readonly #options: { middleware: ObservableMiddleware[]; middlewareMergeStrategy: 'append' };

  constructor(kubeConfig: KubeConfig, options: { readonly requestTimeoutMs?: number } = {}) {
    this.#api = kubeConfig.makeApiClient(CoordinationV1Api);
    this.#options = { middleware: [timeout(options.requestTimeoutMs ?? 5000)], middlewareMergeStrategy: 'append' };
  }

  async get(namespace: string, name: string): Promise<LeaseRecord | undefined> {
    try {
      return toRecord(await this.#api.readNamespacedLease({ name, namespace }, this.#options));
    } catch (err: unknown) {
      if (err instanceof ApiException && err.code === 404) return undefined;
      throw apiError(err);
    }
  }

  async create(namespace: string, name: string, spec: LeaseSpec): Promise<LeaseRecord> {
    const body: V1Lease = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name, namespace } };
    body.spec = toApiSpec(spec);
    try {
      return toRecord(await this.#api.createNamespacedLease({ namespace, body }, this.#options));
    } catch (err: unknown) {
      throw apiError(err);
    }
  }

  async update(namespace: string, name: string, resourceVersion: string, spec: LeaseSpec): Promise<LeaseRecord> {
    const body: V1Lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name, namespace, resourceVersion },
      spec: toApiSpec(spec),
    };
    try {
      return toRecord(await this.#api.replaceNamespacedLease({ name, namespace, body }, this.#options));
    } catch (err: unknown) {
      throw apiError(err);
    }
  }
}

/** Aborts a request that has no answer within `ms` (client-node sets no timeout by itself). */
function timeout(ms: number): ObservableMiddleware {
  return {
    pre: (context) => {
      context.setSignal(AbortSignal.timeout(ms));
      return new Observable(Promise.resolve(context));
    },
    post: (context) => new Observable(Promise.resolve(context)),
  };
}

function toApiSpec(spec: LeaseSpec): V1LeaseSpec {
  const time = (t: string | undefined): V1MicroTime | undefined =>
    t === undefined ? undefined : new V1MicroTime(Date.parse(t));
  // Absent fields stay undefined, which the request's JSON leaves out.
  return {
    holderIdentity: spec.holderIdentity,
    leaseDurationSeconds: spec.leaseDurationSeconds,
    leaseTransitions: spec.leaseTransitions,
    acquireTime: time(spec.acquireTime),
    renewTime: time(spec.renewTime),
  };
}

function toRecord(lease: V1Lease): LeaseRecord {
  const rv = lease.metadata?.resourceVersion;
  if (rv === undefined) throw new Error('Lease response without metadata.resourceVersion');
  const s = lease.spec ?? {};
  // client-node reads MicroTime fields as Date (millisecond precision); written back they are
  // MicroTime again, so a read-modify-write keeps the format the apiserver accepts.
  const time = (t: unknown): string | undefined =>
    t instanceof Date ? microTime(t.getTime()) : typeof t === 'string' ? t : undefined;
  const spec: LeaseSpec = {
    holderIdentity: s.holderIdentity,
    leaseDurationSeconds: s.leaseDurationSeconds,
    leaseTransitions: s.leaseTransitions,
    acquireTime: time(s.acquireTime),
    renewTime: time(s.renewTime),
  };
  return { spec, resourceVersion: rv };
}

/** 409 as LeaseConflictError; others as an Error naming the status and the apiserver's message. */
function apiError(err: unknown): Error {
  if (!(err instanceof ApiException)) return err instanceof Error ? err : new Error(String(err));
  const body: unknown = err.body;
  let message: string | undefined;
  try {
    const parsed: unknown = typeof body === 'string' ? JSON.parse(body) : body;
    if (typeof parsed === 'object' && parsed !== null && 'message' in parsed) message = String(parsed.message);
  } catch {
    message = undefined;
  }
  if (err.code === 409) return new LeaseConflictError(message ?? 'conflict');
  return new Error(`Lease request answered ${err.code}${message !== undefined ? `: ${message}` : ''}`);
}
