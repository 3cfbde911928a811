/**
 * A real OTLP/gRPC trace receiver for tests: a grpc-js server on 127.0.0.1 implementing
 * opentelemetry.proto.collector.trace.v1.TraceService/Export from the .proto files bundled with
 * @elastic/mockotlpserver, decoding requests with @grpc/proto-loader (not with our own code).
 */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

const SERVICE = 'opentelemetry.proto.collector.trace.v1.TraceService';

/** Directory holding `opentelemetry/proto/...` (mockotlpserver has no exports map, so this resolves). */
export const OTLP_PROTO_ROOT = dirname(createRequire(import.meta.url).resolve('@elastic/mockotlpserver/package.json'));
export const TRACE_SERVICE_PROTO = 'opentelemetry/proto/collector/trace/v1/trace_service.proto';

/** A decoded attribute value (int64 as number, arrays as arrays). */
export type ReceivedValue = string | number | boolean | null | ReceivedValue[];
export type ReceivedAttributes = Record<string, ReceivedValue>;

/** One span as the receiver decoded it, ids as lower-case hex, nanos as decimal strings. */
export interface ReceivedSpan {
  readonly traceId: string;
  readonly spanId: string;
  /** '' for a root span. */
  readonly parentSpanId: string;
  readonly flags: number;
  readonly name: string;
  readonly kind: number;
  readonly startTimeUnixNano: string;
  readonly endTimeUnixNano: string;
  readonly attributes: ReceivedAttributes;
  readonly events: readonly {
    name: string;
    timeUnixNano: string;
    attributes: ReceivedAttributes;
  }[];
  readonly links: readonly {
    traceId: string;
    spanId: string;
    flags: number;
    attributes: ReceivedAttributes;
  }[];
  readonly status: { readonly code: number; readonly message: string };
  readonly resource: ReceivedAttributes;
  readonly scope: { readonly name: string; readonly version: string };
}

/** How the receiver answers the next exports. */
export interface ReceiverBehavior {
  /** gRPC status to fail with (default OK). */
  readonly code?: grpc.status;
  /** Delay before answering. */
  readonly delayMs?: number;
}

type Obj = Record<string, unknown>;

export class OtlpGrpcReceiver {
  #server: grpc.Server | undefined;
  #requests: Obj[] = [];
  #metadata: grpc.Metadata[] = [];
  #behavior: ReceiverBehavior = {};
  #timers = new Set<NodeJS.Timeout>();

  /**
   * Starts listening on `port` (default: an ephemeral one; pass an earlier run's port to bring a
   * "backend" back on the same address); resolves with an `http://127.0.0.1:<port>` url, or
   * `https://` with `tls` (its certificate and key; only clients with a certificate signed by
   * `clientCa` get in).
   */
  async start(
    port = 0,
    tls?: { readonly cert: Buffer; readonly key: Buffer; readonly clientCa: Buffer },
  ): Promise<{ url: string }> {
    const definition = await protoLoader.load(TRACE_SERVICE_PROTO, {
      includeDirs: [OTLP_PROTO_ROOT],
      keepCase: false,
      longs: String,
      enums: Number,
      bytes: Buffer,
      defaults: true,
      arrays: true,
      oneofs: true,
    });
    const service = definition[SERVICE];
    if (service === undefined || !('Export' in service)) throw new Error(`${SERVICE} not found`);
    const server = new grpc.Server();
    server.addService(service as grpc.ServiceDefinition, { Export: this.#handleExport });
    const boundPort = await new Promise<number>((resolve, reject) => {
      const credentials =
        tls === undefined
          ? grpc.ServerCredentials.createInsecure()
          : grpc.ServerCredentials.createSsl(tls.clientCa, [{ cert_chain: tls.cert, private_key: tls.key }], true);
      server.bindAsync(`127.0.0.1:${port}`, credentials, (err, bound) => (err === null ? resolve(bound) : reject(err)));
    });
    this.#server = server;
    return { url: `${tls === undefined ? 'http' : 'https'}://127.0.0.1:${boundPort}` };
  }

  /** Raw decoded ExportTraceServiceRequest objects (proto-loader shape), in arrival order. */
  get requests(): readonly Obj[] {
    return this.#requests;
  }

  /** Call metadata of each request, in arrival order. */
  get metadata(): readonly grpc.Metadata[] {
    return this.#metadata;
  }

  respondWith(behavior: ReceiverBehavior): void {
    this.#behavior = behavior;
  }

  /** Every received span, flattened in arrival order. */
  spans(): ReceivedSpan[] {
    return this.#requests.flatMap((request) =>
      list(request['resourceSpans']).flatMap((rs) => {
        const resource = decodeAttributes(obj(rs['resource'])['attributes']);
        return list(rs['scopeSpans']).flatMap((ss) => {
          const scope = obj(ss['scope']);
          return list(ss['spans']).map((s) => decodeSpan(s, resource, scope));
        });
      }),
    );
  }

  /** Stops at once, dropping open calls. Idempotent. */
  async stop(): Promise<void> {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    this.#server?.forceShutdown();
    this.#server = undefined;
  }

  #handleExport = (call: grpc.ServerUnaryCall<Obj, Obj>, callback: grpc.sendUnaryData<Obj>): void => {
    const { code, delayMs = 0 } = this.#behavior;
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      if (code !== undefined && code !== grpc.status.OK) {
        callback({ code, details: `receiver told to answer ${grpc.status[code]}` });
        return;
      }
      this.#requests.push(call.request);
      this.#metadata.push(call.metadata);
      callback(null, {});
    }, delayMs);
    this.#timers.add(timer);
  };
}

function decodeSpan(s: Obj, resource: ReceivedAttributes, scope: Obj): ReceivedSpan {
  const status = obj(s['status']);
  return {
    traceId: hex(s['traceId']),
    spanId: hex(s['spanId']),
    parentSpanId: hex(s['parentSpanId']),
    flags: Number(s['flags']),
    name: String(s['name']),
    kind: Number(s['kind']),
    startTimeUnixNano: String(s['startTimeUnixNano']),
    endTimeUnixNano: String(s['endTimeUnixNano']),
    attributes: decodeAttributes(s['attributes']),
    events: list(s['events']).map((e) => ({
      name: String(e['name']),
      timeUnixNano: String(e['timeUnixNano']),
      attributes: decodeAttributes(e['attributes']),
    })),
    links: list(s['links']).map((l) => ({
      traceId: hex(l['traceId']),
      spanId: hex(l['spanId']),
      flags: Number(l['flags']),
      attributes: decodeAttributes(l['attributes']),
    })),
    status: { code: Number(status['code']), message: String(status['message']) },
    resource,
    scope: { name: String(scope['name']), version: String(scope['version']) },
  };
}

function decodeAttributes(value: unknown): ReceivedAttributes {
  const out: ReceivedAttributes = {};
  for (const kv of list(value)) out[String(kv['key'])] = decodeValue(obj(kv['value']));
  return out;
}

function decodeValue(any: Obj): ReceivedValue {
  const which = any['value'];
  switch (which) {
    case 'stringValue':
      return String(any['stringValue']);
    case 'boolValue':
      return Boolean(any['boolValue']);
    case 'intValue':
      return Number(any['intValue']);
    case 'doubleValue':
      return Number(any['doubleValue']);
    case 'arrayValue':
      return list(obj(any['arrayValue'])['values']).map(decodeValue);
    default:
      return null;
  }
}

function hex(value: unknown): string {
  return Buffer.isBuffer(value) ? value.toString('hex') : '';
}

function obj(value: unknown): Obj {
  return typeof value === 'object' && value !== null ? (value as Obj) : {};
}

function list(value: unknown): Obj[] {
  return Array.isArray(value) ? value.map(obj) : [];
}
