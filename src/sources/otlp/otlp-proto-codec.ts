/**
 * Protobuf codec for OTLP trace export messages, built by @grpc/proto-loader from the
 * opentelemetry-proto v1.4.0 files vendored under `./proto` (Apache-2.0, see proto/README.md).
 *
 * Decoding keeps field presence (`defaults: false`) and repeated fields as arrays, so
 * `encodeTraceRequest(decodeTraceRequest(b))` writes the same fields `b` held. Bytes can still
 * differ from what a Go exporter sent (protobufjs orders fields by number; unknown fields are
 * dropped).
 */
import { fileURLToPath } from 'node:url';
import * as protoLoader from '@grpc/proto-loader';
import { checkShape } from '../input-boundary.js';
import type { TraceRequest, TraceResponse } from '../../otlp/otlp-message.js';

const SERVICE = 'opentelemetry.proto.collector.trace.v1.TraceService';
const SERVICE_PROTO = 'opentelemetry/proto/collector/trace/v1/trace_service.proto';

/** gRPC method path of TraceService/Export. */
export const TRACE_EXPORT_PATH = `/${SERVICE}/Export`;

/** Directory holding the vendored `opentelemetry/proto/...` files. */
export const OTLP_PROTO_DIR = fileURLToPath(new URL('./proto/', import.meta.url));

/** Thrown by the decoders for bytes that are not a valid message of the expected type. */
export class OtlpDecodeError extends Error {
  override readonly name = 'OtlpDecodeError';
}

let method: protoLoader.MethodDefinition<object, object> | undefined;

// Loaded on first use, synchronously (four small files): a module import has no side effects.
function exportMethod(): protoLoader.MethodDefinition<object, object> {
  if (method !== undefined) return method;
  const definition = protoLoader.loadSync(SERVICE_PROTO, {
    includeDirs: [OTLP_PROTO_DIR],
    keepCase: false,
    longs: String,
    enums: Number,
    bytes: Buffer,
    defaults: false,
    arrays: true,
    oneofs: false,
  });
  const service = definition[SERVICE];
  const found = service !== undefined && 'Export' in service ? service['Export'] : undefined;
  if (found === undefined || !('requestSerialize' in found)) {
    throw new Error(`${SERVICE}/Export missing from ${OTLP_PROTO_DIR}`);
  }
  method = found;
  return found;
}

/**
 * Decodes an ExportTraceServiceRequest. Throws OtlpDecodeError when the bytes are not valid
 * protobuf for it (truncated, wrong wire types). Field contents (id lengths…) are not checked.
 */
export function decodeTraceRequest(bytes: Buffer): TraceRequest {
  let request: TraceRequest;
  try {
    // proto-loader returns `object`; its shape is fixed by the .proto and the options above.
    // A nesting too deep for its recursive decoder ends here too, as a RangeError.
    request = exportMethod().requestDeserialize(bytes) as TraceRequest;
  } catch (error: unknown) {
    if (error instanceof OtlpDecodeError) throw error;
    throw new OtlpDecodeError(`not a valid ExportTraceServiceRequest: ${messageOf(error)}`, { cause: error });
  }
  // Forwarding re-encodes it, recursively: the input boundary's depth limit applies.
  const shape = checkShape(request);
  if (shape !== undefined) throw new OtlpDecodeError(shape);
  return request;
}

/** Encodes an ExportTraceServiceRequest. Throws (a TypeError from protobufjs) for ill-typed fields. */
export function encodeTraceRequest(request: TraceRequest): Buffer {
  return exportMethod().requestSerialize(request);
}

/** Encodes an ExportTraceServiceResponse. Never throws for a well-typed response. */
export function encodeTraceResponse(response: TraceResponse): Buffer {
  return exportMethod().responseSerialize(response);
}

/** Decodes an ExportTraceServiceResponse (empty bytes are a full success). Throws OtlpDecodeError. */
export function decodeTraceResponse(bytes: Buffer): TraceResponse {
  let decoded: { partialSuccess?: { rejectedSpans?: string; errorMessage?: string } | null };
  try {
    decoded = exportMethod().responseDeserialize(bytes) as typeof decoded;
  } catch (error: unknown) {
    throw new OtlpDecodeError(`not a valid ExportTraceServiceResponse: ${messageOf(error)}`, { cause: error });
  }
  const partial = decoded.partialSuccess;
  if (partial === undefined || partial === null) return {};
  return {
    partialSuccess: { rejectedSpans: Number(partial.rejectedSpans ?? 0), errorMessage: partial.errorMessage ?? '' },
  };
}

/**
 * `google.rpc.Status { int32 code = 1; string message = 2; }` — the body of an OTLP/HTTP error
 * response. Encoded by hand: two fields do not justify vendoring google/rpc/status.proto.
 */
export function encodeRpcStatus(code: number, message: string): Buffer {
  const text = Buffer.from(message, 'utf8');
  const parts: Buffer[] = [];
  if (code !== 0) parts.push(Buffer.from([0x08]), varint(code));
  if (text.length > 0) parts.push(Buffer.from([0x12]), varint(text.length), text);
  return Buffer.concat(parts);
}

function varint(value: number): Buffer {
  const bytes: number[] = [];
  let v = value >>> 0;
  while (v >= 0x80) {
    bytes.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  bytes.push(v);
  return Buffer.from(bytes);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
