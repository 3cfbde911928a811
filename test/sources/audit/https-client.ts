import { request } from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';

export interface PostOptions {
  readonly ca: Buffer;
  readonly token?: string;
  readonly cert?: Buffer;
  readonly key?: Buffer;
  readonly method?: string;
  readonly headers?: Record<string, string>;
  /** Send the body in pieces without Content-Length (chunked). */
  readonly chunks?: readonly string[];
}

export interface Reply {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** One HTTPS request on its own connection (no agent pooling), resolving with the whole reply. */
export function post(url: string, body: string, options: PostOptions): Promise<Reply> {
  const headers: Record<string, string> = { 'Content-Type': 'application/json', ...options.headers };
  if (options.token !== undefined) headers['Authorization'] = `Bearer ${options.token}`;
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: options.method ?? 'POST', ca: options.ca, cert: options.cert, key: options.key, headers, agent: false },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (chunk: Buffer) => parts.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (options.chunks === undefined) {
      req.end(body);
      return;
    }
    for (const chunk of options.chunks) req.write(chunk);
    req.end();
  });
}

/** An audit.k8s.io/v1 EventList of `n` ResponseComplete events `<prefix>-<i>`. */
export function eventList(prefix: string, n: number, extra: Record<string, unknown> = {}): string {
  const items = Array.from({ length: n }, (_, i) => ({
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: 'Metadata',
    auditID: `${prefix}-${i}`,
    stage: 'ResponseComplete',
    requestURI: `/api/v1/namespaces/default/pods/p${i}`,
    verb: 'delete',
    user: { username: 'system:serviceaccount:kube-system:replicaset-controller' },
    objectRef: { resource: 'pods', namespace: 'default', name: `p${i}`, apiVersion: 'v1' },
    responseStatus: { metadata: {}, code: 200 },
    requestReceivedTimestamp: '2024-05-01T10:00:00.000000Z',
    stageTimestamp: '2024-05-01T10:00:00.010000Z',
    ...extra,
  }));
  return JSON.stringify({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', metadata: {}, items });
}
