import { isObject, parseTimeMs } from '../model/kube-json.js';
import type { JsonObject } from '../model/kube-json.js';

/**
 * The validation boundary every input kind passes (watch lines, Events, audit events, OTLP/JSON)
 * before anything enters the pipeline. A record that fails is rejected alone, with a reason that
 * starts with one of REJECT_REASONS (so reasons can be counted), and never fails its batch.
 */
export const INPUT_LIMITS = {
  /** Deepest nesting accepted. Real objects stay far below (CRD schemas reach ~40); anything
   * recursive downstream (JSON.stringify, diffs) is safe well above it. */
  maxDepth: 100,
  /** Most JSON values (objects, arrays and scalars) in one record. */
  maxNodes: 2_000_000,
  /** Kubernetes did not exist before 2014: an older time is forged or broken. */
  earliestMs: Date.UTC(2014, 0, 1),
  /** How far ahead of its receive time a record's time may be (clock skew, not year 9999). */
  maxAheadMs: 24 * 60 * 60 * 1000,
} as const;

/** The first words of every boundary rejection reason, for counting by reason. */
export const REJECT_REASONS = ['too deep', 'too large', 'time out of range', 'unknown audit verb'] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

// The walk's pending values and their depths, kept between calls so that checking a record
// allocates nothing per JSON node (it runs on every record of every source: #16 measured the
// per-node {v, depth} and Object.values arrays as garbage on the hot path). `top` counts them.
const pending: (object | undefined)[] = [];
const pendingDepth: number[] = [];
let top = 0;
/** Above this many slots the arrays are dropped after a walk rather than kept for the next. */
const KEEP_SLOTS = 4096;

/** An object or array to walk into. Bytes (decoded protobuf ids and bytesValues) are leaves. */
function isContainer(v: unknown): v is object {
  return typeof v === 'object' && v !== null && !ArrayBuffer.isView(v);
}

/**
 * Checks nesting depth and size without recursion (a 100,000-deep value must not take the stack
 * with it). Returns a rejection reason, or undefined when the value is within limits.
 */
export function checkShape(value: unknown): string | undefined {
  if (!isContainer(value)) return undefined;
  pending[0] = value;
  pendingDepth[0] = 1;
  top = 1;
  let used = 1;
  let nodes = 1;
  let reason: string | undefined;
  const cleanPrototype = !hasEnumerableKey(Object.prototype);
  // Last pushed, first walked, each value's children counted when it is walked: the order of
  // the walk before #16, so a value both too deep and too large gets the reason it always got.
  while (top > 0) {
    top--;
    const v = pending[top];
    const depth = pendingDepth[top] ?? 0;
    if (v === undefined) break;
    if (depth > INPUT_LIMITS.maxDepth) {
      reason = `too deep: nested over ${INPUT_LIMITS.maxDepth} levels`;
      break;
    }
    nodes += pushChildren(v, depth + 1, cleanPrototype);
    if (nodes > INPUT_LIMITS.maxNodes) {
      reason = `too large: over ${INPUT_LIMITS.maxNodes} JSON values`;
      break;
    }
    if (top > used) used = top;
  }
  release(Math.max(used, top));
  return reason;
}

/** Pushes the containers among `v`'s children at `depth`; returns how many children it has. */
function pushChildren(v: object, depth: number, cleanPrototype: boolean): number {
  if (Array.isArray(v)) {
    const items = v as readonly unknown[];
    for (let i = 0; i < items.length; i++) push(items[i], depth);
    return items.length;
  }
  // for-in, not Object.values: no array per object. Own keys only, as Object.values: a parsed
  // object's inherited keys are skipped without a lookup each while Object.prototype has none
  // (a decoded class instance's prototype may have some).
  const plain = cleanPrototype && Object.getPrototypeOf(v) === Object.prototype;
  let children = 0;
  for (const key in v) {
    if (!plain && !Object.hasOwn(v, key)) continue;
    children++;
    push((v as Record<string, unknown>)[key], depth);
  }
  return children;
}

function push(child: unknown, depth: number): void {
  if (!isContainer(child)) return;
  pending[top] = child;
  pendingDepth[top++] = depth;
}

/** Whether for-in over `o` yields anything: own or inherited enumerable keys. */
function hasEnumerableKey(o: object): boolean {
  for (const key in o) if (key.length >= 0) return true;
  return false;
}

/** Lets go of the values a walk held (the caller's record must not outlive it here). */
function release(used: number): void {
  top = 0;
  if (used > KEEP_SLOTS) {
    pending.length = 0;
    pendingDepth.length = 0;
  } else pending.fill(undefined, 0, used);
}

// Time fields that order records or become span times (synth, graph, object-time). Only these
// are checked: a CRD may hold any date it likes in its spec.
const TIME_KEYS: ReadonlySet<string> = new Set([
  'creationTimestamp',
  'time',
  'lastTransitionTime',
  'lastUpdateTime',
  'startedAt',
  'finishedAt',
  'startTime',
  'completionTime',
  'eventTime',
  'firstTimestamp',
  'lastTimestamp',
  'deprecatedFirstTimestamp',
  'deprecatedLastTimestamp',
  'lastObservedTime',
  'timestamp',
  'requestReceivedTimestamp',
  'stageTimestamp',
]);
// A deadline (request time + grace period, which may be days): only the lower bound applies.
const PAST_ONLY_KEYS: ReadonlySet<string> = new Set(['deletionTimestamp']);

/**
 * Checks the time fields of a Kubernetes object or Event (top level, metadata, status) or of an
 * audit event (top level and its responseObject): none before 2014, none more than a day after
 * `receivedMs`. Call after checkShape (the walk is bounded by it). Returns a reason or undefined.
 */
export function checkTimes(value: JsonObject, receivedMs: number): string | undefined {
  // Top levels are checked flat (their spec is not ours to judge); metadata, status and an
  // Event's series deep.
  const parts: [unknown, boolean][] = [
    [value, false],
    [value['metadata'], true],
    [value['status'], true],
    [value['series'], true],
  ];
  const response = value['responseObject'];
  if (isObject(response)) parts.push([response, false], [response['metadata'], true], [response['status'], true]);
  for (const [part, deep] of parts) {
    const problem = isObject(part) ? timesIn(part, receivedMs, deep) : undefined;
    if (problem !== undefined) return problem;
  }
  return undefined;
}

function timesIn(root: JsonObject, receivedMs: number, deep: boolean): string | undefined {
  const stack: unknown[] = [root];
  for (let v = stack.pop(); v !== undefined; v = stack.pop()) {
    if (typeof v !== 'object' || v === null) continue;
    // Keys, not entries: one array per object walked instead of one per field.
    if (Array.isArray(v)) {
      if (deep) for (const child of v as readonly unknown[]) stack.push(child);
      continue;
    }
    for (const key of Object.keys(v)) {
      const child = (v as JsonObject)[key];
      if (typeof child === 'string') {
        const problem = timeProblem(key, child, receivedMs);
        if (problem !== undefined) return problem;
      } else if (deep) stack.push(child);
    }
  }
  return undefined;
}

function timeProblem(key: string, value: string, receivedMs: number): string | undefined {
  const past = PAST_ONLY_KEYS.has(key);
  if (!past && !TIME_KEYS.has(key)) return undefined;
  const ms = parseTimeMs(value);
  if (ms === undefined) return undefined;
  if (ms < INPUT_LIMITS.earliestMs || (!past && ms > receivedMs + INPUT_LIMITS.maxAheadMs)) {
    return `time out of range: ${key} ${value.slice(0, 40)}`;
  }
  return undefined;
}

/** The first of checkShape and checkTimes to fail, or undefined. */
export function checkRecord(value: JsonObject, receivedMs: number): string | undefined {
  return checkShape(value) ?? checkTimes(value, receivedMs);
}

/**
 * The key a rejection reason is counted under: its boundary reason (REJECT_REASONS), else the
 * reason up to its first colon (parsers' reasons are fixed texts before any detail).
 */
export function reasonKey(reason: string): string {
  return REJECT_REASONS.find((r) => reason.startsWith(r)) ?? (reason.split(':', 1)[0] ?? '').slice(0, 80);
}

/** Rejections counted by reasonKey, as each source's stats report them for /metrics. */
export class RejectionCounts {
  readonly #counts = new Map<string, number>();

  /** Counts one rejection under `reason`'s key (a fixed text, never what the input said). */
  add(reason: string): void {
    const key = reasonKey(reason);
    this.#counts.set(key, (this.#counts.get(key) ?? 0) + 1);
  }

  snapshot(): Record<string, number> {
    return Object.fromEntries(this.#counts);
  }
}
