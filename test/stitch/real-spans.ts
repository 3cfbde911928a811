/**
 * Real-shaped OTLP/JSON export requests of kube-apiserver, etcd, kubelet and containerd, as the
 * Collector file exporter writes them: span names, kinds, scopes and attributes as those
 * components emit (otelhttp server span + endpoint handler span with `audit-id` + otelgrpc etcd
 * client span; etcd's otelgrpc server span; kubelet `syncPod` with `k8s.pod.uid` and its CRI
 * client spans; containerd's CRI server span).
 */
import { OTELGRPC, OTELHTTP, type JsonRequest, type Plain, envelope, idOf, span } from './otlp-json-builders.js';

export { idOf, ms, toRequest } from './otlp-json-builders.js';
export type { JsonRequest } from './otlp-json-builders.js';

export interface ApiserverTraceSpec {
  readonly label: string;
  readonly auditId: string;
  readonly method: string;
  readonly path: string;
  readonly userAgent: string;
  readonly startMs: number;
  readonly endMs: number;
  readonly status: number;
  /** v1.32+: the otelhttp top span carries `audit-id`; before, only handler spans do (or none). */
  readonly auditIdOn: 'top-and-handler' | 'handler' | 'none';
}

/** The ids an apiserver trace's spans got. */
export interface ApiserverTrace {
  readonly request: JsonRequest;
  readonly traceId: string;
  readonly topSpanId: string;
  readonly handlerSpanId: string;
  readonly etcdClientSpanId: string;
  readonly etcdWindow: { readonly startMs: number; readonly endMs: number };
}

/** One apiserver request trace: otelhttp server span → `Create` handler span → etcd Txn client span. */
export function apiserverTrace(t: ApiserverTraceSpec): ApiserverTrace {
  const traceId = idOf(`${t.label}/trace`, 16);
  const topSpanId = idOf(`${t.label}/top`, 8);
  const handlerSpanId = idOf(`${t.label}/handler`, 8);
  const etcdClientSpanId = idOf(`${t.label}/etcd-client`, 8);
  const d = t.endMs - t.startMs;
  const etcdWindow = { startMs: t.startMs + d * 0.5, endMs: t.startMs + d * 0.8 };
  const audit: Record<string, Plain> = t.auditIdOn === 'none' ? {} : { 'audit-id': t.auditId };
  const top = span({
    traceId,
    spanId: topSpanId,
    name:
      t.auditIdOn === 'top-and-handler'
        ? `${t.method} ${t.path.replace(/namespaces\/[^/]+/, 'namespaces/{:namespace}')}`
        : 'KubernetesAPI',
    kind: 2,
    startMs: t.startMs,
    endMs: t.endMs,
    attributes: {
      ...(t.auditIdOn === 'top-and-handler' ? audit : {}),
      'http.method': t.method,
      'http.target': t.path,
      'http.scheme': 'https',
      'http.flavor': '2',
      'http.user_agent': t.userAgent,
      'http.status_code': t.status,
      'http.wrote_bytes': 1384,
      'net.host.name': '10.96.0.1',
      'net.sock.peer.addr': '10.244.0.7',
    },
  });
  const handler = span({
    traceId,
    spanId: handlerSpanId,
    parentSpanId: topSpanId,
    name: 'Create',
    kind: 1,
    startMs: t.startMs + d * 0.2,
    endMs: t.startMs + d * 0.95,
    attributes: {
      ...(t.auditIdOn === 'handler' ? audit : {}),
      ...(t.auditIdOn === 'top-and-handler' ? audit : {}),
      accept: 'application/vnd.kubernetes.protobuf, */*',
      client: '10.244.0.7',
      protocol: 'HTTP/2.0',
      resource: 'pods',
      scope: 'namespace',
      url: t.path,
      'user-agent': t.userAgent,
      verb: t.method,
    },
    events: [
      { name: 'About to convert to expected version', atMs: t.startMs + d * 0.25 },
      { name: 'Conversion done', atMs: t.startMs + d * 0.3 },
      { name: 'About to store object in database', atMs: t.startMs + d * 0.45 },
      { name: 'Write to database call succeeded', atMs: t.startMs + d * 0.85, attributes: { len: 1384 } },
    ],
  });
  const etcdClient = span({
    traceId,
    spanId: etcdClientSpanId,
    parentSpanId: handlerSpanId,
    name: 'etcdserverpb.KV/Txn',
    kind: 3,
    ...etcdWindow,
    attributes: {
      'rpc.system': 'grpc',
      'rpc.service': 'etcdserverpb.KV',
      'rpc.method': 'Txn',
      'net.sock.peer.addr': '127.0.0.1',
      'net.sock.peer.port': 2379,
      'rpc.grpc.status_code': 0,
    },
    events: [
      {
        name: 'message',
        atMs: etcdWindow.startMs + 0.01,
        attributes: { 'message.type': 'SENT', 'message.id': 1, 'message.uncompressed_size': 1502 },
      },
      {
        name: 'message',
        atMs: etcdWindow.endMs - 0.01,
        attributes: { 'message.type': 'RECEIVED', 'message.id': 1, 'message.uncompressed_size': 42 },
      },
    ],
  });
  const request = envelope(
    {
      'service.name': 'apiserver',
      'service.instance.id': 'kube-apiserver-control-plane',
      'host.name': 'control-plane',
    },
    [
      { ...OTELHTTP, spans: [top] },
      { name: 'k8s.io/apiserver/pkg/endpoints/handlers', version: '', spans: [handler] },
      { ...OTELGRPC, spans: [etcdClient] },
    ],
  );
  return { request, traceId, topSpanId, handlerSpanId, etcdClientSpanId, etcdWindow };
}

/** etcd's own server span of an apiserver Txn, exported by etcd in its own batch. */
export function etcdServerBatch(
  traceId: string,
  parentSpanId: string,
  window: { startMs: number; endMs: number },
): JsonRequest {
  const d = window.endMs - window.startMs;
  return envelope({ 'service.name': 'etcd', 'service.instance.id': 'etcd-control-plane' }, [
    {
      ...OTELGRPC,
      spans: [
        span({
          traceId,
          spanId: idOf(`${traceId}/etcd-server`, 8),
          parentSpanId,
          name: 'etcdserverpb.KV/Txn',
          kind: 2,
          startMs: window.startMs + d * 0.1,
          endMs: window.endMs - d * 0.1,
          attributes: {
            'rpc.system': 'grpc',
            'rpc.service': 'etcdserverpb.KV',
            'rpc.method': 'Txn',
            'net.sock.peer.addr': '127.0.0.1',
            'rpc.grpc.status_code': 0,
            // Every OTLP value type, to prove forwarding is lossless.
            'test.double': 0.25,
            'test.bool': true,
            'test.ints': { arrayValue: { values: [{ intValue: '1' }, { intValue: '-9007199254740993' }] } },
            'test.kvlist': { kvlistValue: { values: [{ key: 'revision', value: { intValue: '5542' } }] } },
            'test.bytes': { bytesValue: Buffer.from([0, 1, 254, 255]).toString('base64') },
          },
        }),
      ],
    },
  ]);
}

export interface KubeletTrace {
  readonly request: JsonRequest;
  readonly traceId: string;
  readonly syncSpanId: string;
  readonly createContainerSpanId: string;
  readonly createWindow: { readonly startMs: number; readonly endMs: number };
}

/** kubelet `syncPod` (or a termination sync) with its CRI client spans. */
export function kubeletSync(
  label: string,
  name: string,
  pod: { uid: string; name: string; namespace: string },
  startMs: number,
  endMs: number,
): KubeletTrace {
  const traceId = idOf(`${label}/trace`, 16);
  const syncSpanId = idOf(`${label}/sync`, 8);
  const createContainerSpanId = idOf(`${label}/create`, 8);
  const d = endMs - startMs;
  const cri = (id: string, method: string, from: number, to: number): object =>
    span({
      traceId,
      spanId: id,
      parentSpanId: syncSpanId,
      name: method,
      kind: 3,
      startMs: startMs + d * from,
      endMs: startMs + d * to,
      attributes: {
        'rpc.system': 'grpc',
        'rpc.service': method.split('/')[0] ?? '',
        'rpc.method': method.split('/')[1] ?? '',
        'rpc.grpc.status_code': 0,
      },
    });
  const sync = span({
    traceId,
    spanId: syncSpanId,
    name,
    kind: 1,
    startMs,
    endMs,
    attributes: {
      'k8s.pod.uid': pod.uid,
      'k8s.pod': `${pod.namespace}/${pod.name}`,
      'k8s.pod.name': pod.name,
      'k8s.pod.update_type': 'create',
      'k8s.namespace.name': pod.namespace,
    },
  });
  const createWindow = { startMs: startMs + d * 0.6, endMs: startMs + d * 0.8 };
  const request = envelope({ 'service.name': 'kubelet', 'host.name': 'minikube' }, [
    { name: 'k8s.io/kubernetes/pkg/kubelet', version: '', spans: [sync] },
    {
      ...OTELGRPC,
      spans: [
        cri(idOf(`${label}/sandbox`, 8), 'runtime.v1.RuntimeService/RunPodSandbox', 0.05, 0.3),
        cri(idOf(`${label}/pull`, 8), 'runtime.v1.ImageService/PullImage', 0.3, 0.55),
        cri(createContainerSpanId, 'runtime.v1.RuntimeService/CreateContainer', 0.6, 0.8),
        cri(idOf(`${label}/start`, 8), 'runtime.v1.RuntimeService/StartContainer', 0.82, 0.95),
      ],
    },
  ]);
  return { request, traceId, syncSpanId, createContainerSpanId, createWindow };
}

/** containerd's CRI server span for kubelet's CreateContainer, exported by containerd. */
export function containerdBatch(
  traceId: string,
  parentSpanId: string,
  window: { startMs: number; endMs: number },
): JsonRequest {
  const d = window.endMs - window.startMs;
  return envelope({ 'service.name': 'containerd', 'service.version': 'v1.7.13' }, [
    {
      ...OTELGRPC,
      spans: [
        span({
          traceId,
          spanId: idOf(`${traceId}/containerd`, 8),
          parentSpanId,
          name: 'runtime.v1.RuntimeService/CreateContainer',
          kind: 2,
          startMs: window.startMs + d * 0.05,
          endMs: window.endMs - d * 0.05,
          attributes: {
            'rpc.system': 'grpc',
            'rpc.service': 'runtime.v1.RuntimeService',
            'rpc.method': 'CreateContainer',
            'rpc.grpc.status_code': 0,
          },
        }),
      ],
    },
  ]);
}

/** A request of some unrelated service (never held, never stitched). */
export function unrelatedBatch(label: string, atMs: number): JsonRequest {
  return envelope({ 'service.name': 'checkout' }, [
    {
      name: 'my-app',
      version: '1.0.0',
      spans: [
        span({
          traceId: idOf(`${label}/trace`, 16),
          spanId: idOf(`${label}/span`, 8),
          name: 'GET /cart',
          kind: 2,
          startMs: atMs,
          endMs: atMs + 12,
          attributes: { 'http.request.method': 'GET', 'url.path': '/cart' },
        }),
      ],
    },
  ]);
}
