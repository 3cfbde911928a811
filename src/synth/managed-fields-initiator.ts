import { ATTR } from '../model/attributes.js';
import type { SpecWriter } from '../model/managed-fields.js';
import type { AuditEntry } from '../model/records.js';
import type { AttrValue } from '../model/span.js';
import { clientName } from './audit-actor.js';

/** The value of kubestitch.initiator.source when managedFields named the initiator. */
export const MANAGED_FIELDS_SOURCE = 'managed-fields';

// managedFields times are cut to the second, so the write happened in [time, time + 1 s); the
// operation starts when the change is received (or at its Event's or creation's second): up to
// about a second after that. A second before covers kubestitch's clock running behind the
// apiserver's. Outside this the manager's last spec write is some other change.
const BEFORE_MS = 1000;
const AFTER_MS = 2000;

/**
 * The initiator attributes of an operation that started at `startMs`, when the object's last
 * spec write (`writer`, from managedFields) is the change that started it; undefined otherwise —
 * no initiator is guessed from a write at another time.
 */
export function managedFieldsInitiator(
  writer: SpecWriter | undefined,
  startMs: number,
): Record<string, AttrValue> | undefined {
  if (writer === undefined) return undefined;
  const d = startMs - writer.timeMs;
  if (d < -BEFORE_MS || d >= AFTER_MS) return undefined;
  return {
    [ATTR.initiator]: initiatorName(writer.manager),
    [ATTR.initiatorManager]: writer.manager,
    [ATTR.initiatorSource]: MANAGED_FIELDS_SOURCE,
  };
}

/**
 * The actor a field manager's requests would have in audit (their span's service.name): kubectl
 * names its managers after the command (`kubectl-client-side-apply`, `kubectl-edit`,
 * `kubectl-set`, `kubectl-rollout`, …) while its user agent says `kubectl`; a manager the
 * apiserver derived from a user agent (`Go-http-client`) is read as that agent is; the rest
 * (`helm`, `argocd-controller`, `kustomize-controller`) are their own name.
 */
export function initiatorName(manager: string): string {
  const lower = manager.toLowerCase();
  if (lower === 'kubectl' || lower.startsWith('kubectl-')) return 'kubectl';
  return clientName(manager);
}

/** Removes what managedFieldsInitiator set (an audited request tells the initiator instead). */
export function withdrawInitiator(attributes: Record<string, AttrValue>): void {
  if (attributes[ATTR.initiatorSource] !== MANAGED_FIELDS_SOURCE) return;
  delete attributes[ATTR.initiator];
  delete attributes[ATTR.initiatorManager];
  delete attributes[ATTR.initiatorSource];
}

/**
 * A request that writes what an object asks for (not its status): with audit of the object's
 * writes, the audited requests show who started its operations, never managedFields.
 */
export function isAuditedSpecWrite(entry: AuditEntry): boolean {
  const sub = entry.objectRef?.subresource ?? '';
  return (
    (sub === '' || sub === 'scale') && (entry.verb === 'update' || entry.verb === 'patch' || entry.verb === 'create')
  );
}
