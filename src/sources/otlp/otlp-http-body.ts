import type { IncomingMessage } from 'node:http';
import { promisify } from 'node:util';
import { gunzip, inflate } from 'node:zlib';
import { parseTraceRequestJson } from './otlp-json-request.js';
import type { TraceRequest } from '../../otlp/otlp-message.js';
import { decodeTraceRequest } from './otlp-proto-codec.js';

const gunzipAsync = promisify(gunzip);
const inflateAsync = promisify(inflate);

/** The two OTLP/HTTP encodings. */
export type OtlpHttpEncoding = 'protobuf' | 'json';

/** Why a body could not be read, with the HTTP status to answer. */
export class OtlpBodyError extends Error {
  override readonly name = 'OtlpBodyError';
  readonly httpStatus: 400 | 413 | 415;

  constructor(httpStatus: 400 | 413 | 415, message: string, options?: ErrorOptions) {
    super(message, options);
    this.httpStatus = httpStatus;
  }
}

/** `application/x-protobuf` / `application/json` (parameters ignored), or undefined for anything else. */
export function encodingOf(contentType: string | undefined): OtlpHttpEncoding | undefined {
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (type === 'application/x-protobuf' || type === 'application/protobuf') return 'protobuf';
  if (type === 'application/json') return 'json';
  return undefined;
}

/**
 * Reads, decompresses (gzip/deflate `content-encoding`) and decodes an OTLP/HTTP trace body.
 * Rejects with OtlpBodyError: 413 when the body or its decompressed form exceeds `maxBytes`,
 * 415 for an unknown content-encoding, 400 for a corrupt stream or an undecodable message.
 */
export async function readTraceBody(
  req: IncomingMessage,
  encoding: OtlpHttpEncoding,
  maxBytes: number,
): Promise<TraceRequest> {
  const body = await decompress(await readLimited(req, maxBytes), req.headers['content-encoding'], maxBytes);
  try {
    return encoding === 'json' ? parseTraceRequestJson(body.toString('utf8')) : decodeTraceRequest(body);
  } catch (error: unknown) {
    throw new OtlpBodyError(400, error instanceof Error ? error.message : String(error), { cause: error });
  }
}

/**
 * Collects the body up to `maxBytes`. Past the limit it stops reading (without destroying the
 * socket, so the 413 can still be sent; the server closes the connection after answering).
 */
function readLimited(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > maxBytes)
    return Promise.reject(new OtlpBodyError(413, `body of ${declared} bytes exceeds ${maxBytes}`));
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (error: OtlpBodyError | undefined): void => {
      if (settled) return;
      settled = true;
      req.off('data', onData);
      if (error === undefined) resolve(Buffer.concat(chunks));
      else reject(error);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size <= maxBytes) chunks.push(chunk);
      else {
        req.pause();
        settle(new OtlpBodyError(413, `body exceeds ${maxBytes} bytes`));
      }
    };
    req.on('data', onData);
    req.once('end', () => settle(undefined));
    req.once('error', (e: Error) => settle(new OtlpBodyError(400, 'request body could not be read', { cause: e })));
    req.once('close', () => settle(new OtlpBodyError(400, 'connection closed before the body ended')));
  });
}

async function decompress(body: Buffer, contentEncoding: string | undefined, maxBytes: number): Promise<Buffer> {
  const coding = (contentEncoding ?? 'identity').trim().toLowerCase();
  if (coding === 'identity' || coding === '') return body;
  if (coding !== 'gzip' && coding !== 'deflate') throw new OtlpBodyError(415, `unsupported content-encoding ${coding}`);
  try {
    const inflateFn = coding === 'gzip' ? gunzipAsync : inflateAsync;
    return await inflateFn(body, { maxOutputLength: maxBytes });
  } catch (error: unknown) {
    if (error instanceof RangeError) throw new OtlpBodyError(413, `decompressed body exceeds ${maxBytes} bytes`);
    throw new OtlpBodyError(400, `corrupt ${coding} body`, { cause: error });
  }
}
