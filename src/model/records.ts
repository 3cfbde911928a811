import type { JsonObject } from './kube-json.js';

/** Where a record came from, for error messages and counting (`file:line`). */
export interface RecordOrigin {
  readonly file: string;
  readonly line: number;
}

export type WatchType = 'ADDED' | 'MODIFIED' | 'DELETED';

/** An object as seen by a watch (or a recording of one). The object is the full JSON; graph slims it. */
export interface ObjectRecord {
  readonly source: 'object';
  readonly type: WatchType;
  readonly object: JsonObject;
  /** Receive time (the `ts` of a recording line) or a time estimated from the object. */
  readonly timeMs: number;
  /** True when `timeMs` is an estimate from the object's own timestamps. */
  readonly timeEstimated: boolean;
  readonly origin: RecordOrigin;
  /**
   * Live mode's restart: the object as of the compacted journal's horizon. It only restores graph
   * state; it is never a change (no operation starts or ends).
   */
  readonly baseline?: boolean;
  /** A DELETED a relist discovered (the object vanished while kubestitch was down). */
  readonly missedDelete?: boolean;
}

/** The object a Kubernetes Event is about. */
export interface EventRegarding {
  readonly kind: string;
  readonly apiVersion: string;
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly fieldPath: string;
}

/**
 * A Kubernetes Event from either API (events.k8s.io/v1 or core/v1), normalized. Repeats of one
 * Event object share `key` and carry a growing `count`.
 */
export interface KubeEvent {
  /** Event object identity: uid when present, else namespace/name. */
  readonly key: string;
  readonly namespace: string;
  readonly name: string;
  readonly regarding: EventRegarding;
  readonly reason: string;
  /** `Normal` or `Warning` (others passed through). */
  readonly type: string;
  readonly note: string;
  readonly action: string;
  /** e.g. `default-scheduler`, `kubelet`, `replicaset-controller`. */
  readonly reportingController: string;
  /** e.g. the node name for kubelet. */
  readonly reportingInstance: string;
  readonly firstMs: number;
  readonly lastMs: number;
  readonly count: number;
}

export interface EventRecord {
  readonly source: 'event';
  readonly type: WatchType;
  readonly event: KubeEvent;
  readonly timeMs: number;
  readonly timeEstimated: boolean;
  readonly origin: RecordOrigin;
}

/** The objectRef of an audit event. '' where the event leaves a field out. */
export interface AuditObjectRef {
  readonly resource: string;
  readonly subresource: string;
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly apiGroup: string;
  readonly apiVersion: string;
  readonly resourceVersion: string;
}

/** One apiserver audit event (`audit.k8s.io/v1` Event), normalized; bodies never kept for spans. */
export interface AuditEntry {
  readonly auditId: string;
  readonly stage: string;
  readonly level: string;
  readonly verb: string;
  readonly requestUri: string;
  readonly user: string;
  readonly groups: readonly string[];
  readonly impersonatedUser: string | undefined;
  readonly userAgent: string;
  readonly sourceIps: readonly string[];
  readonly objectRef: AuditObjectRef | undefined;
  readonly code: number | undefined;
  readonly responseReason: string;
  readonly receivedMs: number;
  readonly stageMs: number;
  /** The stored object (RequestResponse level), redacted; used only to build the graph. */
  readonly responseObject: JsonObject | undefined;
  /** pods/binding: the node the pod was bound to. */
  readonly bindingTarget: string | undefined;
  /**
   * A delete answered by a Status (the object removed at once): the uid its `details` name, at
   * any audit level. How audit-only input finds an object created before the audit began.
   */
  readonly deletedUid?: string | undefined;
}

export interface AuditRecord {
  readonly source: 'audit';
  readonly audit: AuditEntry;
  /** The request's completion time (stageTimestamp). */
  readonly timeMs: number;
  readonly timeEstimated: false;
  readonly origin: RecordOrigin;
}

/** Everything the pipeline consumes, in one union; real spans join it with stitching. */
export type IngestRecord = ObjectRecord | EventRecord | AuditRecord;
