import type { AuditEventJson, Recording, WatchLine } from '../types.js';

/**
 * Collects what the simulated cluster emits. Disabled during a scenario's pre-history (objects
 * that existed before the recording started), then drained whole or in chunks.
 */
export class RecordingSink {
  enabled = false;
  #watch: WatchLine[] = [];
  #events: WatchLine[] = [];
  #audit: AuditEventJson[] = [];

  pushWatch(line: WatchLine): void {
    if (this.enabled) this.#watch.push(line);
  }

  pushEvent(line: WatchLine): void {
    if (this.enabled) this.#events.push(line);
  }

  pushAudit(event: AuditEventJson): void {
    if (this.enabled) this.#audit.push(event);
  }

  get size(): number {
    return this.#watch.length + this.#events.length + this.#audit.length;
  }

  /** Hands over everything collected so far and starts empty again. */
  drain(): Recording {
    const out: Recording = { watch: this.#watch, events: this.#events, audit: this.#audit };
    this.#watch = [];
    this.#events = [];
    this.#audit = [];
    return out;
  }
}
