import { partialObject } from './media.js';
import type { ResourceInfo } from './resources.js';

type Json = Record<string, unknown>;
type Cell = string | number | boolean;

interface Column {
  readonly name: string;
  readonly type: 'string' | 'integer' | 'date';
  readonly format?: string;
  readonly priority?: number;
  readonly cell: (o: Json, nowMs: number) => Cell;
}

export interface TableOptions {
  /** `includeObject`: None, Object or PartialObjectMetadata (default). */
  readonly includeObject: 'None' | 'Object' | 'PartialObjectMetadata';
  /** Leave columnDefinitions out (watch events after the first). */
  readonly noHeaders: boolean;
  readonly nowMs: number;
}

/** Kubernetes' duration.HumanDuration, which kubectl's AGE column shows. */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8)
    return hours % 24 === 0 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours / 24)}d${hours % 24}h`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  const years = Math.floor(hours / 24 / 365);
  const days = Math.floor(hours / 24) % 365;
  if (hours < 24 * 365 * 8) return days === 0 ? `${years}y` : `${years}y${days}d`;
  return `${years}y`;
}

const rec = (v: unknown): Json => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {});
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const s = (v: unknown, fallback = '<none>'): string => (typeof v === 'string' && v !== '' ? v : fallback);
const n = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
const spec = (o: Json): Json => rec(o.spec);
const status = (o: Json): Json => rec(o.status);

function ageOf(iso: unknown, nowMs: number): string {
  const t = typeof iso === 'string' ? Date.parse(iso) : NaN;
  return Number.isNaN(t) ? '<unknown>' : humanDuration(nowMs - t);
}

const NAME: Column = { name: 'Name', type: 'string', format: 'name', cell: (o) => s(rec(o.metadata).name, '') };
const AGE: Column = { name: 'Age', type: 'string', cell: (o, now) => ageOf(rec(o.metadata).creationTimestamp, now) };

function containers(o: Json, template = false): unknown[] {
  const podSpec = template ? rec(rec(spec(o).template).spec) : spec(o);
  return list(podSpec.containers);
}

const wideWorkload = (template: boolean): Column[] => [
  {
    name: 'Containers',
    type: 'string',
    priority: 1,
    cell: (o) =>
      containers(o, template)
        .map((c) => s(rec(c).name, ''))
        .join(','),
  },
  {
    name: 'Images',
    type: 'string',
    priority: 1,
    cell: (o) =>
      containers(o, template)
        .map((c) => s(rec(c).image, ''))
        .join(','),
  },
  {
    name: 'Selector',
    type: 'string',
    priority: 1,
    cell: (o) =>
      Object.entries(rec(rec(spec(o).selector).matchLabels))
        .map(([k, v]) => `${k}=${String(v)}`)
        .join(',') || '<none>',
  },
];

function podStatus(o: Json): string {
  if (typeof rec(o.metadata).deletionTimestamp === 'string') return 'Terminating';
  for (const cs of list(status(o).containerStatuses)) {
    const state = rec(rec(cs).state);
    const reason = s(rec(state.waiting).reason, '') || s(rec(state.terminated).reason, '');
    if (reason !== '') return reason;
  }
  return s(status(o).reason, '') || s(status(o).phase, 'Unknown');
}

function eventObject(o: Json): string {
  const ref = rec(o.involvedObject ?? o.regarding);
  return `${s(ref.kind, '').toLowerCase()}/${s(ref.name, '')}`;
}

const COLUMNS: Readonly<Record<string, readonly Column[]>> = {
  '/pods': [
    NAME,
    {
      name: 'Ready',
      type: 'string',
      cell: (o) =>
        `${list(status(o).containerStatuses).filter((c) => rec(c).ready === true).length}/${containers(o).length}`,
    },
    { name: 'Status', type: 'string', cell: podStatus },
    {
      name: 'Restarts',
      type: 'string',
      cell: (o) => String(list(status(o).containerStatuses).reduce((t: number, c) => t + n(rec(c).restartCount), 0)),
    },
    AGE,
    { name: 'IP', type: 'string', priority: 1, cell: (o) => s(status(o).podIP) },
    { name: 'Node', type: 'string', priority: 1, cell: (o) => s(spec(o).nodeName) },
  ],
  '/nodes': [
    NAME,
    {
      name: 'Status',
      type: 'string',
      cell: (o) =>
        list(status(o).conditions).some((c) => rec(c).type === 'Ready' && rec(c).status === 'True')
          ? 'Ready'
          : 'NotReady',
    },
    {
      name: 'Roles',
      type: 'string',
      cell: (o) =>
        Object.keys(rec(rec(o.metadata).labels))
          .filter((k) => k.startsWith('node-role.kubernetes.io/'))
          .map((k) => k.slice('node-role.kubernetes.io/'.length))
          .join(',') || '<none>',
    },
    AGE,
    { name: 'Version', type: 'string', cell: (o) => s(rec(status(o).nodeInfo).kubeletVersion, '') },
  ],
  '/namespaces': [NAME, { name: 'Status', type: 'string', cell: (o) => s(status(o).phase, 'Active') }, AGE],
  '/events': [
    {
      name: 'Last Seen',
      type: 'string',
      cell: (o, now) => ageOf(o.lastTimestamp ?? o.eventTime ?? rec(o.metadata).creationTimestamp, now),
    },
    { name: 'Type', type: 'string', cell: (o) => s(o.type, '') },
    { name: 'Reason', type: 'string', cell: (o) => s(o.reason, '') },
    { name: 'Object', type: 'string', cell: eventObject },
    { name: 'Message', type: 'string', cell: (o) => s(o.message, '') },
  ],
  'events.k8s.io/events': [
    {
      name: 'Last Seen',
      type: 'string',
      cell: (o, now) => ageOf(o.eventTime ?? rec(o.metadata).creationTimestamp, now),
    },
    { name: 'Type', type: 'string', cell: (o) => s(o.type, '') },
    { name: 'Reason', type: 'string', cell: (o) => s(o.reason, '') },
    { name: 'Object', type: 'string', cell: eventObject },
    { name: 'Message', type: 'string', cell: (o) => s(o.note, '') },
  ],
  '/services': [
    NAME,
    { name: 'Type', type: 'string', cell: (o) => s(spec(o).type, 'ClusterIP') },
    { name: 'Cluster-IP', type: 'string', cell: (o) => s(spec(o).clusterIP) },
    {
      name: 'Port(s)',
      type: 'string',
      cell: (o) =>
        list(spec(o).ports)
          .map((p) => `${n(rec(p).port)}/${s(rec(p).protocol, 'TCP')}`)
          .join(',') || '<none>',
    },
    AGE,
  ],
  // Only the number of keys: the fake apiserver never renders ConfigMap values or Secret data.
  '/configmaps': [
    NAME,
    {
      name: 'Data',
      type: 'integer',
      cell: (o) => Object.keys(rec(o.data)).length + Object.keys(rec(o.binaryData)).length,
    },
    AGE,
  ],
  '/secrets': [
    NAME,
    { name: 'Type', type: 'string', cell: (o) => s(o.type, 'Opaque') },
    { name: 'Data', type: 'integer', cell: (o) => Object.keys(rec(o.data)).length },
    AGE,
  ],
  'apps/deployments': [
    NAME,
    { name: 'Ready', type: 'string', cell: (o) => `${n(status(o).readyReplicas)}/${n(spec(o).replicas)}` },
    { name: 'Up-to-date', type: 'integer', cell: (o) => n(status(o).updatedReplicas) },
    { name: 'Available', type: 'integer', cell: (o) => n(status(o).availableReplicas) },
    AGE,
    ...wideWorkload(true),
  ],
  'apps/replicasets': [
    NAME,
    { name: 'Desired', type: 'integer', cell: (o) => n(spec(o).replicas) },
    { name: 'Current', type: 'integer', cell: (o) => n(status(o).replicas) },
    { name: 'Ready', type: 'integer', cell: (o) => n(status(o).readyReplicas) },
    AGE,
    ...wideWorkload(true),
  ],
  'apps/statefulsets': [
    NAME,
    { name: 'Ready', type: 'string', cell: (o) => `${n(status(o).readyReplicas)}/${n(spec(o).replicas)}` },
    AGE,
    ...wideWorkload(true).slice(0, 2),
  ],
  'apps/daemonsets': [
    NAME,
    { name: 'Desired', type: 'integer', cell: (o) => n(status(o).desiredNumberScheduled) },
    { name: 'Current', type: 'integer', cell: (o) => n(status(o).currentNumberScheduled) },
    { name: 'Ready', type: 'integer', cell: (o) => n(status(o).numberReady) },
    { name: 'Up-to-date', type: 'integer', cell: (o) => n(status(o).updatedNumberScheduled) },
    { name: 'Available', type: 'integer', cell: (o) => n(status(o).numberAvailable) },
    AGE,
  ],
  'batch/jobs': [
    NAME,
    {
      name: 'Status',
      type: 'string',
      cell: (o) => {
        const done = list(status(o).conditions).find(
          (c) => (rec(c).type === 'Complete' || rec(c).type === 'Failed') && rec(c).status === 'True',
        );
        return done === undefined ? 'Running' : s(rec(done).type);
      },
    },
    { name: 'Completions', type: 'string', cell: (o) => `${n(status(o).succeeded)}/${n(spec(o).completions ?? 1)}` },
    AGE,
  ],
  'batch/cronjobs': [
    NAME,
    { name: 'Schedule', type: 'string', cell: (o) => s(spec(o).schedule, '') },
    { name: 'Suspend', type: 'string', cell: (o) => (spec(o).suspend === true ? 'True' : 'False') },
    { name: 'Active', type: 'integer', cell: (o) => list(status(o).active).length },
    {
      name: 'Last Schedule',
      type: 'string',
      cell: (o, now) => (status(o).lastScheduleTime === undefined ? '<none>' : ageOf(status(o).lastScheduleTime, now)),
    },
    AGE,
  ],
  'coordination.k8s.io/leases': [
    NAME,
    { name: 'Holder', type: 'string', cell: (o) => s(spec(o).holderIdentity, '') },
    AGE,
  ],
};

function columnsFor(r: ResourceInfo): readonly Column[] {
  return COLUMNS[`${r.group}/${r.resource}`] ?? [NAME, AGE];
}

/**
 * A `meta.k8s.io/v1 Table` of the objects (full objects with kind/apiVersion), with the columns
 * `kubectl get` shows for the kind (NAME/AGE for kinds without their own printer).
 */
export function toTable(r: ResourceInfo, objects: readonly Json[], listMeta: Json, opts: TableOptions): Json {
  const columns = columnsFor(r);
  const rows = objects.map((o) => {
    const row: Json = { cells: columns.map((c) => c.cell(o, opts.nowMs)) };
    if (opts.includeObject === 'Object') row.object = o;
    else if (opts.includeObject === 'PartialObjectMetadata') row.object = partialObject(o);
    return row;
  });
  const definitions = columns.map((c) => ({
    name: c.name,
    type: c.type,
    format: c.format ?? '',
    description: c.name === 'Name' ? 'Name must be unique within a namespace.' : c.name,
    priority: c.priority ?? 0,
  }));
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: listMeta,
    ...(opts.noHeaders ? {} : { columnDefinitions: definitions }),
    rows,
  };
}
