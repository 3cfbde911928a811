import type { GraphChange } from '../graph/owner-graph.js';
import type { SlimCondition, SlimObject } from '../graph/slim.js';
import { ATTR, OPERATION, OUTCOME } from '../model/attributes.js';
import { controllerActor, kubeletActor } from './actors.js';
import { type SynthContext, refineTime } from './context.js';
import type { PendingSpan } from './pending-span.js';

// Condition types tracked, with the status that is the healthy one.
const HEALTHY: Readonly<Record<string, string>> = {
  Ready: 'True',
  MemoryPressure: 'False',
  DiskPressure: 'False',
  PIDPressure: 'False',
  NetworkUnavailable: 'False',
};

// A node created this recently is new to the cluster (not an initial list's long-running node).
const FIRST_SEEN_NEW_MS = 300_000;

/**
 * Node condition changes (DESIGN §3.2): each unhealthy period (Ready≠True, a pressure condition
 * True) is a span from its transition to the next one. Heartbeat-only updates change nothing.
 */
export class NodeTracker {
  readonly #ctx: SynthContext;
  readonly #open = new Map<string, PendingSpan>();

  constructor(ctx: SynthContext) {
    this.#ctx = ctx;
  }

  onChange(change: GraphChange, recordMs: number): void {
    const { prev, next } = change;
    if (prev === undefined && !change.deleted) this.#notReadySinceCreation(next, recordMs);
    for (const [type, healthy] of Object.entries(HEALTHY)) {
      const before = prev?.conditions[type];
      const after = next.conditions[type];
      if (after === undefined || (before !== undefined && before.status === after.status)) continue;
      const key = `${next.uid}/${type}`;
      const atMs = refineTime(after.lastTransitionMs, recordMs);
      const current = this.#open.get(key);
      if (current !== undefined) {
        this.#open.delete(key);
        this.#ctx.tree.close(current, atMs, { outcome: OUTCOME.ok });
      }
      // A pressure condition is a problem only when True; Unknown just echoes a silent kubelet,
      // which the Ready condition already reports.
      const unhealthy = type === 'Ready' ? after.status !== healthy : after.status === 'True';
      if (unhealthy) this.#openPeriod(next, type, after, atMs);
    }
    if (change.deleted) this.#closeNode(next.uid, recordMs);
  }

  /**
   * A Ready change a Node Event reports (NodeNotReady, NodeReady) that the node's records did not
   * show (a snapshot, Events only): opens or ends the NotReady period at the Event.
   */
  readyFromEvent(node: SlimObject, ready: boolean, condition: SlimCondition, atMs: number): void {
    const key = `${node.uid}/Ready`;
    const current = this.#open.get(key);
    if (!ready && current === undefined) this.#openPeriod(node, 'Ready', condition, atMs);
    if (ready && current !== undefined && current.startMs <= atMs) {
      this.#open.delete(key);
      this.#ctx.tree.close(current, atMs, { outcome: OUTCOME.ok });
    }
  }

  // A node first seen Ready moments after it was created (a snapshot, a watch that started late)
  // was NotReady until its Ready transition: a new node's kubelet reports Ready only once its
  // runtime and network are up — the period its first records would have shown.
  #notReadySinceCreation(node: SlimObject, recordMs: number): void {
    const ready = node.conditions['Ready'];
    const created = node.creationMs;
    const readyMs = ready?.lastTransitionMs;
    if (ready?.status !== 'True' || created === undefined || readyMs === undefined) return;
    if (recordMs - created > FIRST_SEEN_NEW_MS || readyMs <= created) return;
    this.#openPeriod(
      node,
      'Ready',
      { ...ready, status: 'False', reason: '', message: '' },
      refineTime(created, recordMs),
    );
    const key = `${node.uid}/Ready`;
    const span = this.#open.get(key);
    this.#open.delete(key);
    if (span !== undefined) this.#ctx.tree.close(span, refineTime(readyMs, recordMs), { outcome: OUTCOME.ok });
  }

  #openPeriod(node: SlimObject, type: string, c: SlimCondition, atMs: number): void {
    const name = type === 'Ready' ? 'Node NotReady' : `Node ${type}`;
    // Ready=Unknown is set by the node lifecycle controller when the kubelet goes silent.
    const actor =
      c.reason === 'NodeStatusUnknown' ? controllerActor('node-lifecycle-controller') : kubeletActor(node.name);
    const span = this.#ctx.tree.open({
      key: `${node.uid}/${type}/${atMs}`,
      name,
      startMs: atMs,
      resource: actor,
      attributes: {
        ...this.#ctx.attrsOf(node),
        [ATTR.operation]: OPERATION.nodeCondition,
        [ATTR.conditionType]: type,
        [ATTR.conditionStatus]: c.status,
        [ATTR.conditionReason]: c.reason,
      },
    });
    span.status = { code: 'error', message: c.message === '' ? `${type}=${c.status}` : c.message };
    const key = `${node.uid}/${type}`;
    this.#open.set(key, span);
    this.#ctx.ops.register(node.uid, span, (at) => {
      this.#open.delete(key);
      this.#ctx.tree.close(span, at, { outcome: OUTCOME.unfinished });
    });
  }

  #closeNode(uid: string, atMs: number): void {
    for (const [key, span] of [...this.#open]) {
      if (!key.startsWith(`${uid}/`)) continue;
      this.#open.delete(key);
      this.#ctx.tree.close(span, atMs, { outcome: this.#ctx.deletedOutcome });
    }
  }

  /** Ends every unhealthy period as unfinished (end of a replay). */
  flush(atMs: number): void {
    for (const [key, span] of [...this.#open]) {
      this.#open.delete(key);
      this.#ctx.tree.close(span, this.#ctx.tree.lastEvidenceMs(span, atMs), { outcome: OUTCOME.unfinished });
    }
  }
}
