import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError } from './status.js';

/** Largest request body accepted, like the apiserver's 3 MiB limit. */
export const MAX_BODY_BYTES = 3 * 1024 * 1024;

/** Writes a complete JSON response (Content-Length set by node). */
export function sendJson(res: ServerResponse, code: number, contentType: string, body: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(code, { 'Content-Type': contentType, 'Cache-Control': 'no-cache, private' });
  res.end(body);
}

/** Writes an ApiError as the Status response the apiserver would send. */
export function sendError(res: ServerResponse, err: ApiError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(err.status.code, {
    'Content-Type': 'application/json',
    'Cache-Control': 'no-cache, private',
    ...err.headers,
  });
  res.end(JSON.stringify(err.status));
}

/**
 * Reads the request body. Rejects with ApiError 413 beyond MAX_BODY_BYTES (the rest is drained)
 * and with the socket error when the client goes away.
 */
export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) tooLarge = true;
      else chunks.push(c);
    });
    req.on('end', () => {
      if (tooLarge)
        reject(new ApiError(413, 'RequestEntityTooLarge', `Request entity too large: limit is ${MAX_BODY_BYTES}`));
      else resolve(Buffer.concat(chunks).toString('utf8'));
    });
    req.on('error', reject);
  });
}

/** Parses a JSON request body into an object. Throws ApiError 400 as the apiserver's decoder does. */
export function parseObjectBody(text: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e: unknown) {
    throw new ApiError(400, 'BadRequest', `couldn't get version/kind; json parse error: ${(e as Error).message}`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new ApiError(400, 'BadRequest', 'the body of the request must be a JSON object');
  return v as Record<string, unknown>;
}

/** Parses any JSON request body (patch documents may be arrays). Throws ApiError 400. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e: unknown) {
    throw new ApiError(400, 'BadRequest', `error decoding patch: ${(e as Error).message}`);
  }
}

/** Writes a large body in pieces, waiting for the socket to drain, so 100k-object lists stream. */
export async function writeChunks(res: ServerResponse, pieces: Iterable<string>, chunkChars = 1 << 20): Promise<void> {
  let buf: string[] = [];
  let len = 0;
  const flush = async (): Promise<void> => {
    if (buf.length === 0) return;
    const ok = res.write(buf.join(''));
    buf = [];
    len = 0;
    if (!ok && !res.destroyed) await drained(res);
  };
  for (const p of pieces) {
    if (res.destroyed) return;
    buf.push(p);
    len += p.length;
    if (len >= chunkChars) await flush();
  }
  await flush();
}

/** Resolves when the response drains or closes (never rejects). */
export function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}
