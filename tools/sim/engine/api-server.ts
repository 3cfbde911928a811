import type { AuditObjectRef, AuditVerb } from '../types.js';
import type { EventLoop } from './event-loop.js';
import { clone, jsonEqual } from './hash.js';
import type { WriteCtx } from './request-pipeline.js';
import { orderKeys, orderMeta, POD_SPEC_ORDER, TOP_ORDER } from './json-order.js';
import type { KObject, Pod } from './k8s-types.js';
import { idOf, type ObjectId, type ObjectTable } from './object-table.js';
import type { RecordingSink } from './recording-sink.js';
import { auditObjectRef, graceSeconds, kindOf, resourcePath, type KindInfo } from './resources.js';
import type { Rng } from './rng.js';
import { rfc3339Seconds, US_PER_S } from './time-format.js';
import type { WatchHub } from './watch-hub.js';
import { RequestPipeline, requestBody, withQuery, type Changes } from './request-pipeline.js';

export type { WriteCtx } from './request-pipeline.js';

export interface DeleteOptions {
  readonly gracePeriodSeconds?: number;
  readonly propagationPolicy?: 'Background' | 'Foreground' | 'Orphan';
  readonly preconditionUid?: string;
}

/**
 * The apiserver's write path: every create/update/patch/delete/bind takes a few virtual
 * milliseconds, gets one audit event (ResponseComplete) and the resulting watch events, and
 * advances the caller's clock past the response. Writes to objects that are gone return
 * undefined and leave no trace (a real client would get 404 and retry from its cache).
 */
export class ApiServer {
  readonly table: ObjectTable;
  readonly #loop: EventLoop;
  readonly #rng: Rng;
  readonly #hub: WatchHub;
  readonly #pipeline: RequestPipeline;

  constructor(deps: { table: ObjectTable; loop: EventLoop; rng: Rng; sink: RecordingSink; hub: WatchHub }) {
    this.table = deps.table;
    this.#loop = deps.loop;
    this.#rng = deps.rng;
    this.#hub = deps.hub;
    this.#pipeline = new RequestPipeline(deps);
  }

  get<T extends KObject>(id: ObjectId): T | undefined {
    return this.table.get<T>(id);
  }

  /**
   * POST. The name is metadata.name, or generateName plus a random suffix. `admit` turns the
   * request body into what gets stored (defaulting and mutating admission).
   */
  create<T extends KObject>(obj: T, ctx: WriteCtx, admit: (requested: T, uid: string) => T = (o) => o): T {
    const k = kindOf(obj.apiVersion, obj.kind);
    const ns = obj.metadata.namespace;
    let name = obj.metadata.name;
    while (name === undefined || this.table.has(k, ns, name))
      name = `${obj.metadata.generateName ?? ''}${this.#rng.nameSuffix()}`;
    const finalName = name;
    const ref = auditObjectRef(k, ns, obj.metadata.name);
    let stored = obj;
    this.#pipeline.run(
      k,
      'create',
      withQuery(resourcePath(k, ns), ctx.query),
      ctx,
      ref,
      requestBody(obj, ctx),
      (receivedUs) => {
        const uid = this.#rng.uuid();
        const admitted = admit(obj, uid);
        const meta = {
          ...admitted.metadata,
          name: finalName,
          uid,
          resourceVersion: this.table.nextRv(),
          ...(k.generation ? { generation: 1 } : {}),
          creationTimestamp: rfc3339Seconds(receivedUs),
        };
        stored = orderKeys({ ...admitted, metadata: orderMeta(meta) }, TOP_ORDER);
        this.table.put(stored);
        if (k.resource === 'events') this.#pipeline.expireLater(idOf(stored), receivedUs);
        return { changes: [{ type: 'ADDED', obj: stored }], response: stored, code: 201 };
      },
    );
    return stored;
  }

  /**
   * Puts an object that predates the simulation (e.g. Nodes created weeks ago) straight into the
   * store: no request, no audit; watchers see it ADDED.
   */
  preload<T extends KObject>(obj: T, createdUs: number): T {
    const meta = {
      ...obj.metadata,
      uid: this.#rng.uuid(),
      resourceVersion: this.table.nextRv(),
      creationTimestamp: rfc3339Seconds(createdUs),
    };
    const stored = orderKeys({ ...clone(obj), metadata: orderMeta(meta) }, TOP_ORDER);
    this.table.put(stored);
    this.#hub.emit('ADDED', stored, this.#loop.nowUs);
    return stored;
  }

  /** PUT of a whole object, or of its status subresource. */
  update<T extends KObject>(obj: T, ctx: WriteCtx, sub?: 'status'): T | undefined {
    const k = kindOf(obj.apiVersion, obj.kind);
    const cur = this.table.get<T>(idOf(obj));
    if (cur === undefined) return undefined;
    const ref: AuditObjectRef = {
      ...auditObjectRef(k, obj.metadata.namespace, obj.metadata.name, sub),
      ...(obj.metadata.uid === undefined ? {} : { uid: obj.metadata.uid }),
      ...(obj.metadata.resourceVersion === undefined ? {} : { resourceVersion: obj.metadata.resourceVersion }),
    };
    return this.#change(k, cur, 'update', ref, requestBody(obj, ctx), ctx, sub, () => {
      // Status strategies keep spec and labels; Deployment's also takes annotations (revision).
      if (sub === 'status') {
        return { ...cur, metadata: { ...cur.metadata, annotations: obj.metadata.annotations }, status: obj['status'] };
      }
      return 'status' in cur ? { ...obj, status: cur['status'] } : obj;
    });
  }

  /** PUT …/status with `status` unless the stored object already has it; returns the object as stored (undefined if gone). */
  updateStatus<T extends KObject>(obj: T, status: unknown, ctx: WriteCtx): T | undefined {
    const fresh = this.table.get<T>(idOf(obj));
    if (fresh === undefined || jsonEqual(fresh['status'], status)) return fresh;
    return this.update({ ...fresh, status }, ctx, 'status');
  }

  /**
   * PATCH: `body` is what the client sent (audit); `apply` returns the patched object built from
   * the stored one without mutating it (stored objects share structure and are never mutated).
   */
  patch<T extends KObject>(
    id: ObjectId,
    body: unknown,
    apply: (cur: T) => T,
    ctx: WriteCtx,
    sub?: string,
    responseOf?: (stored: T) => unknown,
  ): T | undefined {
    const k = kindOf(id.apiVersion, id.kind);
    const cur = this.table.get<T>(id);
    if (cur === undefined) return undefined;
    const ref = auditObjectRef(k, id.namespace, id.name, sub);
    return this.#change(k, cur, 'patch', ref, body, ctx, sub, () => apply(cur), responseOf);
  }

  /** pods/binding, as kube-scheduler posts it: sets nodeName and PodScheduled=True. */
  bind(pod: Pod, nodeName: string, ctx: WriteCtx): Pod | undefined {
    const k = kindOf('v1', 'Pod');
    const cur = this.table.get<Pod>(idOf(pod));
    if (cur === undefined) return undefined;
    const ns = pod.metadata.namespace;
    const name = pod.metadata.name ?? '';
    const body = {
      kind: 'Binding',
      apiVersion: 'v1',
      metadata: { name, namespace: ns, uid: pod.metadata.uid, creationTimestamp: null },
      target: { kind: 'Node', name: nodeName },
    };
    const ref = { ...auditObjectRef(k, ns, name, 'binding'), uid: pod.metadata.uid ?? '' };
    let stored: Pod | undefined;
    this.#pipeline.run(k, 'create', resourcePath(k, ns, name, 'binding'), ctx, ref, body, (receivedUs) => {
      const scheduled = {
        type: 'PodScheduled',
        status: 'True' as const,
        lastProbeTime: null,
        lastTransitionTime: rfc3339Seconds(receivedUs),
      };
      const others = (cur.status.conditions ?? []).filter((c) => c.type !== 'PodScheduled');
      const draft: Pod = {
        ...cur,
        spec: orderKeys({ ...cur.spec, nodeName }, POD_SPEC_ORDER),
        status: { ...cur.status, conditions: [...others, scheduled] },
      };
      stored = this.#store(k, cur, draft, false);
      const status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 };
      return { changes: [{ type: 'MODIFIED', obj: stored }], response: status, code: 201 };
    });
    return stored;
  }

  /**
   * DELETE. Running pods get a graceful deletion (deletionTimestamp = now + grace), objects with
   * finalizers a deletionTimestamp; everything else is removed at once.
   */
  delete(id: ObjectId, ctx: WriteCtx, opts: DeleteOptions = {}): KObject | undefined {
    const k = kindOf(id.apiVersion, id.kind);
    const cur = this.table.get(id);
    if (cur === undefined) return undefined;
    const body = {
      kind: 'DeleteOptions',
      apiVersion: k.apiVersion,
      ...(opts.gracePeriodSeconds === undefined ? {} : { gracePeriodSeconds: opts.gracePeriodSeconds }),
      ...(opts.preconditionUid === undefined ? {} : { preconditions: { uid: opts.preconditionUid } }),
      ...(opts.propagationPolicy === undefined ? {} : { propagationPolicy: opts.propagationPolicy }),
    };
    const uri = withQuery(resourcePath(k, id.namespace, id.name), ctx.query);
    let result: KObject | undefined;
    this.#pipeline.run(k, 'delete', uri, ctx, auditObjectRef(k, id.namespace, id.name), body, (receivedUs) => {
      const grace = graceSeconds(cur, opts.gracePeriodSeconds);
      const pending = grace > 0 || (cur.metadata.finalizers?.length ?? 0) > 0;
      if (pending) {
        const already = cur.metadata.deletionTimestamp !== undefined;
        const restart = !already || grace < (cur.metadata.deletionGracePeriodSeconds ?? Infinity);
        const deletion = {
          deletionTimestamp: rfc3339Seconds(receivedUs + grace * US_PER_S),
          deletionGracePeriodSeconds: grace,
        };
        const draft = restart ? { ...cur, metadata: { ...cur.metadata, ...deletion } } : cur;
        const stored = this.#store(k, cur, draft, false);
        result = stored;
        const changes: Changes = [{ type: 'MODIFIED', obj: stored }];
        if (this.#deletable(stored)) changes.push({ type: 'DELETED', obj: this.table.remove(stored) });
        return { changes, response: stored, code: 200 };
      }
      // Shortening a running graceful deletion to 0 stamps the object once more before it goes.
      const last =
        cur.metadata.deletionTimestamp === undefined
          ? cur
          : {
              ...cur,
              metadata: {
                ...cur.metadata,
                deletionTimestamp: rfc3339Seconds(receivedUs),
                deletionGracePeriodSeconds: 0,
              },
            };
      const gone = this.table.remove(last);
      result = gone;
      const status = {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Success',
        details: {
          name: id.name,
          ...(k.group === '' ? {} : { group: k.group }),
          kind: k.resource,
          uid: cur.metadata.uid,
        },
      };
      const response = k.returnsDeletedObject ? gone : status;
      return { changes: [{ type: 'DELETED', obj: gone }], response, code: 200, statusText: 'Success' };
    });
    return result;
  }

  #change<T extends KObject>(
    k: KindInfo,
    cur: T,
    verb: AuditVerb,
    ref: AuditObjectRef,
    body: unknown,
    ctx: WriteCtx,
    sub: string | undefined,
    next: () => T,
    responseOf?: (stored: T) => unknown,
  ): T | undefined {
    let stored: T | undefined;
    const uri = withQuery(resourcePath(k, cur.metadata.namespace, cur.metadata.name, sub), ctx.query);
    this.#pipeline.run(k, verb, uri, ctx, ref, body, () => {
      const s = this.#store(k, cur, next(), sub === undefined || sub === 'scale');
      stored = s;
      const changes: Changes = [{ type: 'MODIFIED', obj: s }];
      if (this.#deletable(s)) changes.push({ type: 'DELETED', obj: this.table.remove(s) });
      return { changes, response: responseOf === undefined ? s : responseOf(s), code: 200 };
    });
    return stored;
  }

  /** Stores a new version of `cur`: identity kept, new resourceVersion, generation on spec change. */
  #store<T extends KObject>(k: KindInfo, cur: T, draft: T, specMayChange: boolean): T {
    const bump = specMayChange && k.generation && !jsonEqual(draft['spec'], cur['spec']);
    const generation = (cur.metadata.generation ?? 1) + (bump ? 1 : 0);
    // The DaemonSet strategy mirrors the template generation into this legacy annotation.
    const annotations =
      bump && k.kind === 'DaemonSet'
        ? { ...draft.metadata.annotations, 'deprecated.daemonset.template.generation': String(generation) }
        : draft.metadata.annotations;
    const meta = {
      ...draft.metadata,
      ...(annotations === undefined ? {} : { annotations }),
      uid: cur.metadata.uid,
      creationTimestamp: cur.metadata.creationTimestamp,
      resourceVersion: this.table.nextRv(),
      ...(k.generation ? { generation } : {}),
    };
    const s = orderKeys({ ...draft, metadata: orderMeta(meta) }, TOP_ORDER);
    this.table.put(s);
    return s;
  }

  #deletable(o: KObject): boolean {
    if (o.metadata.deletionTimestamp === undefined || (o.metadata.finalizers?.length ?? 0) > 0) return false;
    return o.kind !== 'Pod' || o.metadata.deletionGracePeriodSeconds === 0;
  }
}
