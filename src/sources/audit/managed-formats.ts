/**
 * Audit logs as managed clusters export them, recognised per JSON value and unwrapped into plain
 * `audit.k8s.io/v1` Events, so the rest of the pipeline (boundary check, redaction, placement)
 * treats them exactly like an apiserver's own audit.log:
 * - EKS: CloudWatch Logs subscription / Firehose envelopes (`{"messageType": "DATA_MESSAGE",
 *   "logEvents": [{"message": "<audit json>"}]}`) and `aws logs filter-log-events` output
 *   (`{"events": [{"logStreamName", "message"}]}`); the message is the native Event.
 * - AKS: diagnostic-log records (`{"records": [{"category": "kube-audit", "properties": {"log":
 *   "<audit json>"}}]}` from Event Hubs, or one record per line from a storage account).
 * - GKE: Cloud Logging LogEntries (`protoPayload` of type AuditLog), converted in gke-log-entry.ts.
 * - An `audit.k8s.io` EventList (a saved webhook batch) and a JSON array of any of these
 *   (`gcloud logging read --format=json`).
 * Anything else is passed through as a native Event. Never throws.
 */
import { isObject } from '../../model/kube-json.js';
import type { JsonObject } from '../../model/kube-json.js';
import { describeJsonError } from './audit-entry.js';
import { fromGkeLogEntry, isGkeLogEntry } from './gke-log-entry.js';

export type AuditSourceFormat = 'native' | 'gke' | 'eks' | 'aks';

/** The audit Events one JSON value holds, and why any part of it is not one. */
export interface ExpandedAudit {
  readonly events: unknown[];
  readonly problems: string[];
  readonly format: AuditSourceFormat;
}

// Arrays nest at most this deep (a gcloud array of entries is depth 1).
const MAX_NESTING = 2;
// AKS sends kube-audit-admin (no get/list/watch) or kube-audit; other categories are not audit.
const AKS_AUDIT_CATEGORIES: ReadonlySet<string> = new Set(['kube-audit', 'kube-audit-admin']);

export function expandAuditValue(value: unknown, depth = 0): ExpandedAudit {
  if (Array.isArray(value)) return expandArray(value, depth);
  if (!isObject(value)) return { events: [value], problems: [], format: 'native' };
  if (isGkeLogEntry(value)) return single(fromGkeLogEntry(value), 'gke');
  if (Array.isArray(value['logEvents'])) return cloudWatchEnvelope(value);
  if (Array.isArray(value['events']) && value['kind'] === undefined) return filterLogEventsOutput(value['events']);
  if (Array.isArray(value['records'])) return aksRecords(value['records']);
  if (isObject(value['properties']) && typeof value['category'] === 'string') return aksRecords([value]);
  if (value['kind'] === 'EventList' && Array.isArray(value['items'])) {
    return { events: value['items'], problems: [], format: 'native' };
  }
  return { events: [value], problems: [], format: 'native' };
}

function single(result: JsonObject | string, format: AuditSourceFormat): ExpandedAudit {
  return typeof result === 'string'
    ? { events: [], problems: [result], format }
    : { events: [result], problems: [], format };
}

function expandArray(values: readonly unknown[], depth: number): ExpandedAudit {
  if (depth >= MAX_NESTING) return { events: [], problems: ['JSON arrays nested too deeply'], format: 'native' };
  const events: unknown[] = [];
  const problems: string[] = [];
  let format: AuditSourceFormat = 'native';
  for (const v of values) {
    const inner = expandAuditValue(v, depth + 1);
    events.push(...inner.events);
    problems.push(...inner.problems);
    if (inner.format !== 'native') format = inner.format;
  }
  return { events, problems, format };
}

/** A log message holding one audit Event as JSON text (EKS's message, AKS's properties.log). */
function parseMessage(text: unknown, where: string): JsonObject | string {
  if (typeof text !== 'string') return `${where} has no message text`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text.startsWith('\uFEFF') ? text.slice(1) : text);
  } catch (error: unknown) {
    return `${where}: ${describeJsonError(error)}`;
  }
  return isObject(parsed) ? parsed : `${where} is not a JSON object`;
}

function collect(items: readonly (JsonObject | string | undefined)[], format: AuditSourceFormat): ExpandedAudit {
  const events: unknown[] = [];
  const problems: string[] = [];
  for (const item of items) {
    if (typeof item === 'string') problems.push(item);
    else if (item !== undefined) events.push(item);
  }
  return { events, problems, format };
}

function cloudWatchEnvelope(envelope: JsonObject): ExpandedAudit {
  // CloudWatch tests a subscription's destination with CONTROL_MESSAGEs; they carry no log data.
  if (envelope['messageType'] === 'CONTROL_MESSAGE') return { events: [], problems: [], format: 'eks' };
  const stream = typeof envelope['logStream'] === 'string' ? envelope['logStream'] : undefined;
  const logEvents = Array.isArray(envelope['logEvents']) ? envelope['logEvents'] : [];
  return collect(
    logEvents.map((e, i) => cloudWatchEvent(e, stream, `CloudWatch logEvents[${i}]`)),
    'eks',
  );
}

function filterLogEventsOutput(events: readonly unknown[]): ExpandedAudit {
  return collect(
    events.map((e, i) => {
      const stream = isObject(e) && typeof e['logStreamName'] === 'string' ? e['logStreamName'] : undefined;
      return cloudWatchEvent(e, stream, `CloudWatch events[${i}]`);
    }),
    'eks',
  );
}

function cloudWatchEvent(event: unknown, stream: string | undefined, where: string): JsonObject | string {
  if (!isObject(event)) return `${where} is not a JSON object`;
  // An EKS cluster log group also holds the apiserver, authenticator and scheduler logs.
  if (stream !== undefined && !stream.startsWith('kube-apiserver-audit')) {
    return `${where}: log stream ${JSON.stringify(stream.slice(0, 80))} is not a kube-apiserver-audit stream`;
  }
  return parseMessage(event['message'], where);
}

function aksRecords(records: readonly unknown[]): ExpandedAudit {
  return collect(
    records.map((r, i) => {
      const where = `AKS records[${i}]`;
      if (!isObject(r)) return `${where} is not a JSON object`;
      const category = r['category'];
      if (typeof category === 'string' && !AKS_AUDIT_CATEGORIES.has(category)) {
        return `${where}: category ${JSON.stringify(category.slice(0, 40))} is not kube-audit`;
      }
      const properties = r['properties'];
      return parseMessage(isObject(properties) ? properties['log'] : undefined, `${where}.properties.log`);
    }),
    'aks',
  );
}
