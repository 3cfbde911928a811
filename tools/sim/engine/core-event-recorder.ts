import type { ApiServer, WriteCtx } from './api-server.js';
import type { EventLoop } from './event-loop.js';
import type { ObjectReference } from './k8s-types.js';
import { Lru } from './lru.js';
import type { Rng } from './rng.js';
import { rfc3339Seconds, US_PER_S } from './time-format.js';

export interface EventSource {
  readonly component: string;
  readonly host?: string;
}

export type EventType = 'Normal' | 'Warning';

interface Seen {
  readonly name: string;
  readonly namespace: string;
  readonly ref: ObjectReference;
  readonly type: EventType;
  readonly reason: string;
  readonly message: string;
  readonly firstUs: number;
  count: number;
}

interface Bucket {
  tokens: number;
  lastUs: number;
}

const SPAM_BURST = 25;
const SPAM_REFILL_US = 300 * US_PER_S;

/**
 * client-go's core/v1 event recorder (tools/record): the first occurrence creates an Event named
 * `<object>.<unix-nanos in hex>`, identical repeats PATCH count and lastTimestamp on the same
 * object, and a per-object token bucket (burst 25, one per 5 min) drops floods. Writes happen
 * asynchronously a moment after the call, as the broadcaster goroutine does.
 */
export class CoreEventRecorder {
  readonly #api: ApiServer;
  readonly #loop: EventLoop;
  readonly #rng: Rng;
  readonly #ctx: WriteCtx;
  readonly #source: EventSource;
  readonly #seen = new Lru<string, Seen>(4096);
  readonly #spam = new Lru<string, Bucket>(4096);
  #nextWriteUs = 0;

  constructor(api: ApiServer, loop: EventLoop, rng: Rng, ctx: WriteCtx, source: EventSource) {
    this.#api = api;
    this.#loop = loop;
    this.#rng = rng;
    this.#ctx = ctx;
    this.#source = source;
  }

  /** Records an event about `ref`. Never fails; a dropped event is simply not written. */
  record(ref: ObjectReference, type: EventType, reason: string, message: string): void {
    const nowUs = this.#loop.nowUs;
    if (!this.#allow(ref, type, reason, nowUs)) return;
    const key = [
      this.#source.component,
      this.#source.host,
      ref.kind,
      ref.namespace,
      ref.name,
      ref.fieldPath,
      ref.uid,
      ref.apiVersion,
      type,
      reason,
      message,
    ].join('\u0000');
    const seen = this.#seen.get(key);
    // One broadcaster goroutine per recorder: writes leave in call order.
    const atUs = Math.max(nowUs + this.#rng.int(80, 1500), this.#nextWriteUs + 1);
    this.#nextWriteUs = atUs;
    if (seen !== undefined) {
      seen.count++;
      const count = seen.count;
      this.#loop.at(atUs, () => this.#patch(seen, count, nowUs));
      return;
    }
    const namespace = ref.namespace ?? 'default';
    const name = `${ref.name}.${(BigInt(nowUs) * 1000n + BigInt(this.#rng.int(0, 999))).toString(16)}`;
    this.#seen.set(key, { name, namespace, ref, type, reason, message, firstUs: nowUs, count: 1 });
    this.#loop.at(atUs, () => this.#create(ref, namespace, name, type, reason, message, nowUs, nowUs, 1));
  }

  #create(
    ref: ObjectReference,
    namespace: string,
    name: string,
    type: EventType,
    reason: string,
    message: string,
    firstUs: number,
    lastUs: number,
    count: number,
  ): void {
    const event = {
      kind: 'Event',
      apiVersion: 'v1',
      metadata: { name, namespace, creationTimestamp: null },
      involvedObject: ref,
      reason,
      message,
      source: this.#source.host === undefined ? { component: this.#source.component } : { ...this.#source },
      firstTimestamp: rfc3339Seconds(firstUs),
      lastTimestamp: rfc3339Seconds(lastUs),
      count,
      type,
      eventTime: null,
      reportingComponent: this.#source.component,
      reportingInstance: this.#source.host ?? '',
    };
    this.#api.create(event, this.#ctx);
  }

  #patch(seen: Seen, count: number, atUs: number): void {
    const id = { apiVersion: 'v1', kind: 'Event', namespace: seen.namespace, name: seen.name };
    if (this.#api.get(id) === undefined) {
      // Expired (event TTL) meanwhile: client-go re-creates it on the PATCH's 404.
      this.#create(
        seen.ref,
        seen.namespace,
        seen.name,
        seen.type,
        seen.reason,
        seen.message,
        seen.firstUs,
        atUs,
        count,
      );
      return;
    }
    const body = { count, lastTimestamp: rfc3339Seconds(atUs) };
    this.#api.patch(id, body, (d) => ({ ...d, ...body }), this.#ctx);
  }

  #allow(ref: ObjectReference, type: EventType, reason: string, nowUs: number): boolean {
    const key = [
      this.#source.component,
      this.#source.host,
      ref.kind,
      ref.namespace,
      ref.name,
      ref.uid,
      ref.apiVersion,
      type,
      reason,
    ].join('\u0000');
    const b = this.#spam.get(key) ?? { tokens: SPAM_BURST, lastUs: nowUs };
    b.tokens = Math.min(SPAM_BURST, b.tokens + (nowUs - b.lastUs) / SPAM_REFILL_US);
    b.lastUs = nowUs;
    this.#spam.set(key, b);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }
}
