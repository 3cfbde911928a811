import { str } from '../src/model/kube-json.js';
import type { KubeJson, WatchLine } from '../tools/sim/index.js';
import { generateWorkload } from '../tools/sim/index.js';

/** Which version of each object the cloned cluster shows. */
export type ClusterState = 'settled' | 'starting';

/** One simulated Deployment's objects as JSON text, plus what to rename when cloning them. */
export interface ClusterTemplates {
  readonly node: string;
  readonly deployment: string;
  readonly replicaSet: string;
  readonly pods: readonly string[];
  /** Template uids in clone order: deployment, replica set, pods. */
  readonly uids: readonly string[];
  readonly nodeUid: string;
  readonly nodeNames: readonly string[];
  /** A receive time just after the chosen versions. */
  readonly tsMs: number;
}

/** The simulator's names for the one Deployment it is asked for. */
const TEMPLATE_NAME = 'app-0';
const TEMPLATE_NAMESPACE = 'load-0';

/**
 * Runs the simulator for one Deployment of `podsPerDeployment` pods and keeps, per object, the
 * version a settled cluster shows (`settled`: the last one before deletion — pods Ready, the
 * rollout done) or the one a fresh rollout starts from (`starting`: the first one — pods
 * Pending, the Deployment just created). Throws if the simulator's stream lacks an object kind.
 */
export function clusterTemplates(podsPerDeployment: number, state: ClusterState): ClusterTemplates {
  const chosen = new Map<string, WatchLine>();
  for (const chunk of generateWorkload({ deployments: 1, podsPerDeployment, rollouts: 0 })) {
    for (const line of chunk.watch) {
      const uid = str(line.object, 'metadata', 'uid') ?? '';
      const deleting = line.type === 'DELETED' || str(line.object, 'metadata', 'deletionTimestamp') !== undefined;
      if (deleting || (state === 'starting' && chosen.has(uid))) continue;
      chosen.set(uid, line);
    }
  }
  const ofKind = (kind: string): WatchLine[] => [...chosen.values()].filter((l) => l.object['kind'] === kind);
  const deployment = only(ofKind('Deployment'), 'Deployment');
  const replicaSet = only(ofKind('ReplicaSet'), 'ReplicaSet');
  const pods = ofKind('Pod');
  const nodes = ofKind('Node');
  const node = nodes[0];
  if (node === undefined || pods.length === 0) throw new Error('cluster templates: the simulator made no node or pod');
  const all = [deployment, replicaSet, ...pods];
  return {
    node: JSON.stringify(node.object),
    deployment: JSON.stringify(deployment.object),
    replicaSet: JSON.stringify(replicaSet.object),
    pods: pods.map((p) => JSON.stringify(p.object)),
    uids: all.map((l) => uidOf(l.object)),
    nodeUid: uidOf(node.object),
    nodeNames: nodes.map((n) => str(n.object, 'metadata', 'name') ?? ''),
    tsMs: Math.max(...all.map((l) => Date.parse(l.ts))) + 1000,
  };
}

/**
 * The JSON text of Deployment number `index` of a cloned cluster: the template Deployment, its
 * ReplicaSet and pods renamed to `app-<index>` in namespace `load-<index % 16>`, with fresh uids,
 * pods placed on `nodeOf(podIndex)`. Objects come first-owner-first, as a watch list sends them.
 */
export function cloneDeployment(t: ClusterTemplates, index: number, nodeOf: (pod: number) => string): string[] {
  const uids = new Map(t.uids.map((uid, u) => [uid, cloneUid(index, u)]));
  const texts = [t.deployment, t.replicaSet, ...t.pods];
  return texts.map((text, k) =>
    text.replace(tokenPattern(t), (token) => {
      if (token === TEMPLATE_NAME) return `app-${index}`;
      if (token === `"${TEMPLATE_NAMESPACE}"`) return `"load-${index % 16}"`;
      if (token.startsWith('"')) return k >= 2 ? `"${nodeOf(k - 2)}"` : token;
      return uids.get(token) ?? token;
    }),
  );
}

/** The JSON text of node `name`, a renamed copy of the template node. */
export function cloneNode(t: ClusterTemplates, name: string, index: number): string {
  return t.node.replace(tokenPattern(t), (token) => {
    if (token === t.nodeUid) return cloneUid(index, 0xffff);
    return t.nodeNames.includes(token.slice(1, -1)) ? `"${name}"` : token;
  });
}

const patterns = new WeakMap<ClusterTemplates, RegExp>();

// One pass per text: every uid, quoted node name, the quoted namespace and the Deployment name.
function tokenPattern(t: ClusterTemplates): RegExp {
  let re = patterns.get(t);
  if (re === undefined) {
    const tokens = [
      ...t.uids,
      t.nodeUid,
      ...t.nodeNames.map((n) => `"${n}"`),
      `"${TEMPLATE_NAMESPACE}"`,
      TEMPLATE_NAME,
    ];
    re = new RegExp(tokens.map((x) => x.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'g');
    patterns.set(t, re);
  }
  return re;
}

function cloneUid(index: number, slot: number): string {
  return `${slot.toString(16).padStart(8, '0')}-0000-4000-8000-${index.toString(16).padStart(12, '0')}`;
}

function uidOf(object: KubeJson): string {
  const uid = str(object, 'metadata', 'uid');
  if (uid === undefined) throw new Error('cluster templates: an object without uid');
  return uid;
}

function only(lines: readonly WatchLine[], kind: string): WatchLine {
  const first = lines[0];
  if (first === undefined || lines.length !== 1) throw new Error(`cluster templates: expected one ${kind}`);
  return first;
}
