import { setTimeout as sleep } from 'node:timers/promises';
import type { AuditEventJson, KubeJson, Recording, WatchLine } from '../types.js';
import type { FakeApiserver } from './fake-apiserver.js';
import type { ResourceVersionPolicy } from './feed.js';

export interface PlayOptions {
  /** 'instant' (default) applies everything at once; N replays N times faster than recorded (1 = real time). */
  readonly speed?: number | 'instant';
  /** Default 'recorded': keep the recording's resourceVersions where possible, so audit events still join. */
  readonly resourceVersion?: ResourceVersionPolicy;
  /** Called every 100 lines and at the end. */
  readonly onProgress?: (applied: number, total: number) => void;
  /** Stops the replay early (the promise then resolves with what was applied). */
  readonly signal?: AbortSignal;
  /**
   * 'preload' (default): the recording's initial list (see splitInitialList) becomes state that
   * existed before, with its own resourceVersions and no watch events — best before clients
   * connect (open watches get a 410 and relist). 'events': played as ADDED events like the rest.
   */
  readonly initialList?: 'preload' | 'events';
}

export interface PlayResult {
  /** The recording's audit events, untouched, for a test to POST to the audit webhook itself. */
  readonly audit: readonly AuditEventJson[];
  /** Watch and Event lines applied (preloaded initial-list objects included). */
  readonly applied: number;
  /** Lines that could not be applied (unknown kind, no name); the first few reasons are in `errors`. */
  readonly skipped: number;
  readonly errors: readonly string[];
}

/**
 * Splits a recording into its initial list and the rest. `kubectl get --watch` starts with ADDED
 * lines for what exists, kind by kind, so their resourceVersions are out of order; live events only
 * grow. The initial list is the leading run of ADDED lines up to the last one whose resourceVersion
 * is below an earlier line's. An ordered initial list is not detected and is played as events,
 * which leaves the same state.
 */
export function splitInitialList(recording: Recording): { initial: KubeJson[]; rest: Recording } {
  let max = -1;
  let end = 0;
  for (let i = 0; i < recording.watch.length; i++) {
    const line = recording.watch[i];
    if (line === undefined || line.type !== 'ADDED') break;
    const rv = Number((line.object.metadata as { resourceVersion?: unknown } | undefined)?.resourceVersion);
    if (!Number.isFinite(rv)) break;
    if (rv < max) end = i + 1;
    max = Math.max(max, rv);
  }
  return {
    initial: recording.watch.slice(0, end).map((l) => l.object),
    rest: { ...recording, watch: recording.watch.slice(end) },
  };
}

/** Watch lines and Event lines merged by receive time (stable: watch first on ties). */
function* merged(rec: Recording): IterableIterator<WatchLine> {
  let i = 0;
  let j = 0;
  const w = rec.watch;
  const e = rec.events;
  while (i < w.length || j < e.length) {
    const a = w[i];
    const b = e[j];
    if (b === undefined || (a !== undefined && a.ts <= b.ts)) {
      i++;
      if (a !== undefined) yield a;
    } else {
      j++;
      yield b;
    }
  }
}

/**
 * Plays a simulator recording into the fake apiserver: watch lines and Event lines (core/v1 Events
 * into `events`, events.k8s.io/v1 into that group's resource) in receive-time order, optionally
 * paced by their `ts`. A line that cannot be applied is counted and skipped; the rest goes on.
 * Never rejects.
 */
export async function playRecording(
  server: FakeApiserver,
  recording: Recording,
  options: PlayOptions = {},
): Promise<PlayResult> {
  let preloaded = 0;
  const errors: string[] = [];
  let skipped = 0;
  if ((options.initialList ?? 'preload') === 'preload') {
    const split = splitInitialList(recording);
    try {
      preloaded = server.preload(split.initial);
      recording = split.rest;
    } catch (e: unknown) {
      // One bad initial object: play the whole list as events instead, where it is skipped alone.
      errors.push((e as Error).message);
    }
  }
  const total = recording.watch.length + recording.events.length;
  const speed = options.speed ?? 'instant';
  const policy = options.resourceVersion ?? 'recorded';
  let applied = preloaded;
  let firstTs: number | undefined;
  const startedMs = Date.now();
  let n = 0;
  for (const line of merged(recording)) {
    if (options.signal?.aborted === true) break;
    const ts = Date.parse(line.ts);
    if (speed !== 'instant' && speed > 0 && !Number.isNaN(ts)) {
      firstTs ??= ts;
      const dueMs = startedMs + (ts - firstTs) / speed;
      const waitMs = dueMs - Date.now();
      if (waitMs > 0) await sleep(waitMs);
    } else if (n % 500 === 499) {
      // Let open watches write what they have queued.
      await new Promise((resolve) => setImmediate(resolve));
    }
    n++;
    try {
      server.applyQuiet(line.type, line.object, { resourceVersion: policy });
      applied++;
    } catch (e: unknown) {
      skipped++;
      if (errors.length < 10) errors.push((e as Error).message);
    }
    if (n % 100 === 0) options.onProgress?.(n, total);
  }
  options.onProgress?.(n, total);
  return { audit: recording.audit, applied, skipped, errors };
}

/**
 * Loads objects as instant state (ADDED each, new resourceVersions by default), e.g. 100,000 pods
 * for the memory benchmark. Objects are stored as JSON text. Throws on the first object of an
 * unknown kind or without a name (nothing after it is loaded).
 */
export async function loadObjects(
  server: FakeApiserver,
  objects: Iterable<KubeJson>,
  options: { readonly resourceVersion?: ResourceVersionPolicy } = {},
): Promise<number> {
  let n = 0;
  for (const o of objects) {
    server.applyQuiet('ADDED', o, options);
    if (++n % 1000 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  return n;
}
