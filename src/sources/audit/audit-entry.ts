import { isObject } from '../../model/kube-json.js';
import type { JsonObject } from '../../model/kube-json.js';
import type { IntakeEntry } from '../../../storage/intake-log.js';
import { redactAuditEvent } from './redact-audit.js';

/** An object that has what the intake needs from an `audit.k8s.io` Event. */
export type AuditEventCheck =
  | { readonly ok: true; readonly event: JsonObject; readonly id: string }
  | { readonly ok: false; readonly reason: string };

/**
 * Checks that `value` is an audit Event object with a non-empty string `auditID` and `stage`, and
 * returns its dedupe id (`auditID + '/' + stage`, DESIGN §2). Never throws.
 */
export function checkAuditEvent(value: unknown): AuditEventCheck {
  if (!isObject(value)) return { ok: false, reason: 'not a JSON object' };
  const { auditID, stage } = value;
  if (typeof auditID !== 'string' || auditID === '') return { ok: false, reason: 'auditID missing or not a string' };
  if (typeof stage !== 'string' || stage === '') return { ok: false, reason: 'stage missing or not a string' };
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
