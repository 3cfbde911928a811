import { isObject } from '../../model/kube-json.js';
import type { JsonObject } from '../../model/kube-json.js';
import type { IntakeEntry } from '../../../storage/intake-log.js';
import { checkShape, checkTimes } from '../input-boundary.js';
import { redactAuditEvent } from './redact-audit.js';

/** An object that has what the intake needs from an `audit.k8s.io` Event. */
export type AuditEventCheck =
  | { readonly ok: true; readonly event: JsonObject; readonly id: string }
  | { readonly ok: false; readonly reason: string };

// Request verbs the apiserver writes into audit events (resource verbs, and the lower-cased HTTP
// methods of non-resource requests). Anything else is rejected and counted, not dropped unseen.
const KNOWN_VERBS: ReadonlySet<string> = new Set([
  'get',
  'list',
  'watch',
  'create',
  'update',
  'patch',
  'delete',
  'deletecollection',
  'proxy',
  'post',
  'put',
  'head',
  'options',
]);

/**
 * The audit input boundary (webhook, file follower, replay and journal alike): `value` must be an
 * audit Event object with a non-empty string `auditID` and `stage` and a known verb, within the
 * depth/size limits, its times between 2014 and a day past `receivedMs` (see input-boundary).
 * Returns its dedupe id (`auditID + '/' + stage`, DESIGN §2) or the reason. Never throws.
 */
export function checkAuditEvent(value: unknown, receivedMs = Date.now()): AuditEventCheck {
  if (!isObject(value)) return { ok: false, reason: 'not a JSON object' };
  const { auditID, stage, verb } = value;
  if (typeof auditID !== 'string' || auditID === '') return { ok: false, reason: 'auditID missing or not a string' };
  if (typeof stage !== 'string' || stage === '') return { ok: false, reason: 'stage missing or not a string' };
  const problem = checkShape(value) ?? checkTimes(value, receivedMs);
  if (problem !== undefined) return { ok: false, reason: problem };
  if (typeof verb !== 'string' || !KNOWN_VERBS.has(verb)) {
    return { ok: false, reason: `unknown audit verb ${JSON.stringify(verb ?? null).slice(0, 40)}` };
  }
  return { ok: true, event: value, id: `${auditID}/${stage}` };
}

/** The redacted event and the intake entry that stores it. */
export interface AuditIntakeItem {
  readonly event: JsonObject;
  readonly entry: IntakeEntry;
}

/**
 * Redacts a checked event (see `redactAuditEvent`) and serializes it for the intake log. Never
 * throws: the event came from `JSON.parse`, so it serializes.
 */
export function toIntakeItem(checked: { readonly event: JsonObject; readonly id: string }): AuditIntakeItem {
  const event = redactAuditEvent(checked.event);
  return { event, entry: { id: checked.id, body: JSON.stringify(event) } };
}

/**
 * Why `JSON.parse` failed, without the input snippet V8 puts in its message (a malformed line may
 * hold Secret data, and this text ends up in logs and HTTP answers). Never throws.
 */
export function describeJsonError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const head = message.split(/,? ?"/, 1)[0] ?? '';
  const position = /at position (\d+)/.exec(message)?.[1];
  const where = position === undefined || head.includes('position') ? '' : ` at position ${position}`;
  return `malformed JSON: ${head}${where}`;
}
