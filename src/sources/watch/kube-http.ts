import http from 'node:http';
import https from 'node:https';
import type { KubeCredentials } from './kube-config.js';

export { type KubeConnectOptions, type KubeCredentials, loadKubeConfig } from './kube-config.js';

/**
 * The apiserver answered with an error status (or an in-stream watch ERROR event). `status` is
 * the HTTP code or the `Status.code` of the event; `reason` the `Status.reason` when there is one.
 */
export class KubeApiError extends Error {
  override readonly name = 'KubeApiError';

  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }

  /** 410 Gone / Expired: the resourceVersion is compacted away; the informer must relist. */
  get expired(): boolean {
    return this.status === 410 || this.reason === 'Expired' || this.reason === 'Gone';
  }
}

/** One open watch stream; `close()` aborts it (the `onEnd` callback then reports `aborted`). */
export interface WatchStream {
  close(): void;
  /** Stops reading from the connection (TCP backpressure reaches the apiserver) until `resume()`. */
  pause(): void;
  resume(): void;
}

/** How a watch stream ended: cleanly (server closed / timeoutSeconds), aborted by us, or with an error. */
export type WatchEnd =
  { readonly kind: 'closed' } | { readonly kind: 'aborted' } | { readonly kind: 'error'; readonly error: Error };

const LIST_TIMEOUT_MS = 60_000;

/**
 * A minimal apiserver client for list and watch on any resource path (and the few writes leader
 * election makes), with the credentials of a kubeconfig (`loadKubeConfig`: certificates, tokens,
 * in-cluster service account; exec plugins through client-node).
 * It exists because client-node's `Watch` cannot send an `Accept` header (metadata-only watches)
 * and drops unparseable lines silently; we count them.
 */
export class KubeHttp {
  readonly #kc: KubeCredentials;
  readonly #server: URL;

  constructor(kc: KubeCredentials) {
    this.#kc = kc;
    const cluster = kc.getCurrentCluster();
    if (cluster === null) throw new Error('kubeconfig has no current cluster');
    this.#server = new URL(cluster.server.endsWith('/') ? cluster.server : `${cluster.server}/`);
  }

  /** The apiserver URL (for logs and health reports). */
  get server(): string {
    return this.#server.origin;
  }

  /**
   * GETs a JSON document. Rejects with `KubeApiError` for a non-2xx answer (its `Status` reason
   * and message when the body is one), or with the transport error; a non-JSON body rejects too.
   * Aborting `signal` ends the request at once and rejects with an AbortError.
   */
  async getJson(
    path: string,
    query: Record<string, string> = {},
    accept = 'application/json',
    signal?: AbortSignal,
  ): Promise<unknown> {
    const res = await this.#request(path, query, accept, LIST_TIMEOUT_MS, signal !== undefined ? { signal } : {});
    const body = await readBody(res);
    if ((res.statusCode ?? 0) >= 300) throw statusError(res.statusCode ?? 0, body);
    try {
      return JSON.parse(body) as unknown;
    } catch {
      throw new Error(`GET ${path}: response is not JSON (${body.slice(0, 80)})`);
    }
  }

  /**
   * Opens a watch (`watch=true` is added) and calls `onLine` for every line of the stream (one JSON
   * watch event each, per the protocol). A non-200 answer ends the stream with a `KubeApiError`.
   * `idleTimeoutMs` ends a stream that stays silent (a dead TCP connection) with an error.
   */
  watch(
    path: string,
    query: Record<string, string>,
    accept: string,
    idleTimeoutMs: number,
    onLine: (line: string) => void,
    onEnd: (end: WatchEnd) => void,
  ): WatchStream {
    let ended = false;
    let aborted = false;
    let paused = false;
    let response: http.IncomingMessage | undefined;
    let req: http.ClientRequest | undefined;
    const end = (e: WatchEnd): void => {
      if (ended) return;
      ended = true;
      onEnd(aborted ? { kind: 'aborted' } : e);
    };
    // close() can come before the request exists (credentials are applied asynchronously, an
    // exec plugin can take long): such a request is ended as soon as it is made.
    const onRequest = (r: http.ClientRequest): void => {
      req = r;
      if (aborted) r.destroy();
    };
    void this.#request(path, { ...query, watch: 'true' }, accept, idleTimeoutMs, { onRequest }).then(
      async (res) => {
        if (res.statusCode !== 200) {
          const body = await readBody(res).catch(() => '');
          end({ kind: 'error', error: statusError(res.statusCode ?? 0, body) });
          return;
        }
        let rest = '';
        response = res;
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          rest += chunk;
          let nl = rest.indexOf('\n');
          while (nl >= 0) {
            const line = rest.slice(0, nl).trim();
            rest = rest.slice(nl + 1);
            if (line !== '' && !ended) onLine(line);
            nl = rest.indexOf('\n');
          }
        });
        if (paused) res.pause();
        res.on('end', () => {
          const line = rest.trim();
          if (line !== '' && !ended) onLine(line);
          // An incomplete response (the connection dropped mid-chunk) is an error, not a clean end.
          end(res.complete ? { kind: 'closed' } : { kind: 'error', error: new Error('watch connection dropped') });
        });
        res.on('error', (error) => end({ kind: 'error', error }));
        res.on('aborted', () => end({ kind: 'error', error: new Error('watch connection aborted') }));
      },
      (error: unknown) => end({ kind: 'error', error: error instanceof Error ? error : new Error(String(error)) }),
    );
    return {
      close: () => {
        aborted = true;
        req?.destroy();
        end({ kind: 'aborted' });
      },
      pause: () => {
        paused = true;
        response?.pause();
      },
      resume: () => {
        paused = false;
        response?.resume();
      },
    };
  }

  /**
   * One request with a JSON body (`body` undefined: none) whose answer is read whole, whatever its
   * status: the Lease reads and writes of leader election. Rejects on a transport error, or when
   * there is no complete answer within `timeoutMs`.
   */
  async sendJson(
    method: 'GET' | 'POST' | 'PUT',
    path: string,
    body: unknown,
    timeoutMs: number,
  ): Promise<{ readonly status: number; readonly body: string }> {
    const signal = AbortSignal.timeout(timeoutMs);
    const res = await this.#request(path, {}, 'application/json', timeoutMs, {
      signal,
      method,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.statusCode ?? 0, body: await readBody(res) };
  }

  async #request(
    path: string,
    query: Record<string, string>,
    accept: string,
    timeoutMs: number,
    more: {
      readonly onRequest?: (req: http.ClientRequest) => void;
      readonly signal?: AbortSignal;
      readonly method?: string;
      readonly body?: string;
    },
  ): Promise<http.IncomingMessage> {
    const { onRequest, signal, body } = more;
    const url = new URL(path.replace(/^\//, ''), this.#server);
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
    const opts: https.RequestOptions = { headers: {} };
    await this.#kc.applyToHTTPSOptions(opts);
    const headers: Record<string, string> = { Accept: accept, 'User-Agent': 'kubestitch' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    for (const [k, v] of Object.entries(opts.headers ?? {})) {
      if (typeof v === 'string' || typeof v === 'number') headers[k] = String(v);
    }
    if (opts.auth !== undefined && opts.auth !== null) {
      headers['Authorization'] = `Basic ${Buffer.from(opts.auth).toString('base64')}`;
    }
    const isHttps = url.protocol === 'https:';
    return new Promise((resolve, reject) => {
      const req = (isHttps ? https : http).request(
        url,
        {
          method: more.method ?? 'GET',
          headers,
          ...(signal !== undefined ? { signal } : {}),
          // A watch holds its connection for its whole life, so the keep-alive pool gains nothing;
          // and on Node 24 a watch closed before its socket connects hands that socket to the pool,
          // an idle connection left open to the apiserver. A watch (onRequest) gets its own.
          ...(isHttps && opts.agent !== undefined
            ? { agent: opts.agent }
            : onRequest !== undefined
              ? { agent: false }
              : {}),
          ...(isHttps
            ? {
                ca: opts.ca,
                cert: opts.cert,
                key: opts.key,
                ...(opts.servername !== undefined ? { servername: opts.servername } : {}),
                ...(opts.rejectUnauthorized !== undefined ? { rejectUnauthorized: opts.rejectUnauthorized } : {}),
              }
            : {}),
        },
        resolve,
      );
      req.setTimeout(timeoutMs, () => req.destroy(new Error(`no data from the apiserver for ${timeoutMs} ms`)));
      req.on('error', reject);
      onRequest?.(req);
      req.end(body);
    });
  }
}

function readBody(res: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
    // An answer cut off (the request aborted by its timeout) may close without an error.
    res.on('close', () => {
      if (!res.complete) reject(new Error('the apiserver connection closed before the answer ended'));
    });
  });
}

/** A `KubeApiError` from an HTTP status and a (possibly `Status`) body. */
function statusError(code: number, body: string): KubeApiError {
  let reason = '';
  let message = body.slice(0, 200);
  try {
    const status = JSON.parse(body) as { reason?: unknown; message?: unknown };
    if (typeof status.reason === 'string') reason = status.reason;
    if (typeof status.message === 'string') message = status.message;
  } catch {
    // not a Status: keep the raw text
  }
  return new KubeApiError(code, reason, `apiserver answered ${code}${reason !== '' ? ` ${reason}` : ''}: ${message}`);
}

/** A `KubeApiError` from the `Status` object of an in-stream ERROR event. */
export function watchErrorOf(status: unknown): KubeApiError {
  const s = (typeof status === 'object' && status !== null ? status : {}) as {
    code?: unknown;
    reason?: unknown;
    message?: unknown;
  };
  const code = typeof s.code === 'number' ? s.code : 500;
  const reason = typeof s.reason === 'string' ? s.reason : '';
  const message = typeof s.message === 'string' ? s.message : 'watch error';
  return new KubeApiError(code, reason, `watch ERROR ${code}${reason !== '' ? ` ${reason}` : ''}: ${message}`);
}
