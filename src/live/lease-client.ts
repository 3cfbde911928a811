/**
 * The Lease reads and writes leader election needs, through KubeHttp: the same authentication
 * (in-cluster service account, token, client certificate, exec plugin) and TLS handling as every
 * other request kubestitch makes. It was client-node's CoordinationV1Api, whose import loads every
 * generated API model (28 MB of heap in every `kubestitch run`) for three requests.
 */
import { KubeHttp, type KubeCredentials } from '../sources/watch/kube-http.js';

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
 * LeaseClient over the coordination.k8s.io/v1 REST API. MicroTime fields are sent as written by
 * `microTime` (six fractional digits; the apiserver refuses fewer) and read back as the apiserver
 * wrote them. Every request has a timeout (default 5 s), so a renewal cannot hang past the renew
 * deadline; failures reject, 409 as LeaseConflictError.
 */
export class KubeLeaseClient implements LeaseClient {
  readonly #http: KubeHttp;
  readonly #timeoutMs: number;

  constructor(credentials: KubeCredentials, options: { readonly requestTimeoutMs?: number } = {}) {
    this.#http = new KubeHttp(credentials);
    this.#timeoutMs = options.requestTimeoutMs ?? 5000;
  }

  async get(namespace: string, name: string): Promise<LeaseRecord | undefined> {
    const res = await this.#http.sendJson('GET', leasePath(namespace, name), undefined, this.#timeoutMs);
    if (res.status === 404) return undefined;
    return toRecord(res);
  }

  async create(namespace: string, name: string, spec: LeaseSpec): Promise<LeaseRecord> {
    const body = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name, namespace }, spec };
    return toRecord(await this.#http.sendJson('POST', leasePath(namespace), body, this.#timeoutMs));
  }

  async update(namespace: string, name: string, resourceVersion: string, spec: LeaseSpec): Promise<LeaseRecord> {
    const body = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name, namespace, resourceVersion },
      spec,
    };
    return toRecord(await this.#http.sendJson('PUT', leasePath(namespace, name), body, this.#timeoutMs));
  }
}

function leasePath(namespace: string, name?: string): string {
  const base = `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/leases`;
  return name === undefined ? base : `${base}/${encodeURIComponent(name)}`;
}

/** A 2xx answer's Lease; otherwise 409 as LeaseConflictError, others an Error naming the status and the apiserver's message. */
function toRecord(res: { readonly status: number; readonly body: string }): LeaseRecord {
  let parsed: unknown;
  try {
    parsed = JSON.parse(res.body);
  } catch {
    parsed = undefined;
  }
  const obj = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
  if (res.status < 200 || res.status >= 300) {
    const message = typeof obj['message'] === 'string' ? obj['message'] : undefined;
    if (res.status === 409) throw new LeaseConflictError(message ?? 'conflict');
    throw new Error(`Lease request answered ${res.status}${message !== undefined ? `: ${message}` : ''}`);
  }
  const meta = obj['metadata'];
  const rv =
    typeof meta === 'object' && meta !== null ? (meta as Record<string, unknown>)['resourceVersion'] : undefined;
  if (typeof rv !== 'string') throw new Error('Lease response without metadata.resourceVersion');
  const s = obj['spec'];
  const fields = typeof s === 'object' && s !== null ? (s as Record<string, unknown>) : {};
  const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
  const count = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
  const spec: LeaseSpec = {
    holderIdentity: text(fields['holderIdentity']),
    leaseDurationSeconds: count(fields['leaseDurationSeconds']),
    acquireTime: text(fields['acquireTime']),
    renewTime: text(fields['renewTime']),
    leaseTransitions: count(fields['leaseTransitions']),
  };
  return { spec, resourceVersion: rv };
}
