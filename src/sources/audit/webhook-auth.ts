import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { TLSSocket } from 'node:tls';

/** Who sent a request, or why it is refused. */
export type AuthOutcome =
  | { readonly status: 'ok'; readonly principal: string }
  | { readonly status: 'unauthenticated'; readonly message: string }
  | { readonly status: 'forbidden'; readonly message: string };

export interface WebhookAuthOptions {
  /** Accepted bearer tokens (compared in constant time). */
  readonly bearerTokens?: readonly string[];
  /** Whether the TLS server asks for client certificates (verified against its CA). */
  readonly clientCerts?: boolean;
  /** Let requests without any credentials in (tests, a trusted sidecar). Default false. */
  readonly allowUnauthenticated?: boolean;
}

const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;

/**
 * Authenticates an audit webhook request by bearer token and/or client certificate. The TLS layer
 * asks for a certificate but does not reject one it cannot verify (`rejectUnauthorized: false`),
 * so a bad certificate gets a clean 403 here instead of a handshake failure.
 *
 * Any one valid credential is enough. Without credentials: `unauthenticated` (401); with a wrong
 * token or a certificate the CA did not sign: `forbidden` (403). Never throws.
 */
export class WebhookAuth {
  readonly #tokenDigests: readonly Buffer[];
  readonly #clientCerts: boolean;
  readonly #allowUnauthenticated: boolean;

  constructor(options: WebhookAuthOptions) {
    this.#tokenDigests = (options.bearerTokens ?? []).map(digest);
    this.#clientCerts = options.clientCerts ?? false;
    this.#allowUnauthenticated = options.allowUnauthenticated ?? false;
  }

  /** Whether any credential is configured at all. */
  get configured(): boolean {
    return this.#tokenDigests.length > 0 || this.#clientCerts;
  }

  check(req: IncomingMessage): AuthOutcome {
    const cert = this.#clientCert(req);
    if (cert?.authorized === true) return { status: 'ok', principal: `cert:${cert.subject}` };
    const header = req.headers.authorization;
    const token = header === undefined ? undefined : BEARER.exec(header)?.[1];
    if (token !== undefined) {
      return this.#tokenMatches(token)
        ? { status: 'ok', principal: 'bearer-token' }
        : { status: 'forbidden', message: 'the bearer token is not valid for this audit webhook' };
    }
    if (cert !== undefined) {
      return { status: 'forbidden', message: `the client certificate was not accepted: ${cert.error}` };
    }
    if (header !== undefined) {
      return { status: 'unauthenticated', message: 'unsupported Authorization scheme; send a Bearer token' };
    }
    if (this.#allowUnauthenticated) return { status: 'ok', principal: 'anonymous' };
    return { status: 'unauthenticated', message: 'credentials required: a bearer token or a client certificate' };
  }

  #clientCert(req: IncomingMessage): { authorized: boolean; subject: string; error: string } | undefined {
    const socket = req.socket;
    if (!this.#clientCerts || !(socket instanceof TLSSocket)) return undefined;
    const peer = socket.getPeerCertificate();
    // No certificate sent: Node returns an empty object (or null once the socket is gone).
    if (peer === null || Object.keys(peer).length === 0) return undefined;
    const error = socket.authorizationError;
    return {
      authorized: socket.authorized,
      subject: typeof peer.subject?.CN === 'string' ? peer.subject.CN : '?',
      error: error === undefined || error === null ? 'unknown' : String(error),
    };
  }

  #tokenMatches(token: string): boolean {
    const presented = digest(token);
    let match = false;
    // Compare against every token, so timing says nothing about which (or whether one) matched.
    for (const known of this.#tokenDigests) match = timingSafeEqual(known, presented) || match;
    return match;
  }
}

// Equal-length digests make timingSafeEqual usable for tokens of any length.
function digest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}
