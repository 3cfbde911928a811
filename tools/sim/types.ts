import type { JsonObject } from '../../src/model/kube-json.js';

/** A Kubernetes object as JSON, the way the apiserver returns it. Treat as read-only. */
export type KubeJson = JsonObject;

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

/** One line of `kubectl get --watch --output-watch-events -o json`, plus the receive time. */
export interface WatchLine {
  readonly type: WatchEventType;
  readonly object: KubeJson;
  /** RFC 3339 with milliseconds: when the watcher received the event. */
  readonly ts: string;
}

export type AuditLevel = 'Metadata' | 'Request' | 'RequestResponse';
export type AuditVerb = 'create' | 'update' | 'patch' | 'delete';

export interface AuditUser {
  readonly username: string;
  readonly uid?: string;
  readonly groups: readonly string[];
  readonly extra?: Readonly<Record<string, readonly string[]>>;
}

export interface AuditObjectRef {
  readonly resource: string;
  readonly namespace?: string;
  readonly name?: string;
  readonly uid?: string;
  readonly apiGroup?: string;
  readonly apiVersion: string;
  readonly resourceVersion?: string;
  readonly subresource?: string;
}

/** One `audit.k8s.io/v1` Event as the apiserver's JSON-lines log backend writes it. */
export interface AuditEventJson {
  readonly kind: 'Event';
  readonly apiVersion: 'audit.k8s.io/v1';
  readonly level: AuditLevel;
  readonly auditID: string;
  readonly stage: 'ResponseComplete';
  readonly requestURI: string;
  readonly verb: AuditVerb;
  readonly user: AuditUser;
  readonly sourceIPs: readonly string[];
  readonly userAgent: string;
  readonly objectRef: AuditObjectRef;
  readonly responseStatus: {
    readonly metadata: JsonObject;
    readonly status?: string;
    readonly details?: unknown;
    readonly code: number;
  };
  readonly requestObject?: unknown;
  readonly responseObject?: unknown;
  readonly requestReceivedTimestamp: string;
  readonly stageTimestamp: string;
  readonly annotations: Readonly<Record<string, string>>;
}

/** What a simulated cluster said about itself: object watch, Event watch, audit log. */
export interface Recording {
  readonly watch: WatchLine[];
  /** Watch events of Event objects (core/v1 and events.k8s.io/v1 forms). */
  readonly events: WatchLine[];
  readonly audit: AuditEventJson[];
}
