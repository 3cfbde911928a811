import { ATTR, OUTCOME } from '../model/attributes.js';
import type { Attributes, SpanData } from '../model/span.js';

/** What labels of an operation span are made of, before any cardinality guard. */
export interface OperationFacts {
  readonly namespace: string;
  /** Kind of the top controller (`Deployment`, `CronJob`, …) or `none` for a bare object. */
  readonly ownerKind: string;
  /** Name of that controller, or `none`. */
  readonly owner: string;
  readonly outcome: string;
}

/** A string attribute, or undefined when absent or not a string. */
export function strAttr(attrs: Attributes, key: string): string | undefined {
  const v = attrs[key];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** A numeric attribute (OTLP may carry ints as strings after a round trip), or undefined. */
export function numAttr(attrs: Attributes, key: string): number | undefined {
  const v = attrs[key];
  const n = typeof v === 'number' ? v : typeof v === 'string' && v !== '' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : undefined;
}

// Top of the controller chain first: a pod of a Deployment is labelled by the Deployment, not by
// its hash-suffixed ReplicaSet; a Job of a CronJob by the CronJob (Job names change every run).
const OWNER_KEYS: readonly (readonly [string, string])[] = [
  ['Deployment', ATTR.deploymentName],
  ['StatefulSet', ATTR.statefulsetName],
  ['DaemonSet', ATTR.daemonsetName],
  ['CronJob', ATTR.cronjobName],
  ['Job', ATTR.jobName],
  ['ReplicaSet', ATTR.replicasetName],
];

/** The top controller named by the span's `k8s.*` attributes, or `none`. */
export function topOwner(attrs: Attributes): { readonly kind: string; readonly name: string } {
  for (const [kind, key] of OWNER_KEYS) {
    const name = strAttr(attrs, key);
    if (name !== undefined) return { kind, name };
  }
  return { kind: 'none', name: 'none' };
}

const OUTCOMES: ReadonlySet<string> = new Set(Object.values(OUTCOME));

/** `kubestitch.outcome`, limited to the values synth writes (anything else reads `other`). */
export function outcomeOf(span: SpanData): string {
  const o = strAttr(span.attributes, ATTR.outcome);
  if (o === undefined) return 'unknown';
  return OUTCOMES.has(o) ? o : 'other';
}

/** Namespace, owner and outcome of an operation span. */
export function operationFacts(span: SpanData): OperationFacts {
  const owner = topOwner(span.attributes);
  return {
    namespace: strAttr(span.attributes, ATTR.namespaceName) ?? 'none',
    ownerKind: owner.kind,
    owner: owner.name,
    outcome: outcomeOf(span),
  };
}

/** The node a pod span ran on: its `k8s.node.name` attribute, else its kubelet resource's. */
export function nodeOf(span: SpanData): string {
  return strAttr(span.attributes, ATTR.nodeName) ?? strAttr(span.resource.attributes, ATTR.nodeName) ?? 'none';
}

/** Duration in seconds, or undefined for a span whose times are unusable (NaN, negative). */
export function durationSeconds(span: SpanData): number | undefined {
  const d = (span.endMs - span.startMs) / 1000;
  return Number.isFinite(d) && d >= 0 ? d : undefined;
}

/** `'2xx'`…`'5xx'` for an HTTP status code, `unknown` without one. */
export function codeClass(code: number | undefined): string {
  if (code === undefined || !Number.isInteger(code) || code < 100 || code > 599) return 'unknown';
  return `${Math.floor(code / 100)}xx`;
}
