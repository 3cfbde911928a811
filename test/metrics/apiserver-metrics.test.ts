import { describe, expect, it } from 'vitest';
import { requestInfo } from '../../src/metrics/apiserver-request.js';
import { KubestitchMetrics } from '../../src/metrics/kubestitch-metrics.js';
import type { Attributes, SpanData, SpanKind } from '../../src/model/span.js';
import { parseExposition } from './reference-parser.js';

function span(kind: SpanKind, resource: Attributes, attributes: Attributes, ms: number, id: number): SpanData {
  return {
    traceId: id.toString(16).padStart(32, '0'),
    spanId: id.toString(16).padStart(16, '0'),
    name: 'KubernetesAPI',
    kind,
    startMs: 1_000,
    endMs: 1_000 + ms,
    resource: { attributes: resource },
    attributes,
    events: [],
    links: [],
    status: { code: 'unset' },
  };
}

// kube-apiserver's otelhttp server span (semconv v1.17 keys, as ≤ 1.3x apiservers emit them).
const apiserverSpan = (method: string, target: string, ua: string, code: number, ms: number, id: number): SpanData =>
  span(
    'server',
    { 'service.name': 'apiserver' },
    { 'http.method': method, 'http.target': target, 'http.user_agent': ua, 'http.status_code': code },
    ms,
    id,
  );

const KCM_UA =
  'kube-controller-manager/v1.31.2 (linux/amd64) kubernetes/5864a46/system:serviceaccount:kube-system:replicaset-controller';

describe('ApiserverMetrics', () => {
  it('turns apiserver server spans into requests by verb, resource, actor and code class', async () => {
    const metrics = new KubestitchMetrics();
    metrics.observeSpans([
      apiserverSpan(
        'GET',
        '/api/v1/namespaces/shop/pods?limit=500',
        'kubectl/v1.31.2 (linux/amd64) kubernetes/5864a46',
        200,
        12,
        1,
      ),
      apiserverSpan(
        'GET',
        '/api/v1/namespaces/shop/pods?watch=true&resourceVersion=5',
        'kubelet/v1.31.2 (linux/amd64) kubernetes/5864a46',
        200,
        30_000,
        2,
      ),
      apiserverSpan('POST', '/api/v1/namespaces/shop/pods', KCM_UA, 201, 8, 3),
      apiserverSpan('PATCH', '/api/v1/namespaces/shop/pods/web-1/status', 'kubelet/v1.31.2', 422, 5, 4),
      apiserverSpan('DELETE', '/apis/apps/v1/namespaces/shop/deployments/web', 'helm/v3.14.0', 503, 40, 5),
      // The handler and etcd spans of the same requests are not requests themselves.
      span('internal', { 'service.name': 'apiserver' }, { 'audit-id': 'x' }, 4, 6),
      span('client', { 'service.name': 'apiserver' }, { 'rpc.method': 'Txn' }, 2, 7),
      // Another service's HTTP server span is not the apiserver's.
      span('server', { 'service.name': 'checkout' }, { 'http.method': 'GET', 'http.target': '/api/v1/pods' }, 3, 8),
    ]);
    const fams = parseExposition((await metrics.render('application/openmetrics-text')).body, 'openmetrics');
    const requests = fams.find((f) => f.name === 'kubestitch_apiserver_requests')?.samples ?? [];
    const rows = requests
      .map(
        (s) =>
          `${s.labels['verb']} ${s.labels['resource']} ${s.labels['actor_type']}/${s.labels['actor']} ${s.labels['code_class']} ${s.labels['source']} = ${s.value}`,
      )
      .sort();
    expect(rows).toEqual([
      'create pods controller/replicaset-controller 2xx apiserver-span = 1',
      'delete deployments client/helm 5xx apiserver-span = 1',
      'list pods client/kubectl 2xx apiserver-span = 1',
      'patch pods/status kubelet/kubelet 4xx apiserver-span = 1',
      'watch pods kubelet/kubelet 2xx apiserver-span = 1',
    ]);
    const latency = fams.find((f) => f.name === 'kubestitch_apiserver_request_duration_seconds')?.samples ?? [];
    const watch = latency.find((s) => s.name.endsWith('_sum') && s.labels['verb'] === 'watch');
    expect(watch?.value).toBe(30);
    const exemplar = latency.find((s) => s.exemplar !== null && s.labels['verb'] === 'delete')?.exemplar;
    expect(exemplar?.labels['trace_id']).toBe('5'.padStart(32, '0'));
    expect(exemplar?.value).toBe(0.04);
  });

  it('labels audit pseudo-spans by actor category, folding user names away', async () => {
    const metrics = new KubestitchMetrics();
    const audit = (user: string, resource: Attributes, id: number): SpanData =>
      span(
        'client',
        resource,
        {
          'kubestitch.audit.verb': 'patch',
          'kubestitch.object.resource': 'deployments',
          'enduser.id': user,
          'http.response.status_code': 200,
        },
        7,
        id,
      );
    metrics.observeSpans([
      audit('alice@example.com', { 'service.name': 'kubectl' }, 1),
      audit(
        'system:serviceaccount:argocd:argocd-application-controller',
        { 'service.name': 'argocd-application-controller' },
        2,
      ),
      audit(
        'system:kube-controller-manager',
        { 'service.name': 'kube-controller-manager', 'kubestitch.controller.name': 'deployment-controller' },
        3,
      ),
      audit('system:apiserver', { 'service.name': 'kube-apiserver' }, 4),
    ]);
    const text = (await metrics.render()).body;
    const actors = [
      ...text.matchAll(/^kubestitch_apiserver_requests_total\{[^}]*actor_type="([^"]+)",actor="([^"]+)"/gm),
    ]
      .map((m) => `${m[1]}/${m[2]}`)
      .sort();
    expect(actors).toEqual([
      'controller/deployment-controller',
      'serviceaccount/argocd-application-controller',
      'system/kube-apiserver',
      'user/kubectl',
    ]);
    expect(text).not.toContain('alice');
  });

  it('folds client actors outside the allow-list', async () => {
    const metrics = new KubestitchMetrics({ cardinality: { actorAllow: ['kubectl', '*-controller'] } });
    metrics.observeSpans([
      apiserverSpan('GET', '/api/v1/pods', 'kubectl/v1.31', 200, 1, 1),
      apiserverSpan('GET', '/api/v1/pods', 'my-script/0.1', 200, 1, 2),
      apiserverSpan('POST', '/api/v1/namespaces/a/pods', KCM_UA, 201, 1, 3),
    ]);
    const text = (await metrics.render()).body;
    expect(text).toMatch(/actor="kubectl"/);
    expect(text).toMatch(/actor="replicaset-controller"/);
    expect(text).not.toMatch(/my-script/);
    expect(text).toMatch(/actor_type="client",actor="other"/);
  });
});

describe('requestInfo', () => {
  it.each([
    ['GET', '/api/v1/namespaces/a/pods/p', 'get', 'pods'],
    ['GET', '/api/v1/pods', 'list', 'pods'],
    ['GET', '/api/v1/watch/namespaces/a/pods', 'watch', 'pods'],
    ['GET', '/apis/apps/v1/deployments?watch=1', 'watch', 'deployments'],
    ['GET', '/api/v1/namespaces/a', 'get', 'namespaces'],
    ['GET', '/api/v1/namespaces', 'list', 'namespaces'],
    ['PUT', '/api/v1/namespaces/a/finalize', 'update', 'namespaces/finalize'],
    ['POST', '/api/v1/namespaces/a/pods/p/binding', 'create', 'pods/binding'],
    ['PATCH', '/apis/apps/v1/namespaces/a/deployments/web/scale', 'patch', 'deployments/scale'],
    ['DELETE', '/api/v1/namespaces/a/pods', 'deletecollection', 'pods'],
    ['DELETE', '/api/v1/namespaces/a/pods/p', 'delete', 'pods'],
    ['GET', '/healthz', 'get', 'nonresource'],
    ['GET', '/apis/apps/v1', 'get', 'nonresource'],
  ])('%s %s is %s %s', (method, target, verb, resource) => {
    expect(requestInfo(method, target)).toEqual({ verb, resource });
  });
});
