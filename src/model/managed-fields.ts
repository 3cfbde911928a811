import { arr, field, isObject, parseTimeMs, str } from './kube-json.js';
import type { JsonObject } from './kube-json.js';

/**
 * `metadata.managedFields` as kubestitch keeps it: per entry who wrote (`manager`), how
 * (`operation`: Apply or Update), when (`time`, second precision), through which `subresource`,
 * and `touchesSpec: true` when the entry's fieldsV1 owns fields under `spec`. The fields
 * themselves (`fieldsV1`: names of owned fields, list keys such as env var names) are never kept:
 * they are half a real object's bytes and say nothing a trace needs.
 */
export interface ManagedFieldsSummaryEntry {
  readonly manager: string;
  readonly operation: string;
  /** Absent when the apiserver wrote none (it writes none for a `scale` subresource update). */
  readonly time?: string;
  readonly subresource?: string;
  readonly touchesSpec?: true;
}

/** Who last wrote an object's spec, and when (epoch ms, second precision). */
export interface SpecWriter {
  readonly manager: string;
  readonly timeMs: number;
}

/**
 * The object with its managedFields summarized (ManagedFieldsSummaryEntry): the form the live
 * journal and `kubestitch record` write. The same object when it has none, otherwise a shallow
 * copy. Never throws; entries that are not objects are dropped.
 */
export function withManagedFieldsSummary(object: JsonObject): JsonObject {
  const metadata = object['metadata'];
  if (!isObject(metadata) || !('managedFields' in metadata)) return object;
  const { managedFields, ...rest } = metadata;
  const entries = Array.isArray(managedFields) ? managedFields.flatMap(summaryEntry) : [];
  return { ...object, metadata: entries.length === 0 ? rest : { ...rest, managedFields: entries } };
}

function summaryEntry(entry: unknown): ManagedFieldsSummaryEntry[] {
  if (!isObject(entry)) return [];
  const subresource = str(entry, 'subresource');
  const time = str(entry, 'time');
  return [
    {
      manager: str(entry, 'manager') ?? '',
      operation: str(entry, 'operation') ?? '',
      ...(time !== undefined ? { time } : {}),
      ...(subresource !== undefined && subresource !== '' ? { subresource } : {}),
      ...(touchesSpec(entry) ? { touchesSpec: true as const } : {}),
    },
  ];
}

// A full entry (fieldsV1 from the apiserver) or a summary entry (touchesSpec).
function touchesSpec(entry: JsonObject): boolean {
  if (entry['touchesSpec'] === true) return true;
  const fields = field(entry, 'fieldsV1');
  return isObject(fields) && 'f:spec' in fields;
}

/**
 * The latest managedFields entry that owns spec fields, read from full entries or summary ones:
 * the manager whose write last changed what the object asks for. Undefined when no entry with a
 * manager and a time touches spec. Never throws.
 */
export function latestSpecWriter(object: JsonObject): SpecWriter | undefined {
  let best: SpecWriter | undefined;
  for (const entry of arr(object, 'metadata', 'managedFields')) {
    if (!isObject(entry) || !touchesSpec(entry)) continue;
    const manager = str(entry, 'manager');
    const timeMs = parseTimeMs(field(entry, 'time'));
    if (manager === undefined || manager === '' || timeMs === undefined) continue;
    if (best === undefined || timeMs > best.timeMs) best = { manager, timeMs };
  }
  return best;
}
