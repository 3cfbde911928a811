import { Counter, type OpenMetricsContentType, type Registry } from 'prom-client';
import { ATTR } from '../model/attributes.js';
import type { SpanData } from '../model/span.js';
import { clientName } from '../synth/audit-actor.js';
import { requestInfo } from './apiserver-request.js';
import type { LabelGuards, SeriesLimiter } from './cardinality.js';
import { ExemplarHistogram } from './exemplar-histogram.js';
import { codeClass, durationSeconds, numAttr, strAttr } from './span-facts.js';

/** Metric names of the apiserver golden signals. */
export const APISERVER_METRIC = {
  requests: 'kubestitch_apiserver_requests_total',
  requestDuration: 'kubestitch_apiserver_request_duration_seconds',
} as const;

/** Values of the `source` label: which kind of span a request was seen as. */
export const REQUEST_SOURCE = { audit: 'audit', apiserverSpan: 'apiserver-span' } as const;

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const APISERVER_SERVICES: ReadonlySet<string> = new Set(['apiserver', 'kube-apiserver']);
const KCM_UA = 'kube-controller-manager/';
const KCM_SUFFIX = /^kube-controller-manager\/\S+ \([^)]*\) kubernetes\/[0-9a-f]+\/(.+)$/;

type Label = 'verb' | 'resource' | 'actor_type' | 'actor' | 'code_class' | 'source';
type DurationLabel = Exclude<Label, 'code_class'>;

interface Actor {
  /** One of: controller, scheduler, kubelet, serviceaccount, system, user, client. */
  readonly type: string;
  readonly name: string;
}

interface Request {
  readonly verb: string;
  readonly resource: string;
  readonly actor: Actor;
  readonly code: number | undefined;
  readonly source: string;
}

/**
 * Apiserver golden signals (rate, errors, latency per verb/resource/actor) from the audit
 * pseudo-spans synth makes (DESIGN §3.3: mutating requests) and from kube-apiserver's own
 * top-level server spans when they are received (every request, reads included). The `source`
 * label keeps the two apart: one mutating request can be seen as both, so never sum across it.
 * Actors are categories, never user names: the controller, `kube-scheduler`, `kubelet`, or the
 * client named by its user agent, behind the actor guard.
 */
export class ApiserverMetrics {
  readonly #guards: LabelGuards;
  readonly #requests: Counter<Label>;
  readonly #requestsLimiter: SeriesLimiter;
  readonly #duration: ExemplarHistogram<DurationLabel>;

  constructor(registry: Registry<OpenMetricsContentType>, guards: LabelGuards) {
    this.#guards = guards;
    this.#requests = new Counter({
      name: APISERVER_METRIC.requests,
      help: 'Apiserver requests by verb, resource, actor and response code class (source: audit or apiserver-span).',
      labelNames: ['verb', 'resource', 'actor_type', 'actor', 'code_class', 'source'],
      registers: [registry],
    });
    this.#requestsLimiter = guards.seriesLimiter(['resource', 'actor']);
    this.#duration = new ExemplarHistogram(
      registry,
      {
        name: APISERVER_METRIC.requestDuration,
        help: 'Apiserver request latency (requestReceived to response complete) by verb, resource and actor.',
        labelNames: ['verb', 'resource', 'actor_type', 'actor', 'source'],
        buckets: LATENCY_BUCKETS,
      },
      guards.seriesLimiter(['resource', 'actor']),
    );
  }

  /** Observes `span` if it is an audited request or an apiserver server span; returns whether it was used. */
  observe(span: SpanData): boolean {
    const request = auditRequest(span) ?? apiserverSpanRequest(span);
    const seconds = durationSeconds(span);
    if (request === undefined || seconds === undefined) return false;
    const g = this.#guards;
    const labels = {
      verb: request.verb,
      resource: g.resource.admit(request.resource),
      actor_type: request.actor.type,
      actor: g.actor.admit(request.actor.name),
      source: request.source,
    };
    this.#requests.inc(this.#requestsLimiter.limit({ ...labels, code_class: codeClass(request.code) }));
    this.#duration.observe(labels, seconds, span);
    return true;
  }
}

// Synth's audit pseudo-spans carry kubestitch.audit.verb; nothing else does.
function auditRequest(span: SpanData): Request | undefined {
  const a = span.attributes;
  const verb = strAttr(a, ATTR.auditVerb);
  if (verb === undefined) return undefined;
  const resource = strAttr(a, ATTR.objectResource);
  const sub = strAttr(a, ATTR.objectSubresource);
  return {
    verb: verb.toLowerCase(),
    resource: resource === undefined ? 'nonresource' : sub === undefined ? resource : `${resource}/${sub}`,
    actor: auditActorOf(span),
    code: numAttr(a, ATTR.httpStatusCode),
    source: REQUEST_SOURCE.audit,
  };
}

function auditActorOf(span: SpanData): Actor {
  const service = strAttr(span.resource.attributes, ATTR.serviceName) ?? 'unknown-client';
  if (service === 'kube-scheduler') return { type: 'scheduler', name: service };
  if (service === 'kubelet') return { type: 'kubelet', name: service };
  if (service === 'kube-controller-manager') {
    return { type: 'controller', name: strAttr(span.resource.attributes, ATTR.controllerName) ?? service };
  }
  const user = strAttr(span.attributes, ATTR.enduserId) ?? strAttr(span.attributes, ATTR.auditUser) ?? '';
  if (user.startsWith('system:serviceaccount:')) return { type: 'serviceaccount', name: service };
  if (user.startsWith('system:')) return { type: 'system', name: service };
  return { type: 'user', name: service };
}

// kube-apiserver's otelhttp server span; its handler and etcd spans are internal/client spans.
function apiserverSpanRequest(span: SpanData): Request | undefined {
  if (span.kind !== 'server') return undefined;
  const service = strAttr(span.resource.attributes, ATTR.serviceName);
  if (service === undefined || !APISERVER_SERVICES.has(service)) return undefined;
  const a = span.attributes;
  const method = strAttr(a, 'http.request.method') ?? strAttr(a, 'http.method');
  if (method === undefined) return undefined;
  const query = strAttr(a, 'url.query');
  const target =
    strAttr(a, 'http.target') ?? `${strAttr(a, ATTR.urlPath) ?? '/'}${query !== undefined ? `?${query}` : ''}`;
  const info = requestInfo(method, target);
  return {
    verb: info.verb,
    resource: info.resource,
    actor: userAgentActor(strAttr(a, ATTR.userAgent) ?? strAttr(a, 'http.user_agent') ?? ''),
    code: numAttr(a, ATTR.httpStatusCode) ?? numAttr(a, 'http.status_code'),
    source: REQUEST_SOURCE.apiserverSpan,
  };
}

/** The actor of a request known only by its user agent (real apiserver spans carry no user). */
function userAgentActor(userAgent: string): Actor {
  if (userAgent.startsWith(KCM_UA)) {
    // `kube-controller-manager/v1.31.2 (linux/amd64) kubernetes/5864a46/system:serviceaccount:kube-system:replicaset-controller`;
    // without the suffix the controller runs under the manager's own credentials.
    const suffix = KCM_SUFFIX.exec(userAgent)?.[1] ?? '';
    const name = suffix.slice(suffix.lastIndexOf(':') + 1);
    return { type: 'controller', name: /^[a-z0-9-]+$/.test(name) ? name : 'kube-controller-manager' };
  }
  const client = clientName(userAgent);
  if (client === 'kube-scheduler') return { type: 'scheduler', name: client };
  if (client === 'kubelet') return { type: 'kubelet', name: client };
  return { type: 'client', name: client };
}
