import type { WatchEventType } from '../types.js';
import type { KObject } from './k8s-types.js';
import type { ObjectTable } from './object-table.js';
import type { RecordingSink } from './recording-sink.js';
import { kindOf } from './resources.js';
import type { Rng } from './rng.js';
import { rfc3339Millis } from './time-format.js';

/** Called for every stored change at the time a watcher would receive it. */
export type StoreListener = (type: WatchEventType, obj: KObject, atUs: number) => void;

/**
 * Fans committed changes out to the recording's watch streams and to the simulated informers, a
 * millisecond or two after the write commits. Receive times never run backwards within a stream.
 */
export class WatchHub {
  readonly #rng: Rng;
  readonly #sink: RecordingSink;
  readonly #listeners: StoreListener[] = [];
  readonly #lastUs = { watch: 0, events: 0 };

  constructor(rng: Rng, sink: RecordingSink) {
    this.#rng = rng;
    this.#sink = sink;
  }

  subscribe(listener: StoreListener): void {
    this.#listeners.push(listener);
  }

  emit(type: WatchEventType, obj: KObject, commitUs: number): void {
    const stream = kindOf(obj.apiVersion, obj.kind).stream;
    let atUs = commitUs + this.#rng.int(400, 2600);
    if (stream !== 'none') {
      atUs = Math.max(atUs, this.#lastUs[stream] + 1);
      this.#lastUs[stream] = atUs;
      const line = { type, object: obj, ts: rfc3339Millis(atUs) };
      if (stream === 'watch') this.#sink.pushWatch(line);
      else this.#sink.pushEvent(line);
    }
    for (const l of this.#listeners) l(type, obj, atUs);
  }

  /**
   * Starts recording with the initial list of `kubectl get --watch`: ADDED for every existing
   * object of the watched kinds, Nodes first. Events are watched without the list (--watch-only).
   * Returns the time the list finished arriving.
   */
  beginRecording(table: ObjectTable, nowUs: number): number {
    this.#sink.enabled = true;
    const listed = table.all().filter((o) => kindOf(o.apiVersion, o.kind).stream === 'watch');
    listed.sort((a, b) => rank(a) - rank(b) || listKey(a).localeCompare(listKey(b)));
    let ts = Math.max(nowUs, this.#lastUs.watch);
    for (const o of listed) {
      ts += this.#rng.int(20, 120);
      this.#sink.pushWatch({ type: 'ADDED', object: o, ts: rfc3339Millis(ts) });
    }
    this.#lastUs.watch = ts;
    this.#lastUs.events = Math.max(this.#lastUs.events, nowUs);
    return ts;
  }
}

// `kubectl get nodes,cronjobs,deployments,statefulsets,daemonsets,jobs,replicasets,pods --watch`
// lists kind by kind, each in key order, so resourceVersions in the initial list are not ordered.
const LIST_ORDER = ['Node', 'CronJob', 'Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'ReplicaSet', 'Pod'];

/** A list comes back in etcd key order: namespace, then name. */
function listKey(o: KObject): string {
  return `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;
}

function rank(o: KObject): number {
  const i = LIST_ORDER.indexOf(o.kind);
  return i < 0 ? LIST_ORDER.length : i;
}
