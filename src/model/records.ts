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

/** Everything the pipeline consumes, in one union; audit and spans join it in their issues. */
export type IngestRecord = ObjectRecord | EventRecord;
