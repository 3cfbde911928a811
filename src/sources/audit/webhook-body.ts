import type { IncomingMessage } from 'node:http';
import type { JsonObject } from '../../model/kube-json.js';
import { isObject } from '../../model/kube-json.js';
import { checkAuditEvent, describeJsonError } from './audit-entry.js';

export type BodyRead =
  | { readonly status: 'ok'; readonly body: Buffer }
  | { readonly status: 'too-large'; readonly receivedBytes: number }
  | { readonly status: 'aborted' };

// After answering 413, swallow this much more of the upload so the client can read the answer
// (closing with unread data makes the kernel send RST, which can eat the response), then cut.
const DRAIN_AFTER_REFUSAL_BYTES = 256 * 1024;

/**
 * Reads a request body of at most `maxBytes`. A declared Content-Length over the limit is refused
 * without reading; a stream that grows past it is refused at that point and nothing more is kept
 * (a bounded tail is discarded, then the connection is destroyed). Never rejects.
 */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<BodyRead> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    discardRest(req);
    return Promise.resolve({ status: 'too-large', receivedBytes: 0 });
  }
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size <= maxBytes) {
        chunks.push(chunk);
        return;
      }
      chunks.length = 0;
      req.off('end', onEnd).off('data', onData).off('close', onClose);
      discardRest(req);
      resolve({ status: 'too-large', receivedBytes: size });
    };
    const onEnd = (): void => resolve({ status: 'ok', body: Buffer.concat(chunks, size) });
    // 'close' without 'end' first: the client went away mid-upload.
    const onClose = (): void => resolve({ status: 'aborted' });
    req.on('data', onData).once('end', onEnd).once('close', onClose);
  });
}

/**
 * Discards the rest of a refused request body without keeping it; past a bounded amount the
 * connection is destroyed. Never throws.
 */
export function discardRest(req: IncomingMessage): void {
  let discarded = 0;
  req.on('data', (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > DRAIN_AFTER_REFUSAL_BYTES) req.socket.destroy();
  });
  req.on('error', () => undefined);
}

/** An item of an EventList refused at the boundary (the rest of the batch is kept). */
export interface RejectedItem {
  readonly index: number;
  readonly reason: string;
}

export type EventListParse =
  | {
      readonly ok: true;
      readonly events: readonly { readonly event: JsonObject; readonly id: string }[];
      readonly rejected: readonly RejectedItem[];
    }
  | { readonly ok: false; readonly message: string };

const API_VERSIONS = new Set(['audit.k8s.io/v1', 'audit.k8s.io/v1beta1']);

/**
 * Parses an `audit.k8s.io/v1` (or v1beta1) `EventList`: a JSON object with an `items` array.
 * `kind`/`apiVersion`, when present, must match; otherwise the message names the problem. Each
 * item passes the audit boundary (checkAuditEvent) on its own: a bad one is listed in `rejected`
 * and the others are kept, because the apiserver resends a refused batch forever. Never throws.
 */
export function parseEventList(body: Buffer, receivedMs = Date.now()): EventListParse {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch (error: unknown) {
    return { ok: false, message: describeJsonError(error) };
  }
  if (!isObject(value)) return { ok: false, message: 'body is not an audit.k8s.io EventList: not a JSON object' };
  const { kind, apiVersion, items } = value;
  if (kind !== undefined && kind !== 'EventList') {
    return { ok: false, message: `body is not an audit.k8s.io EventList: kind is ${describe(kind)}` };
  }
  if (apiVersion !== undefined && !(typeof apiVersion === 'string' && API_VERSIONS.has(apiVersion))) {
    return { ok: false, message: `unsupported apiVersion ${describe(apiVersion)}; expected audit.k8s.io/v1` };
  }
  if (!Array.isArray(items)) return { ok: false, message: 'body is not an audit.k8s.io EventList: no items array' };
  const events: { event: JsonObject; id: string }[] = [];
  const rejected: RejectedItem[] = [];
  for (const [index, item] of items.entries()) {
    const checked = checkAuditEvent(item, receivedMs);
    if (checked.ok) events.push(checked);
    else rejected.push({ index, reason: checked.reason });
  }
  return { ok: true, events, rejected };
}

// Only a string is quoted: stringifying an arbitrary value (maybe 100,000 levels deep) could throw.
function describe(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value.slice(0, 100)) : `a ${typeof value}`;
}
