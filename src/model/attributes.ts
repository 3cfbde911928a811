/**
 * Every span attribute key kubestitch writes. OTel semantic-convention `k8s.*` keys where they
 * exist; our own under `kubestitch.`. Nothing else in the code base spells an attribute key.
 */
export const ATTR = {
  serviceName: 'service.name',
  serviceVersion: 'service.version',
  enduserId: 'enduser.id',

  clusterName: 'k8s.cluster.name',
  namespaceName: 'k8s.namespace.name',
  nodeName: 'k8s.node.name',
  nodeUid: 'k8s.node.uid',
  podName: 'k8s.pod.name',
  podUid: 'k8s.pod.uid',
  containerName: 'k8s.container.name',
  containerImage: 'container.image.name',
  deploymentName: 'k8s.deployment.name',
  deploymentUid: 'k8s.deployment.uid',
  replicasetName: 'k8s.replicaset.name',
  replicasetUid: 'k8s.replicaset.uid',
  statefulsetName: 'k8s.statefulset.name',
  statefulsetUid: 'k8s.statefulset.uid',
  daemonsetName: 'k8s.daemonset.name',
  daemonsetUid: 'k8s.daemonset.uid',
  jobName: 'k8s.job.name',
  jobUid: 'k8s.job.uid',
  cronjobName: 'k8s.cronjob.name',
  cronjobUid: 'k8s.cronjob.uid',
  controllerName: 'kubestitch.controller.name',

  // kubestitch's own keys.
  operation: 'kubestitch.operation',
  outcome: 'kubestitch.outcome',
  objectKind: 'k8s.object.kind',
  objectGroup: 'kubestitch.object.group',
  objectResource: 'kubestitch.object.resource',
  objectName: 'k8s.object.name',
  objectUid: 'k8s.object.uid',
  revision: 'kubestitch.revision',
  generation: 'kubestitch.generation',
  replicasFrom: 'kubestitch.replicas.from',
  replicasTo: 'kubestitch.replicas.to',
  conditionType: 'k8s.node.condition.type',
  conditionStatus: 'k8s.node.condition.status',
  conditionReason: 'kubestitch.condition.reason',
  windowStart: 'kubestitch.window.start',
  retries: 'kubestitch.job.failed_pods',
  restartCount: 'k8s.container.restart_count',
  imageCached: 'kubestitch.image.cached',
  /** Who started an operation, named as an audited request's actor would be (`kubectl`, `helm`). */
  initiator: 'kubestitch.initiator',
  /** The initiator's field manager as managedFields name it (`kubectl-client-side-apply`). */
  initiatorManager: 'kubestitch.initiator.manager',
  /** What told the initiator: `managed-fields`. */
  initiatorSource: 'kubestitch.initiator.source',
  /** `true` on a span of an operation still in progress, drawn to "now" (live query API only; never exported). */
  open: 'kubestitch.open',

  // Span-event attributes for Kubernetes Events (DESIGN §3.4).
  eventReason: 'kubestitch.event.reason',
  eventType: 'kubestitch.event.type',
  eventNote: 'kubestitch.event.note',
  eventReportingController: 'kubestitch.event.reporting_controller',
  eventReportingInstance: 'kubestitch.event.reporting_instance',
  eventAction: 'kubestitch.event.action',
  eventCount: 'kubestitch.event.count',
  eventLastTime: 'kubestitch.event.last_time',
  eventRegarding: 'kubestitch.event.regarding',
  eventFieldPath: 'kubestitch.event.regarding.field_path',

  // Audited requests (DESIGN §3.3). `audit-id` is the key kube-apiserver's own spans use.
  auditId: 'audit-id',
  auditVerb: 'kubestitch.audit.verb',
  auditStage: 'kubestitch.audit.stage',
  auditLevel: 'kubestitch.audit.level',
  auditUser: 'kubestitch.audit.user',
  auditGroups: 'kubestitch.audit.groups',
  auditImpersonator: 'kubestitch.audit.impersonator',
  auditSourceIps: 'kubestitch.audit.source_ips',
  userAgent: 'user_agent.original',
  urlPath: 'url.path',
  httpStatusCode: 'http.response.status_code',
  httpRequestMethod: 'http.request.method',
  objectSubresource: 'kubestitch.object.subresource',

  // Object-change span events.
  changeType: 'kubestitch.change.type',
} as const;

/** Names kubestitch's own operation spans carry in `kubestitch.operation`. */
export const OPERATION = {
  deploymentRollout: 'deployment.rollout',
  deploymentScale: 'deployment.scale',
  deploymentUpdate: 'deployment.update',
  replicasetScale: 'replicaset.scale',
  statefulsetRollout: 'statefulset.rollout',
  statefulsetScale: 'statefulset.scale',
  daemonsetRollout: 'daemonset.rollout',
  jobRun: 'job.run',
  podStartup: 'pod.startup',
  podTermination: 'pod.termination',
  podRun: 'pod.run',
  podPhase: 'pod.phase',
  nodeCondition: 'node.condition',
  activityWindow: 'object.activity',
} as const;

/** Values of `kubestitch.outcome`. */
export const OUTCOME = {
  ok: 'ok',
  failed: 'failed',
  unfinished: 'unfinished',
  superseded: 'superseded',
  deleted: 'deleted',
  /** Deleted while kubestitch was not watching: the relist after a restart no longer lists it. */
  deletedWhileDown: 'deleted-while-down',
  progressDeadlineExceeded: 'progress-deadline-exceeded',
  /** Stuck pod startups (synth/pod-stuck.ts): the kubelet backing off a pull, a crashing container, no node fits. */
  imagePullBackoff: 'image-pull-backoff',
  crashLoopBackoff: 'crash-loop-backoff',
  unschedulable: 'unschedulable',
  completed: 'completed',
} as const;
export type Outcome = (typeof OUTCOME)[keyof typeof OUTCOME];

/**
 * Attribute keys the stitch stage reads on real spans (other components' conventions) or writes
 * on them; separate from ATTR, whose keys are on kubestitch's own spans.
 */
export const STITCH_ATTR = {
  originalTraceId: 'kubestitch.original_trace_id',
  /** On a span hung under the pseudo-span because its own parent never arrived. */
  originalParentSpanId: 'kubestitch.original_parent_span_id',
  rule: 'kubestitch.stitch.rule',
  /** On links added after the real spans were forwarded unchanged (hold timeout or overflow). */
  late: 'kubestitch.stitch.late',
  // Read from real spans: otelhttp semconv v1.17 (kube-apiserver ≤ 1.3x) and current names.
  httpMethodOld: 'http.method',
  httpMethod: 'http.request.method',
  httpTarget: 'http.target',
  urlPath: 'url.path',
  userAgentOld: 'http.user_agent',
  userAgent: 'user_agent.original',
  auditId: 'audit-id',
  podUid: 'k8s.pod.uid',
  serviceName: 'service.name',
} as const;
