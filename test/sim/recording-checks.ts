import { isObject, str } from '../../src/model/kube-json.js';
import type { AuditEventJson, KubeJson, Recording, WatchLine } from '../../tools/sim/index.js';

/** Typed view of the few object fields the checks read. */
export interface Meta {
  readonly kind: string;
  readonly name: string;
  readonly namespace: string;
  readonly uid: string;
  readonly rv: number;
}

export function metaOf(o: KubeJson): Meta {
  return {
    kind: str(o, 'kind') ?? '',
    name: str(o, 'metadata', 'name') ?? '',
    namespace: str(o, 'metadata', 'namespace') ?? '',
    uid: str(o, 'metadata', 'uid') ?? '',
    rv: Number(str(o, 'metadata', 'resourceVersion') ?? 'NaN'),
  };
}

/** The watch lines after the initial list (all ADDED at the recording's first instant). */
export function liveLines(rec: Recording): WatchLine[] {
  const first = rec.watch[0]?.ts.slice(0, 19);
  let i = 0;
  while (i < rec.watch.length && rec.watch[i]?.type === 'ADDED' && rec.watch[i]?.ts.slice(0, 19) === first) i++;
  return rec.watch.slice(i);
}

export function initialList(rec: Recording): WatchLine[] {
  return rec.watch.slice(0, rec.watch.length - liveLines(rec).length);
}

/** Problems with the order of a stream: receive times never go back, resourceVersions only go up. */
export function streamOrderProblems(lines: readonly WatchLine[], label: string): string[] {
  const problems: string[] = [];
  for (let i = 1; i < lines.length; i++) {
    const prev = lines[i - 1];
    const cur = lines[i];
    if (prev === undefined || cur === undefined) continue;
    if (cur.ts < prev.ts) problems.push(`${label}[${i}] ts ${cur.ts} < ${prev.ts}`);
    if (metaOf(cur.object).rv <= metaOf(prev.object).rv)
      problems.push(`${label}[${i}] rv ${metaOf(cur.object).rv} <= ${metaOf(prev.object).rv}`);
  }
  return problems;
}

/** Every uid any object or Event in the recording carries. */
export function knownUids(rec: Recording): Set<string> {
  return new Set([...rec.watch, ...rec.events].map((l) => metaOf(l.object).uid));
}

export function ownerProblems(rec: Recording): string[] {
  const uids = knownUids(rec);
  const problems: string[] = [];
  for (const l of rec.watch) {
    const refs =
      (l.object['metadata'] as { ownerReferences?: { uid: string; kind: string }[] } | undefined)?.ownerReferences ??
      [];
    for (const r of refs)
      if (!uids.has(r.uid)) problems.push(`${metaOf(l.object).name}: owner ${r.kind} ${r.uid} not in recording`);
  }
  return problems;
}

/**
 * Events whose involved object is not in the recording. kubelet's own Node events carry the node
 * name as uid (a real kubelet quirk); they are matched by name instead.
 */
export function eventSubjectProblems(rec: Recording): string[] {
  const uids = knownUids(rec);
  const nodeNames = new Set(
    rec.watch.filter((l) => metaOf(l.object).kind === 'Node').map((l) => metaOf(l.object).name),
  );
  const problems: string[] = [];
  for (const l of rec.events) {
    const subject = l.object['involvedObject'] ?? l.object['regarding'];
    const uid = str(subject, 'uid') ?? '';
    const kind = str(subject, 'kind') ?? '';
    if (uids.has(uid)) continue;
    if (kind === 'Node' && uid === str(subject, 'name') && nodeNames.has(uid)) continue;
    problems.push(`${metaOf(l.object).name}: ${kind} ${uid} not in recording`);
  }
  return problems;
}

/** Audit responses with a resourceVersion that no watch or Event line carries. */
export function auditProblems(rec: Recording): string[] {
  const seen = new Map<number, WatchLine>();
  for (const l of [...rec.watch, ...rec.events]) seen.set(metaOf(l.object).rv, l);
  const problems: string[] = [];
  for (const a of rec.audit) {
    const rv = responseRv(a);
    if (rv === undefined) continue;
    const line = seen.get(rv);
    if (line === undefined) problems.push(`${a.verb} ${a.requestURI}: rv ${rv} not in watch`);
    else if (line.ts.slice(0, 23) < a.stageTimestamp.slice(0, 23))
      problems.push(`${a.requestURI}: watch ts ${line.ts} before stage ${a.stageTimestamp}`);
  }
  return problems;
}

export function responseRv(a: AuditEventJson): number | undefined {
  const o = a.responseObject;
  if (!isObject(o) || str(o, 'kind') === 'Status' || str(o, 'kind') === 'Scale') return undefined;
  const rv = str(o, 'metadata', 'resourceVersion');
  return rv === undefined ? undefined : Number(rv);
}

export function reasons(rec: Recording): Set<string> {
  return new Set(rec.events.map((l) => str(l.object, 'reason') ?? ''));
}

/** Watch lines of one kind (and optionally one name prefix). */
export function linesOf(rec: Recording, kind: string, namePrefix = ''): WatchLine[] {
  return rec.watch.filter((l) => metaOf(l.object).kind === kind && metaOf(l.object).name.startsWith(namePrefix));
}

export function lastOf(lines: readonly WatchLine[], name: string): KubeJson | undefined {
  return [...lines].reverse().find((l) => metaOf(l.object).name === name)?.object;
}

export function eventsWithReason(rec: Recording, reason: string): WatchLine[] {
  return rec.events.filter((l) => str(l.object, 'reason') === reason);
}
