import type { AuditObjectRef, AuditVerb, WatchEventType } from '../types.js';
import { buildAuditEvent } from './audit-builder.js';
import type { EventLoop } from './event-loop.js';
import type { Actor } from './identities.js';
import type { KObject } from './k8s-types.js';
import type { ObjectId, ObjectTable } from './object-table.js';
import type { RecordingSink } from './recording-sink.js';
import type { KindInfo } from './resources.js';
import { orderKeys, orderMeta, TOP_ORDER } from './json-order.js';
import { sortDeep } from './strategic-patch.js';
import type { Rng } from './rng.js';
import { US_PER_S } from './time-format.js';
import type { WatchHub } from './watch-hub.js';

/** A request's caller and optional query string (`fieldManager=kubectl-set`). */
export interface WriteCtx {
  readonly actor: Actor;
  readonly query?: string;
}

export type Changes = { type: WatchEventType; obj: KObject }[];

/** What applying a request to the store produced. */
export interface Outcome {
  readonly changes: Changes;
  readonly response: unknown;
  readonly code: number;
  readonly statusText?: string;
}

const EVENT_TTL_US = 3600 * US_PER_S;

/**
 * The timing half of the apiserver: each request is received now, commits a few milliseconds
 * later (commits are serialized, like etcd's), is audited at ResponseComplete, fans out to
 * watchers, and moves the caller's clock past the response. Also expires Events after their
 * 1-hour lease.
 */
export class RequestPipeline {
  readonly #table: ObjectTable;
  readonly #loop: EventLoop;
  readonly #rng: Rng;
  readonly #sink: RecordingSink;
  readonly #hub: WatchHub;
  #lastCommitUs = 0;
  readonly #eventTtl: { readonly dueUs: number; readonly id: ObjectId }[] = [];
  #eventTtlHead = 0;

  constructor(deps: { table: ObjectTable; loop: EventLoop; rng: Rng; sink: RecordingSink; hub: WatchHub }) {
    this.#table = deps.table;
    this.#loop = deps.loop;
    this.#rng = deps.rng;
    this.#sink = deps.sink;
    this.#hub = deps.hub;
  }

  run(
    k: KindInfo,
    verb: AuditVerb,
    uri: string,
    ctx: WriteCtx,
    objectRef: AuditObjectRef,
    requestObject: unknown,
    apply: (receivedUs: number) => Outcome,
  ): void {
    const receivedUs = this.#loop.nowUs;
    this.#expireEvents(receivedUs);
    const latencyUs = this.#latencyUs(k, verb);
    const commitUs = Math.max(receivedUs + Math.round(latencyUs * 0.7), this.#lastCommitUs + 40);
    this.#lastCommitUs = commitUs;
    const out = apply(receivedUs);
    const stageUs = Math.max(receivedUs + latencyUs, commitUs + this.#rng.int(60, 400));
    this.#sink.pushAudit(
      buildAuditEvent({
        auditId: this.#rng.uuid(),
        level: k.auditLevel,
        uri,
        verb,
        actor: ctx.actor,
        objectRef,
        code: out.code,
        ...(out.statusText === undefined ? {} : { statusText: out.statusText }),
        requestObject,
        responseObject: out.response,
        receivedUs,
        stageUs,
      }),
    );
    for (const ch of out.changes) this.#hub.emit(ch.type, ch.obj, stageUs);
    this.#loop.advanceTo(stageUs);
  }

  /** Registers a new Event for expiry one hour after `createdUs` (the apiserver's --event-ttl). */
  expireLater(id: ObjectId, createdUs: number): void {
    this.#eventTtl.push({ dueUs: createdUs + EVENT_TTL_US, id });
  }

  /** etcd drops Events whose lease ran out; watchers see them DELETED. */
  #expireEvents(nowUs: number): void {
    for (;;) {
      const head = this.#eventTtl[this.#eventTtlHead];
      if (head === undefined || head.dueUs > nowUs) break;
      this.#eventTtlHead++;
      const ev = this.#table.get(head.id);
      if (ev !== undefined) this.#hub.emit('DELETED', this.#table.remove(ev), head.dueUs);
    }
    if (this.#eventTtlHead > 4096) {
      this.#eventTtl.splice(0, this.#eventTtlHead);
      this.#eventTtlHead = 0;
    }
  }

  #latencyUs(k: KindInfo, verb: AuditVerb): number {
    if (k.resource === 'events') return this.#rng.int(900, 3500);
    if (verb === 'create') return this.#rng.int(3000, 11000);
    return this.#rng.int(1800, 7500);
  }
}

/** The body as the client serialized it: kubectl's unstructured maps sort every key; Go clients use struct order. */
export function requestBody(obj: KObject, ctx: WriteCtx): unknown {
  if (ctx.actor.userAgent.startsWith('kubectl/')) return sortDeep(obj);
  return orderKeys({ ...obj, metadata: orderMeta(obj.metadata) }, TOP_ORDER);
}

export function withQuery(path: string, query: string | undefined): string {
  return query === undefined ? path : `${path}?${query}`;
}
