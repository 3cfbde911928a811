import type { Node, Pod, Taint, Toleration } from '../engine/k8s-types.js';

/** millicores from a CPU quantity (`100m`, `2`). */
export function cpuMillis(q: string | undefined): number {
  if (q === undefined) return 0;
  return q.endsWith('m') ? Number(q.slice(0, -1)) : Math.round(Number(q) * 1000);
}

const MEM_UNITS: Readonly<Record<string, number>> = { Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, K: 1e3, M: 1e6, G: 1e9 };

/** bytes from a memory quantity (`128Mi`, `16203368Ki`). */
export function memBytes(q: string | undefined): number {
  if (q === undefined) return 0;
  const m = /^(\d+)([A-Za-z]*)$/.exec(q);
  if (m === null) return 0;
  return Number(m[1]) * (MEM_UNITS[m[2] ?? ''] ?? 1);
}

// Pod specs are shared, never mutated, across a pod's versions: parse each one once.
const requestCache = new WeakMap<object, { cpu: number; mem: number }>();

/** Summed CPU (millicores) and memory (bytes) requests of a pod; init containers count by their maximum. */
export function podRequests(p: Pod): { cpu: number; mem: number } {
  const cached = requestCache.get(p.spec);
  if (cached !== undefined) return cached;
  const computed = computeRequests(p);
  requestCache.set(p.spec, computed);
  return computed;
}

function computeRequests(p: Pod): { cpu: number; mem: number } {
  let cpu = 0;
  let mem = 0;
  for (const c of p.spec.containers) {
    cpu += cpuMillis(c.resources.requests?.['cpu']);
    mem += memBytes(c.resources.requests?.['memory']);
  }
  for (const c of p.spec.initContainers ?? []) {
    cpu = Math.max(cpu, cpuMillis(c.resources.requests?.['cpu']));
    mem = Math.max(mem, memBytes(c.resources.requests?.['memory']));
  }
  return { cpu, mem };
}

function tolerates(tols: readonly Toleration[], t: Taint): boolean {
  return tols.some(
    (x) =>
      (x.effect === undefined || x.effect === t.effect) &&
      (x.operator === 'Exists' ? x.key === undefined || x.key === t.key : x.key === t.key && x.value === t.value),
  );
}

function nodeAffinityNames(p: Pod): string[] | undefined {
  const terms = (
    p.spec.affinity as
      | {
          nodeAffinity?: {
            requiredDuringSchedulingIgnoredDuringExecution?: {
              nodeSelectorTerms?: { matchFields?: { key: string; values: string[] }[] }[];
            };
          };
        }
      | undefined
  )?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  const names = terms?.flatMap((t) =>
    (t.matchFields ?? []).filter((f) => f.key === 'metadata.name').flatMap((f) => f.values),
  );
  return names === undefined || names.length === 0 ? undefined : names;
}

export interface NodeVerdict {
  /** Filter failure reasons (empty: fits). */
  readonly reasons: string[];
  /** True when evicting lower-priority pods could not help (taints, affinity). */
  readonly unresolvable: boolean;
}

/** The default filter plugins, in order, for one node: taints, node affinity, resources fit. */
export function filterNode(p: Pod, node: Node, podsOnNode: readonly Pod[]): NodeVerdict {
  for (const t of node.spec.taints ?? []) {
    if ((t.effect === 'NoSchedule' || t.effect === 'NoExecute') && !tolerates(p.spec.tolerations ?? [], t)) {
      return { reasons: [`node(s) had untolerated taint {${t.key}: ${t.value ?? ''}}`], unresolvable: true };
    }
  }
  const names = nodeAffinityNames(p);
  if (names !== undefined && !names.includes(node.metadata.name ?? '')) {
    return { reasons: ["node(s) didn't match Pod's node affinity/selector"], unresolvable: true };
  }
  const want = podRequests(p);
  let cpu = 0;
  let mem = 0;
  for (const q of podsOnNode) {
    const r = podRequests(q);
    cpu += r.cpu;
    mem += r.mem;
  }
  const reasons: string[] = [];
  if (cpu + want.cpu > cpuMillis(node.status.allocatable['cpu'])) reasons.push('Insufficient cpu');
  if (mem + want.mem > memBytes(node.status.allocatable['memory'])) reasons.push('Insufficient memory');
  return { reasons, unresolvable: false };
}

/** FitError.Error(): `0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: …`. */
export function fitErrorMessage(verdicts: readonly NodeVerdict[]): string {
  const n = verdicts.length;
  const counts = new Map<string, number>();
  const preempt = new Map<string, number>();
  for (const v of verdicts) {
    for (const r of v.reasons) counts.set(r, (counts.get(r) ?? 0) + 1);
    const pr = v.unresolvable
      ? 'Preemption is not helpful for scheduling'
      : 'No preemption victims found for incoming pod';
    preempt.set(pr, (preempt.get(pr) ?? 0) + 1);
  }
  const fmt = (m: Map<string, number>): string =>
    [...m]
      .map(([r, c]) => `${c} ${r}`)
      .sort()
      .join(', ');
  return `0/${n} nodes are available: ${fmt(counts)}. preemption: 0/${n} nodes are available: ${fmt(preempt)}.`;
}
