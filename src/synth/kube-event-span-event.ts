import { ATTR } from '../model/attributes.js';
import type { KubeEvent } from '../model/records.js';
import type { AttrValue, SpanEventData } from '../model/span.js';

/**
 * A Kubernetes Event as a span event (DESIGN §3.4): named by its reason, at its first
 * occurrence, with the repeat count and last time when it repeated. Warning events carry
 * `kubestitch.event.type=Warning`, which backends show as such.
 */
export function kubeEventToSpanEvent(event: KubeEvent): SpanEventData {
  const attributes: Record<string, AttrValue> = {
    [ATTR.eventReason]: event.reason,
    [ATTR.eventType]: event.type,
    [ATTR.eventNote]: event.note,
    [ATTR.eventReportingController]: event.reportingController,
    [ATTR.eventRegarding]: `${event.regarding.kind}/${event.regarding.name}`,
    [ATTR.eventCount]: event.count,
  };
  if (event.reportingInstance !== '') attributes[ATTR.eventReportingInstance] = event.reportingInstance;
  if (event.action !== '') attributes[ATTR.eventAction] = event.action;
  if (event.regarding.fieldPath !== '') attributes[ATTR.eventFieldPath] = event.regarding.fieldPath;
  if (event.count > 1) attributes[ATTR.eventLastTime] = new Date(event.lastMs).toISOString();
  return { name: event.reason === '' ? 'Event' : event.reason, timeMs: event.firstMs, attributes };
}
