import { createHash, timingSafeEqual } from 'node:crypto';

/** Outcome of checking a request's `authorization` value. */
export type BearerCheck = { readonly ok: true } | { readonly ok: false; readonly message: string };

const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;

/**
 * Optional bearer-token check shared by the OTLP gRPC and HTTP receivers. With no tokens
 * configured every request passes (kube-apiserver, kubelet, containerd and etcd export without
 * credentials; protect the port with TLS/network policy instead). With tokens, a request must
 * send `authorization: Bearer <token>` matching one of them; tokens are compared as SHA-256
 * digests in constant time. Never throws.
 */
export class BearerAuth {
  readonly #digests: readonly Buffer[];

  constructor(tokens: readonly string[] = []) {
    this.#digests = tokens.map(digest);
  }

  get enabled(): boolean {
    return this.#digests.length > 0;
  }

  check(authorization: string | undefined): BearerCheck {
    if (!this.enabled) return { ok: true };
    if (authorization === undefined || authorization === '') {
      return { ok: false, message: 'credentials required: send authorization: Bearer <token>' };
    }
    const token = BEARER.exec(authorization)?.[1];
    if (token === undefined) return { ok: false, message: 'unsupported authorization scheme; send a Bearer token' };
    const candidate = digest(token);
    // Check every token, so timing does not reveal which one (or whether any) matched.
    let matched = false;
    for (const d of this.#digests) matched = timingSafeEqual(d, candidate) || matched;
    return matched ? { ok: true } : { ok: false, message: 'the bearer token is not valid' };
  }
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}
