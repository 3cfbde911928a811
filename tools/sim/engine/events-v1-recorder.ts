import type { ApiServer, WriteCtx } from './api-server.js';
import type { EventLoop } from './event-loop.js';
import type { KObject, ObjectReference } from './k8s-types.js';
import { referenceTo } from './object-ref.js';
import type { Rng } from './rng.js';
import { rfc3339Micros } from './time-format.js';
import type { EventType } from './core-event-recorder.js';

interface Cached {
  readonly name: string;
  readonly namespace: string;
  count: number;
}

/**
 * client-go's events.k8s.io/v1 recorder (tools/events), used by kube-scheduler. Events are keyed by
 * action, reason, reporting controller and the full `regarding` reference (resourceVersion
 * included). A first occurrence creates the Event; the second PATCHes `series {count: 2}`; later
 * ones only bump the cached count, which client-go flushes on a 30-minute heartbeat or when the
 * series ends after 6 idle minutes (not simulated: scenarios are shorter).
 */
export class EventsV1Recorder {
  readonly #api: ApiServer;
  readonly #loop: EventLoop;
  readonly #rng: Rng;
  readonly #ctx: WriteCtx;
  readonly #controller: string;
  readonly #instance: string;
  readonly #cache = new Map<string, Cached>();
  #nextWriteUs = 0;

  constructor(api: ApiServer, loop: EventLoop, rng: Rng, ctx: WriteCtx, controller: string, instance: string) {
    this.#api = api;
    this.#loop = loop;
    this.#rng = rng;
    this.#ctx = ctx;
    this.#controller = controller;
    this.#instance = instance;
  }

  /** Records an event regarding `obj`. Never fails. */
  record(obj: KObject, type: EventType, reason: string, action: string, note: string): void {
    const nowUs = this.#loop.nowUs;
    const regarding = referenceTo(obj);
    const key = JSON.stringify([action, reason, this.#controller, regarding]);
    const atUs = Math.max(nowUs + this.#rng.int(80, 1500), this.#nextWriteUs + 1);
    const cached = this.#cache.get(key);
    if (cached !== undefined) {
      cached.count++;
      if (cached.count !== 2) return;
      this.#nextWriteUs = atUs;
      this.#loop.at(atUs, () => this.#patchSeries(cached, nowUs));
      return;
    }
    const namespace = regarding.namespace ?? 'default';
    const name = `${regarding.name}.${(BigInt(nowUs) * 1000n + BigInt(this.#rng.int(0, 999))).toString(16)}`;
    this.#cache.set(key, { name, namespace, count: 1 });
    this.#nextWriteUs = atUs;
    this.#loop.at(atUs, () => this.#create(namespace, name, regarding, type, reason, action, note, nowUs));
  }

  #create(
    namespace: string,
    name: string,
    regarding: ObjectReference,
    type: EventType,
    reason: string,
    action: string,
    note: string,
    atUs: number,
  ): void {
    const event = {
      kind: 'Event',
      apiVersion: 'events.k8s.io/v1',
      metadata: { name, namespace, creationTimestamp: null },
      eventTime: rfc3339Micros(atUs),
      reportingController: this.#controller,
      reportingInstance: this.#instance,
      action,
      reason,
      regarding,
      note,
      type,
    };
    // Read back through events.k8s.io/v1, the core/v1 fields show up as deprecated* (empty).
    this.#api.create(event, this.#ctx, (e) => ({
      ...e,
      deprecatedSource: {},
      deprecatedFirstTimestamp: null,
      deprecatedLastTimestamp: null,
    }));
  }

  #patchSeries(cached: Cached, atUs: number): void {
    const id = { apiVersion: 'events.k8s.io/v1', kind: 'Event', namespace: cached.namespace, name: cached.name };
    const series = { count: 2, lastObservedTime: rfc3339Micros(atUs) };
    this.#api.patch(id, { series }, (d) => withSeries(d, series), this.#ctx);
  }
}

/** The event with `series` right after `eventTime`, where the Go struct has it. */
function withSeries(d: KObject, series: unknown): KObject {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(d)) {
    if (k === 'series') continue;
    out[k] = v;
    if (k === 'eventTime') out['series'] = series;
  }
  return out as KObject;
}
